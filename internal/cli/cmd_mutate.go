package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func newCreateCommand(env *Env) *cli.Command {
	var flags []cli.Flag
	for _, f := range editFlags() {
		if f.Names()[0] != "title" { // the title is the argument
			flags = append(flags, f)
		}
	}
	flags = append(flags,
		&cli.StringFlag{Name: "id", Usage: "the id (default: a slug of the title, made unique)"},
		&cli.StringSliceFlag{Name: "label", Usage: "a label (repeatable)"},
		&cli.IntFlag{Name: "progress", Usage: "0-100"},
	)
	return &cli.Command{
		Name:      "create",
		Usage:     "create a milestone and print its id",
		ArgsUsage: "TITLE",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, 1, "TITLE [options]"); err != nil {
				return err
			}
			title := c.Args().First()
			if err := milestone.ValidateTitle(title); err != nil {
				return err
			}
			edits, err := parseEdits(c)
			if err != nil {
				return err
			}
			id := c.String("id")
			if c.IsSet("id") {
				if err := milestone.ValidateID(id); err != nil {
					return refused("--id: %v", err)
				}
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.checkDependencies(c.Context, edits.dependsOn); err != nil {
				return err
			}
			if id == "" {
				if id, err = s.newID(c.Context, title); err != nil {
					return err
				}
			}
			now := s.now()
			m := milestone.Milestone{ID: id, Title: title, Status: milestone.Planned, Priority: milestone.Medium, CreatedAt: now, UpdatedAt: now}
			edits.apply(&m, now)
			if err := m.Validate(); err != nil {
				return err
			}
			src := format.Encode(m)
			res, err := s.update(c.Context, storage.UpdateOptions{
				Lock: []string{id}, Message: commitMessage(c.String("message"), id, "create "+oneLine(title)), NoCommit: c.Bool("no-commit"),
			}, func(tx storage.Tx) error {
				if err := tx.Create(m, src); err != nil {
					if errors.Is(err, storage.ErrExists) {
						return refused("milestone %q already exists (choose another --id)", id)
					}
					return err
				}
				return nil
			})
			s.record("create", err == nil, eventlog.Event{Event: eventlog.MilestoneCreated, MilestoneID: id})
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, id)
			s.reportCommit("Created "+id, res)
			return nil
		},
	}
}

func oneLine(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// newID chooses an id for a new milestone from its title. A backend that
// can tell whether one id is taken (the file backends: two lstat calls)
// is asked per candidate instead of listing every id.
func (s *session) newID(ctx context.Context, title string) (string, error) {
	if t, ok := s.backend.(interface {
		Taken(ctx context.Context, id string) (bool, error)
	}); ok {
		var ferr error
		id := milestone.UniqueSlug(title, func(id string) bool {
			taken, err := t.Taken(ctx, id)
			if err != nil && ferr == nil {
				ferr = err
			}
			return taken // an error stops the search; it is returned below
		})
		return id, ferr
	}
	ids, err := s.backend.IDs(ctx)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, i := range ids {
		taken[i] = true
	}
	return milestone.UniqueSlug(title, func(id string) bool { return taken[id] }), nil
}

// checkDependencies refuses depends_on ids that name no milestone.
func (s *session) checkDependencies(ctx context.Context, deps []string) error {
	if len(deps) == 0 {
		return nil
	}
	ids, err := s.backend.IDs(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	for _, d := range deps {
		if !known[d] {
			return refused("--depends-on %s: no milestone %q", d, d)
		}
	}
	return nil
}

// mutate resolves the id argument, then runs change on the milestone under
// its lock and writes the result: the common body of update, close, reopen.
// what says the change in the commit message.
func mutate(c *cli.Context, env *Env, op, event, what string, change func(s *session, m *milestone.Milestone) error) error {
	s, id, err := openWithID(c, env, "ID [options]", open)
	if err != nil {
		return err
	}
	defer s.close()
	res, err := s.update(c.Context, storage.UpdateOptions{
		Lock: []string{id}, NoCommit: c.Bool("no-commit"), Message: commitMessage(c.String("message"), id, what),
	}, func(tx storage.Tx) error {
		rec, err := tx.Get(id)
		if err != nil {
			return err
		}
		m := rec.Milestone.Clone()
		if err := change(s, &m); err != nil {
			return err
		}
		if sameContent(rec.Milestone, m) {
			return errNothingChanged
		}
		m.UpdatedAt = s.now()
		if err := m.Validate(); err != nil {
			return err
		}
		src, err := format.Rewrite(rec.Path, rec.Source, m)
		if err != nil {
			return err
		}
		return tx.Put(m, src)
	})
	if errors.Is(err, errNothingChanged) {
		fmt.Fprintf(env.Stderr, "%s: nothing to change (%s is already so); no commit\n", id, what)
		return nil
	}
	s.record(op, err == nil, eventlog.Event{Event: event, MilestoneID: id, Details: map[string]any{"change": what}})
	if err != nil {
		return err
	}
	s.reportCommit(fmt.Sprintf("%s: %s", id, what), res)
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
		&cli.StringSliceFlag{Name: "set", Usage: "set KEY=VALUE (any key but id and the timestamps; empty VALUE removes an unknown key)"},
	)
	return &cli.Command{
		Name:      "update",
		Usage:     "change fields of a milestone (one commit)",
		ArgsUsage: "ID",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			edits, err := parseEdits(c)
			if err != nil {
				return err
			}
			if edits.empty() {
				return refused("update: nothing to change (see `git milestone update --help`)")
			}
			return mutate(c, env, "update", eventlog.MilestoneUpdated, edits.summary(), func(s *session, m *milestone.Milestone) error {
				if edits.setDependsOn {
					if err := s.checkDependencies(c.Context, edits.dependsOn); err != nil {
						return err
					}
					for _, d := range edits.dependsOn {
						if d == m.ID {
							return refused("--depends-on %s: a milestone cannot depend on itself", d)
						}
					}
				}
				edits.apply(m, s.now())
				return nil
			})
		},
	}
}

func newCloseCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "close",
		Usage:     "mark a milestone completed (or cancelled); its file moves to completed/",
		ArgsUsage: "ID",
		Flags:     append(commitFlags(), &cli.BoolFlag{Name: "cancelled", Usage: "close as cancelled instead of completed"}),
		Action: func(c *cli.Context) error {
			st, what := milestone.Completed, "close"
			if c.Bool("cancelled") {
				st, what = milestone.Cancelled, "cancel"
			}
			return mutate(c, env, "close", eventlog.MilestoneClosed, what, func(s *session, m *milestone.Milestone) error {
				if m.Status == st {
					return fmt.Errorf("milestone %s is already %s", m.ID, st)
				}
				setStatus(m, st, s.now())
				return nil
			})
		},
	}
}

func newReopenCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "reopen",
		Usage:     "reopen a closed milestone (status active); its file moves back to active/",
		ArgsUsage: "ID",
		Flags:     commitFlags(),
		Action: func(c *cli.Context) error {
			return mutate(c, env, "reopen", eventlog.MilestoneReopened, "reopen", func(s *session, m *milestone.Milestone) error {
				if m.Open() {
					return fmt.Errorf("milestone %s is not closed (status %s)", m.ID, m.Status)
				}
				setStatus(m, milestone.Active, s.now())
				return nil
			})
		},
	}
}

func newRmCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove a milestone (it stays in git history)",
		ArgsUsage: "ID",
		Flags:     commitFlags(),
		Action: func(c *cli.Context) error {
			s, id, err := openWithID(c, env, "ID", open)
			if err != nil {
				return err
			}
			defer s.close()
			res, err := s.update(c.Context, storage.UpdateOptions{
				Lock: []string{id}, NoCommit: c.Bool("no-commit"), Message: commitMessage(c.String("message"), id, "remove"),
			}, func(tx storage.Tx) error { return tx.Delete(id) })
			s.record("rm", err == nil, eventlog.Event{Event: eventlog.MilestoneDeleted, MilestoneID: id})
			if err != nil {
				return err
			}
			s.reportCommit("Removed "+id, res)
			return nil
		},
	}
}

func newMvCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "mv",
		Usage:     "rename a milestone and rewrite every depends_on that names it (one commit)",
		ArgsUsage: "OLD NEW",
		Flags:     commitFlags(),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 2, 2, "OLD NEW"); err != nil {
				return err
			}
			newID := c.Args().Get(1)
			if err := milestone.ValidateID(newID); err != nil {
				return refused("mv: %v", err)
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
			oldID, err := s.resolve(c.Context, c.Args().First())
			if err != nil {
				return err
			}
			if oldID == newID {
				return refused("mv: %s and %s are the same id", oldID, newID)
			}
			var rewritten []string
			res, err := s.update(c.Context, storage.UpdateOptions{
				Lock: []string{oldID, newID}, NoCommit: c.Bool("no-commit"),
				Message: commitMessage(c.String("message"), newID, "rename "+oldID+" to "+newID),
			}, func(tx storage.Tx) error {
				rewritten = nil
				if _, err := tx.Get(newID); err == nil {
					return refused("mv: milestone %q already exists", newID)
				}
				rec, err := tx.Get(oldID)
				if err != nil {
					return err
				}
				all, problems, err := tx.All()
				if err != nil {
					return err
				}
				if len(problems) > 0 {
					return fmt.Errorf("mv: cannot rewrite references while a document is unreadable: %w", problems[0].Err)
				}
				if err := tx.Delete(oldID); err != nil {
					return err
				}
				m := rec.Milestone.Clone()
				m.ID = newID
				m.DependsOn = replaceID(m.DependsOn, oldID, newID)
				m.UpdatedAt = s.now()
				src, err := format.Rewrite(rec.Path, rec.Source, m)
				if err != nil {
					return err
				}
				if err := tx.Create(m, src); err != nil {
					return err
				}
				for _, r := range all {
					if r.Milestone.ID == oldID || !contains(r.Milestone.DependsOn, oldID) {
						continue
					}
					dm := r.Milestone.Clone()
					dm.DependsOn = replaceID(dm.DependsOn, oldID, newID)
					dm.UpdatedAt = s.now()
					dsrc, err := format.Rewrite(r.Path, r.Source, dm)
					if err != nil {
						return err
					}
					if err := tx.Put(dm, dsrc); err != nil {
						return err
					}
					rewritten = append(rewritten, dm.ID)
				}
				return nil
			})
			s.record("mv", err == nil, eventlog.Event{Event: eventlog.MilestoneRenamed, MilestoneID: newID,
				Details: map[string]any{"from": oldID, "references_rewritten": len(rewritten)}})
			if err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, newID)
			s.reportCommit(fmt.Sprintf("Renamed %s to %s (%d references rewritten)", oldID, newID, len(rewritten)), res)
			return nil
		},
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func replaceID(list []string, old, new string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s == old {
			s = new
		}
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
