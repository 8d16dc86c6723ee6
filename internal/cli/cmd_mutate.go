package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
		&cli.StringFlag{Name: "from-file", Aliases: []string{"F"}, Usage: "read the milestone from a YAML document (- for stdin); flags and TITLE override its fields"},
		&cli.BoolFlag{Name: "json", Usage: "print the milestone written as a JSON object (instead of its id)"},
	)
	return &cli.Command{
		Name:      "create",
		Usage:     "create a milestone and print its id",
		ArgsUsage: "TITLE",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			fromFile := c.String("from-file")
			if fromFile == "" {
				if err := nArgs(c, 1, 1, "TITLE [options]"); err != nil {
					return err
				}
			} else if err := nArgs(c, 0, 1, "[TITLE] --from-file FILE|- [options]"); err != nil {
				return err
			}
			edits, err := parseEdits(c)
			if err != nil {
				return err
			}
			opts := createOptions{FromFile: fromFile, Edits: edits, Message: c.String("message"),
				NoCommit: c.Bool("no-commit"), JSON: c.Bool("json")}
			if c.NArg() == 1 {
				opts.Title, opts.SetTitle = c.Args().First(), true
			}
			if c.IsSet("id") {
				opts.ID = c.String("id")
			}
			return runCreate(c.Context, env, opts)
		},
	}
}

// createOptions are create's argument and flags.
type createOptions struct {
	Title    string      // the title, when SetTitle
	SetTitle bool        // false keeps the --from-file document's title
	FromFile string      // a YAML document to start from ("-": stdin)
	ID       string      // "": a slug of the title, made unique
	Edits    *fieldEdits // the field flags
	Message  string      // the commit message ("": the usual one)
	NoCommit bool
	JSON     bool // print the milestone, not only its id
}

// runCreate creates one milestone in one commit and prints its id.
func runCreate(ctx context.Context, env *Env, opts createOptions) error {
	m := milestone.Milestone{Status: milestone.Planned, Priority: milestone.Medium}
	if opts.FromFile != "" {
		var err error
		if m, err = readMilestoneFile(env, opts.FromFile); err != nil {
			return err
		}
	}
	if opts.SetTitle {
		m.Title = opts.Title
	}
	if err := milestone.ValidateTitle(m.Title); err != nil {
		return err
	}
	edits := opts.Edits
	if edits == nil {
		edits = &fieldEdits{}
	}
	if opts.ID != "" {
		m.ID = opts.ID
	}
	if m.ID != "" {
		if err := milestone.ValidateID(m.ID); err != nil {
			return refused("--id: %v", err)
		}
	}
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.resolveEditOwner(edits); err != nil {
		return err
	}
	if m.ID == "" {
		if m.ID, err = s.newID(ctx, m.Title); err != nil {
			return err
		}
	}
	id := m.ID
	now := s.now()
	m.CreatedAt, m.UpdatedAt, m.ClosedAt = now, now, ""
	edits.apply(&m, now)
	if m.Status.Closed() {
		m.ClosedAt = now
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if err := m.CheckDates(); err != nil {
		return err
	}
	src := format.Encode(m)
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: []string{id}, Message: commitMessage(opts.Message, id, "create "+oneLine(m.Title)), NoCommit: opts.NoCommit,
	}, func(tx storage.Tx) error {
		if err := checkDependencies(tx, &m, nil); err != nil {
			return err
		}
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
	if opts.JSON {
		if err := writeWritten(env, []storage.Record{{Milestone: m}}, false); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout, id)
	}
	s.reportCommit("Created "+id, res)
	return nil
}

// readMilestoneFile reads a YAML milestone document for create
// --from-file: its id (optional) and fields; the timestamps are the tool's.
func readMilestoneFile(env *Env, name string) (milestone.Milestone, error) {
	var data []byte
	var err error
	shown := name
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(env.Stdin, maxDocument+1))
		shown = "<stdin>"
	} else {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(env.Dir, path)
		}
		data, err = readLimited(path, maxDocument)
	}
	if err != nil {
		return milestone.Milestone{}, fmt.Errorf("--from-file: %w", err)
	}
	if len(data) > maxDocument {
		return milestone.Milestone{}, refused("--from-file %s: larger than %d bytes", shown, maxDocument)
	}
	m, err := format.Decode("", data)
	var fe *format.Error
	if errors.As(err, &fe) {
		fe.Path = shown
		return m, fe
	}
	if err != nil {
		return m, err
	}
	var extra []milestone.Field
	for _, f := range m.Extra {
		if f.Key == "id" {
			id, ok := f.Value.(string)
			if !ok {
				return m, refused("%s: id must be a string", shown)
			}
			m.ID = id
			continue
		}
		extra = append(extra, f)
	}
	m.Extra = extra
	m.CreatedAt, m.UpdatedAt, m.ClosedAt = "", "", ""
	return m, nil
}

// maxDocument bounds a document read from a file or stdin.
const maxDocument = 1 << 20

func readLimited(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n+1))
}

// resolveEditOwner turns --owner @me into the user's email.
func (s *session) resolveEditOwner(e *fieldEdits) error {
	owner, ok := e.text[milestone.KeyOwner]
	if !ok {
		return nil
	}
	o, err := s.resolveOwner(owner)
	if err != nil {
		return err
	}
	e.text[milestone.KeyOwner] = o
	return nil
}

// oneLine shortens a title for a commit subject without splitting a
// character: at most 57 display columns, cut between graphemes.
func oneLine(s string) string {
	if displayWidth(s) <= 60 {
		return s
	}
	return strings.TrimSuffix(truncateWidth(s, 58), "…") + "..."
}

// checkDependencies refuses, inside the transaction, a depends_on of m
// that names no milestone or closes a cycle. old is the list before the
// change: only entries added are checked for existence, so a milestone
// with a reference left dangling by hand can still be edited.
func checkDependencies(tx storage.Tx, m *milestone.Milestone, old []string) error {
	var added []string
	for _, d := range m.DependsOn {
		if !contains(old, d) {
			added = append(added, d)
		}
	}
	if len(added) == 0 {
		return nil
	}
	for _, d := range added {
		if d == m.ID {
			return refused("depends_on %s: a milestone cannot depend on itself", d)
		}
	}
	all, _, err := tx.All()
	if err != nil {
		return err
	}
	graph := map[string][]string{}
	for _, r := range all {
		graph[r.Milestone.ID] = r.Milestone.DependsOn
	}
	graph[m.ID] = m.DependsOn
	for _, d := range added {
		if _, ok := graph[d]; !ok {
			return refused("depends_on %s: no milestone %q", d, d)
		}
	}
	if cycle := findCycle(graph, m.ID); cycle != nil {
		return refused("depends_on: a dependency cycle: %s", strings.Join(cycle, " -> "))
	}
	return nil
}

// findCycle returns a path start -> ... -> start through graph, or nil.
func findCycle(graph map[string][]string, start string) []string {
	visited := map[string]bool{}
	var path []string
	var walk func(id string) bool
	walk = func(id string) bool {
		path = append(path, id)
		for _, d := range graph[id] {
			if d == start {
				path = append(path, d)
				return true
			}
			if !visited[d] {
				visited[d] = true
				if walk(d) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if walk(start) {
		return path
	}
	return nil
}

// resolveArgs resolves ID arguments (ids or unique prefixes) to ids, once each, in order.
func (s *session) resolveArgs(ctx context.Context, args []string) ([]string, error) {
	var ids []string
	for _, arg := range args {
		id, err := s.resolve(ctx, arg)
		if err != nil {
			return nil, err
		}
		if !contains(ids, id) {
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

func newRmCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove milestones (they stay in git history; one commit)",
		ArgsUsage: "ID...",
		Description: `A milestone others depend on is not removed: the command names them.
With --force it is, and the depends_on entries naming it are dropped in the
same commit.`,
		Flags: append(commitFlags(),
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove even when other milestones depend on it, dropping their references"},
			&cli.BoolFlag{Name: "json", Usage: `print what was written: {"removed":[ids],"updated":[milestones whose depends_on lost them]}`},
		),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "ID... [--force]"); err != nil {
				return err
			}
			return runRm(c.Context, env, rmOptions{mutateOptions: mutateOptionsOf(c), Force: c.Bool("force")})
		},
	}
}

// rmOptions are rm's arguments and flags.
type rmOptions struct {
	mutateOptions
	Force bool // remove even when others depend on them, dropping the references
}

// runRm removes the milestones opts.IDs name, in one commit.
func runRm(ctx context.Context, env *Env, opts rmOptions) error {
	s, ids, err := openResolved(ctx, env, opts.IDs)
	if err != nil {
		return err
	}
	defer s.close()
	var updated []storage.Record
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: ids, NoCommit: opts.NoCommit, Message: batchMessage(opts.Message, ids, "remove"),
	}, func(tx storage.Tx) error {
		updated = nil
		all, _, err := tx.All()
		if err != nil {
			return err
		}
		var dependents []storage.Record
		var names []string
		for _, r := range all {
			if contains(ids, r.Milestone.ID) {
				continue
			}
			for _, d := range r.Milestone.DependsOn {
				if contains(ids, d) {
					dependents = append(dependents, r)
					names = append(names, fmt.Sprintf("%s (depends on %s)", r.Milestone.ID, d))
					break
				}
			}
		}
		if len(dependents) > 0 && !opts.Force {
			return refused("rm: other milestones depend on it: %s; use --force to remove it and drop those references", strings.Join(names, ", "))
		}
		for _, id := range ids {
			if err := tx.Delete(id); err != nil {
				return err
			}
		}
		for _, r := range dependents {
			m := r.Milestone.Clone()
			var keep []string
			for _, d := range m.DependsOn {
				if !contains(ids, d) {
					keep = append(keep, d)
				}
			}
			m.DependsOn = keep
			m.UpdatedAt = s.now()
			src, err := format.Rewrite(r.Path, r.Source, m)
			if err != nil {
				return err
			}
			if err := tx.Put(m, src); err != nil {
				return err
			}
			updated = append(updated, storage.Record{Milestone: m, Path: r.Path})
		}
		return nil
	})
	var events []eventlog.Event
	for _, id := range ids {
		events = append(events, eventlog.Event{Event: eventlog.MilestoneDeleted, MilestoneID: id})
	}
	for _, r := range updated {
		events = append(events, eventlog.Event{Event: eventlog.MilestoneUpdated, MilestoneID: r.Milestone.ID, Details: map[string]any{"change": "drop depends_on"}})
	}
	s.record("rm", err == nil, events...)
	if err != nil {
		return err
	}
	if opts.JSON {
		var b strings.Builder
		if err := writeRecordsJSON(&b, updated); err != nil {
			return err
		}
		if err := writeJSON(env.Stdout, map[string]any{"removed": ids, "updated": json.RawMessage(b.String())}); err != nil {
			return err
		}
	}
	what := "Removed " + strings.Join(ids, ", ")
	if len(updated) > 0 {
		var names []string
		for _, r := range updated {
			names = append(names, r.Milestone.ID)
		}
		what += "; dropped from the depends_on of " + strings.Join(names, ", ")
	}
	s.reportCommit(what, res)
	return nil
}

func newMvCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "mv",
		Usage:     "rename a milestone and rewrite every depends_on that names it (one commit)",
		ArgsUsage: "OLD NEW",
		Flags: append(commitFlags(),
			&cli.BoolFlag{Name: "json", Usage: `print what was written: {"from","to","rewritten":[ids of milestones whose depends_on changed]}`}),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 2, 2, "OLD NEW"); err != nil {
				return err
			}
			return runMv(c.Context, env, mvOptions{Old: c.Args().First(), New: c.Args().Get(1),
				Message: c.String("message"), NoCommit: c.Bool("no-commit"), JSON: c.Bool("json")})
		},
	}
}

// mvOptions are mv's arguments and flags.
type mvOptions struct {
	Old      string // id or prefix as typed
	New      string // the new id
	Message  string // the commit message ("": the usual one)
	NoCommit bool
	JSON     bool
}

// runMv renames a milestone and every depends_on naming it, in one commit.
func runMv(ctx context.Context, env *Env, opts mvOptions) error {
	newID := opts.New
	if err := milestone.ValidateID(newID); err != nil {
		return refused("mv: %v", err)
	}
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	oldID, err := s.resolve(ctx, opts.Old)
	if err != nil {
		return err
	}
	if oldID == newID {
		return refused("mv: %s and %s are the same id", oldID, newID)
	}
	var rewritten []string
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: []string{oldID, newID}, NoCommit: opts.NoCommit,
		Message: commitMessage(opts.Message, newID, "rename "+oldID+" to "+newID),
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
	if opts.JSON {
		if err := writeJSON(env.Stdout, map[string]any{"from": oldID, "to": newID, "rewritten": nonNilStrings(rewritten)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout, newID)
	}
	s.reportCommit(fmt.Sprintf("Renamed %s to %s (%d references rewritten)", oldID, newID, len(rewritten)), res)
	return nil
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

// newID chooses an id for a new milestone from its title. A backend that
// can tell whether one id is taken (the file backends: two lstat calls)
// is asked per candidate instead of listing every id.
func (s *session) newID(ctx context.Context, title string) (string, error) {
	if t, ok := s.backend.(storage.IDChecker); ok {
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
