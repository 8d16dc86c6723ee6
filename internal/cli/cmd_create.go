package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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
		if flagNames(f)[0] != "title" { // the title is the argument
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
		if opts.SetTitle {
			return refused("create TITLE: %v", err) // name the argument
		}
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
		if !slices.Contains(old, d) {
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
