package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// resolveArgs resolves ID arguments (ids or unique prefixes) to ids, once each, in order.
func (s *session) resolveArgs(ctx context.Context, args []string) ([]string, error) {
	var ids []string
	for _, arg := range args {
		id, err := s.resolve(ctx, arg)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// batchMessage is the commit message of a change to several milestones.
func batchMessage(override string, ids []string, what string) string {
	if len(ids) == 1 {
		return commitMessage(override, ids[0], what)
	}
	subject := override
	if subject == "" {
		subject = fmt.Sprintf("milestones: %s %s", what, oneLine(strings.Join(ids, ", ")))
	}
	var b strings.Builder
	b.WriteString(subject + "\n\n")
	for _, id := range ids {
		b.WriteString("Milestone-Id: " + id + "\n")
	}
	return b.String()
}

// writeWritten prints what a mutation left for --json: the milestone
// object, or an array when several ids were given (unchanged ones too, as
// they are).
func writeWritten(env *Env, recs []storage.Record, array bool) error {
	if array {
		return writeRecordsJSON(env.Stdout, recs)
	}
	obj, err := recordJSON(recs[0])
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", obj)
	return err
}

// openResolved opens the session for a command that changes the
// milestones args name, and resolves args to ids. The caller closes s.
func openResolved(ctx context.Context, env *Env, args []string) (*session, []string, error) {
	s, err := open(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	ids, err := s.resolveArgs(ctx, args)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	return s, ids, nil
}

// mutateOptions are the arguments and flags every command that changes
// milestones in place has: update, close, reopen.
type mutateOptions struct {
	IDs      []string // ids or prefixes as typed
	Message  string   // the commit message ("": the usual one)
	NoCommit bool
	JSON     bool // print what was written
}

// mutateOptionsOf reads the ids, -m, --no-commit and --json.
func mutateOptionsOf(c *cli.Context) mutateOptions {
	return mutateOptions{IDs: c.Args().Slice(), Message: c.String("message"),
		NoCommit: c.Bool("no-commit"), JSON: c.Bool("json")}
}

// runMutate is mutate once the flags are read.
func runMutate(ctx context.Context, env *Env, opts mutateOptions, op, event, what string, change func(s *session, m *milestone.Milestone) error) error {
	s, ids, err := openResolved(ctx, env, opts.IDs)
	if err != nil {
		return err
	}
	defer s.close()
	var written, final []storage.Record // final: every milestone as it is afterwards
	var unchanged []string
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: ids, NoCommit: opts.NoCommit, Message: batchMessage(opts.Message, ids, what),
	}, func(tx storage.Tx) error {
		written, unchanged, final = nil, nil, nil
		for _, id := range ids {
			rec, err := tx.Get(id)
			if err != nil {
				return err
			}
			m := rec.Milestone.Clone()
			if err := change(s, &m); err != nil {
				return err
			}
			if sameContent(rec.Milestone, m) {
				unchanged = append(unchanged, id)
				final = append(final, rec)
				continue
			}
			m.UpdatedAt = s.now()
			if err := m.Validate(); err != nil {
				return err
			}
			if err := m.CheckDates(); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			if err := checkDependencies(tx, &m, rec.Milestone.DependsOn); err != nil {
				return err
			}
			src, err := format.Rewrite(rec.Path, rec.Source, m)
			if err != nil {
				return err
			}
			if err := tx.Put(m, src); err != nil {
				return err
			}
			written = append(written, storage.Record{Milestone: m})
			final = append(final, storage.Record{Milestone: m})
		}
		if len(written) == 0 {
			return errNothingChanged
		}
		return nil
	})
	for _, id := range unchanged {
		fmt.Fprintf(env.Stderr, "%s: nothing to change (%s is already so)\n", id, what)
	}
	if errors.Is(err, errNothingChanged) {
		fmt.Fprintln(env.Stderr, "no commit")
		if opts.JSON {
			return writeWritten(env, final, len(ids) > 1)
		}
		return nil
	}
	var events []eventlog.Event
	for _, r := range written {
		events = append(events, eventlog.Event{Event: event, MilestoneID: r.Milestone.ID, Details: map[string]any{"change": what}})
	}
	s.record(op, err == nil, events...)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := writeWritten(env, final, len(ids) > 1); err != nil {
			return err
		}
	}
	var names []string
	for _, r := range written {
		names = append(names, r.Milestone.ID)
	}
	s.reportCommit(fmt.Sprintf("%s: %s", strings.Join(names, ", "), what), res)
	return nil
}

// errNothingChanged stops an update whose edits leave the milestone as it was.
var errNothingChanged = errors.New("nothing to change")

// sameContent reports whether two versions differ only (if at all) in updated_at.
func sameContent(a, b milestone.Milestone) bool {
	a.UpdatedAt, b.UpdatedAt = "", ""
	ja, err1 := a.JSON()
	jb, err2 := b.JSON()
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// jsonWrittenFlag is --json on a command that changes milestones.
func jsonWrittenFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print what was written as JSON (an object; an array for several ids)"}
}

// commitFlags are --no-commit and -m, for commands without edit flags.
func commitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "no-commit", Usage: "write the work tree only, do not commit"},
		&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message"},
	}
}

func newUpdateCommand(env *Env) *cli.Command {
	flags := append(editFlags(),
		&cli.IntFlag{Name: "progress", Usage: "0-100"},
		&cli.StringSliceFlag{Name: "add-label", Usage: "add a label (repeatable)"},
		&cli.StringSliceFlag{Name: "remove-label", Usage: "remove a label (repeatable)"},
		&cli.GenericFlag{Name: "set", Value: &rawValues{}, Usage: "set KEY=VALUE, VALUE one YAML scalar as given (a,b stays the text \"a,b\"; a list only as [a, b]); repeatable; any key but id and the timestamps; empty VALUE removes an unknown key"},
		jsonWrittenFlag(),
	)
	return &cli.Command{
		Name:      "update",
		Usage:     "change fields of one or more milestones (one commit)",
		ArgsUsage: "ID...",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			edits, err := parseEdits(c)
			if err != nil {
				return err
			}
			if edits.empty() {
				return refused("update: nothing to change (see `git milestone update --help`)")
			}
			if err := nArgs(c, 1, -1, "ID... [options]"); err != nil {
				return err
			}
			return runUpdate(c.Context, env, mutateOptionsOf(c), edits)
		},
	}
}

// runUpdate applies edits to the milestones opts.IDs name, in one commit.
func runUpdate(ctx context.Context, env *Env, opts mutateOptions, edits *fieldEdits) error {
	return runMutate(ctx, env, opts, "update", eventlog.MilestoneUpdated, edits.summary(), func(s *session, m *milestone.Milestone) error {
		if err := s.resolveEditOwner(edits); err != nil {
			return err
		}
		edits.apply(m, s.now())
		return nil
	})
}

func newCloseCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "close",
		Usage:     "mark milestones completed (or cancelled); their files move to completed/ (one commit)",
		ArgsUsage: "ID...",
		Flags:     append(commitFlags(), &cli.BoolFlag{Name: "cancelled", Usage: "close as cancelled instead of completed"}, jsonWrittenFlag()),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "ID... [options]"); err != nil {
				return err
			}
			return runClose(c.Context, env, mutateOptionsOf(c), c.Bool("cancelled"))
		},
	}
}

// runClose closes the milestones opts.IDs name (as cancelled when asked), in one commit.
func runClose(ctx context.Context, env *Env, opts mutateOptions, cancelled bool) error {
	st, what := milestone.Completed, "close"
	if cancelled {
		st, what = milestone.Cancelled, "cancel"
	}
	return runMutate(ctx, env, opts, "close", eventlog.MilestoneClosed, what, func(s *session, m *milestone.Milestone) error {
		if m.Status == st {
			return fmt.Errorf("milestone %s is already %s", m.ID, st)
		}
		setStatus(m, st, s.now())
		return nil
	})
}

func newReopenCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "reopen",
		Usage:     "reopen closed milestones (status active); their files move back to active/ (one commit)",
		ArgsUsage: "ID...",
		Flags:     append(commitFlags(), jsonWrittenFlag()),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "ID... [options]"); err != nil {
				return err
			}
			return runReopen(c.Context, env, mutateOptionsOf(c))
		},
	}
}

// runReopen reopens the closed milestones opts.IDs name, in one commit.
func runReopen(ctx context.Context, env *Env, opts mutateOptions) error {
	return runMutate(ctx, env, opts, "reopen", eventlog.MilestoneReopened, "reopen", func(s *session, m *milestone.Milestone) error {
		if m.Open() {
			return fmt.Errorf("milestone %s is not closed (status %s)", m.ID, m.Status)
		}
		setStatus(m, milestone.Active, s.now())
		return nil
	})
}
