package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// editor finds the editor as git does: GIT_EDITOR, core.editor, VISUAL, EDITOR, vi.
func (s *session) editor() string {
	if e := s.env.Getenv("GIT_EDITOR"); e != "" {
		return e
	}
	if e, err := s.repo.ConfigGet("core.editor"); err == nil && e != "" {
		return e
	}
	for _, k := range []string{"VISUAL", "EDITOR"} {
		if e := s.env.Getenv(k); e != "" {
			return e
		}
	}
	return "vi"
}

func newEditCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "edit",
		Usage:     "edit a milestone's YAML in your editor; validated, then committed (re-opened while invalid)",
		ArgsUsage: "ID",
		Description: `Every problem found is written at the top of the text as comments, with its
line, and the editor opens again. If you give up (the editor exits with an
error, or you save the same invalid text twice), your text is kept in
.git/MILESTONE_EDIT-<id>.yaml, whose path is printed, and the command exits 2.`,
		Flags: commitFlags(),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, 1, "ID"); err != nil {
				return err
			}
			return runEdit(c.Context, env, editOptions{ID: c.Args().First(),
				Message: c.String("message"), NoCommit: c.Bool("no-commit")})
		},
	}
}

// editOptions are edit's argument and flags.
type editOptions struct {
	ID       string // id or prefix as typed
	Message  string // the commit message ("": the usual one)
	NoCommit bool
}

// runEdit opens the milestone in the editor until it is valid, then
// writes it in one commit.
func runEdit(ctx context.Context, env *Env, opts editOptions) error {
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	id, err := s.resolve(ctx, opts.ID)
	if err != nil {
		return err
	}
	rec, err := s.backend.Get(ctx, id)
	if err != nil {
		return err
	}
	// The editor runs without any lock held: a user may keep it open
	// for minutes. The write below checks nobody changed the
	// milestone meanwhile.
	edited, m, err := s.runEditor(rec)
	if err != nil {
		return err
	}
	if edited == nil {
		fmt.Fprintf(env.Stderr, "%s: no changes\n", id)
		return nil
	}
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: []string{id}, NoCommit: opts.NoCommit, Message: commitMessage(opts.Message, id, "edit"),
	}, func(tx storage.Tx) error {
		cur, err := tx.Get(id)
		if err != nil {
			return err
		}
		if !bytes.Equal(cur.Source, rec.Source) {
			return fmt.Errorf("%s changed while it was being edited", cur.Path)
		}
		m.ID = id
		// closed_at follows the status, as with close and reopen.
		switch {
		case m.Status.Closed() && m.ClosedAt == "":
			m.ClosedAt = s.now()
		case !m.Status.Closed():
			m.ClosedAt = ""
		}
		m.UpdatedAt = s.now()
		if err := checkDependencies(tx, &m, cur.Milestone.DependsOn); err != nil {
			return err
		}
		src, err := format.Rewrite(cur.Path, edited, m)
		if err != nil {
			return err
		}
		return tx.Put(m, src)
	})
	s.record("edit", err == nil, eventlog.Event{Event: eventlog.MilestoneUpdated, MilestoneID: id, Details: map[string]any{"change": "edit"}})
	if err != nil {
		// The edit is not lost: keep it where the user can take it back.
		return s.keepEdit(id, edited, err)
	}
	s.reportCommit(id+": edited", res)
	return nil
}

// editKeepPath is where a given-up edit of id is kept.
func (s *session) editKeepPath(id string) string {
	return filepath.Join(s.repo.GitDir, "MILESTONE_EDIT-"+id+".yaml")
}

// keepEdit saves text that could not be written and says where, so no
// work is lost; the error is refused (exit 2) or failed as cause is.
func (s *session) keepEdit(id string, text []byte, cause error) error {
	path := s.editKeepPath(id)
	if err := os.WriteFile(path, text, 0o600); err != nil {
		return fmt.Errorf("%w; and your text could not be kept in %s: %v", cause, path, err)
	}
	msg := fmt.Errorf("%w\nnothing saved to the milestone; your text is kept in %s", cause, path)
	if ExitCode(cause) == ExitRefused {
		return &refusedError{msg}
	}
	return msg
}

// editHeader starts the comment lines the editor loop writes above the
// text to list its problems; they are taken off before validating.
const editHeader = "# git-milestone: "

// stripEditHeader removes the problem comments written by runEditor.
func stripEditHeader(text []byte) []byte {
	for bytes.HasPrefix(text, []byte(editHeader)) {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			return nil
		}
		text = text[i+1:]
	}
	return text
}

// documentProblems lists every problem of an edited document, each with
// its line: after each problem found, its line is set aside and the
// document checked again (a syntax error stops the search).
func documentProblems(path string, text []byte) (milestone.Milestone, []format.Error) {
	var problems []format.Error
	work := append([]byte(nil), text...)
	for range 50 {
		m, err := format.Decode(path, work)
		if err == nil {
			if derr := m.CheckDates(); derr != nil {
				problems = append(problems, format.Error{Line: keyLine(work, milestone.KeyStart), Msg: derr.Error()})
			}
			return m, problems
		}
		var fe *format.Error
		if !errors.As(err, &fe) {
			return m, append(problems, format.Error{Msg: err.Error()})
		}
		problems = append(problems, format.Error{Line: fe.Line, Col: fe.Col, Msg: fe.Msg})
		next, ok := setLineAside(work, fe.Line)
		if !ok {
			return m, problems
		}
		work = next
	}
	return milestone.Milestone{}, problems
}

// setLineAside comments out line n (1-based) of a mapping entry, so the
// next check looks past it; a bad title line keeps a placeholder title.
func setLineAside(text []byte, n int) ([]byte, bool) {
	lines := bytes.SplitAfter(text, []byte("\n"))
	if n < 1 || n > len(lines) {
		return nil, false
	}
	l := lines[n-1]
	if len(l) == 0 || l[0] == ' ' || l[0] == '\t' || l[0] == '-' || l[0] == '#' || !bytes.Contains(l, []byte(":")) {
		return nil, false // not a top-level key line: cannot tell what to set aside
	}
	if bytes.HasPrefix(l, []byte(milestone.KeyTitle+":")) {
		lines[n-1] = []byte("title: x\n")
	} else {
		lines[n-1] = []byte("#\n")
	}
	// The value may continue on indented lines: set them aside too.
	for i := n; i < len(lines) && len(lines[i]) > 0 && (lines[i][0] == ' ' || lines[i][0] == '\t' || lines[i][0] == '-'); i++ {
		lines[i] = []byte("#\n")
	}
	return bytes.Join(lines, nil), true
}

// keyLine is the line of a top-level key in text, 0 when absent.
func keyLine(text []byte, key string) int {
	for i, l := range bytes.Split(text, []byte("\n")) {
		if bytes.HasPrefix(l, []byte(key+":")) {
			return i + 1
		}
	}
	return 0
}

// problemHeader is the comment block listing problems above a text; line
// numbers are those of the buffer the user sees (header included).
func problemHeader(problems []format.Error) []byte {
	var b bytes.Buffer
	n := len(problems) + 2
	fmt.Fprintf(&b, "%sthis document has %d problem(s); fix them and save, or save it unchanged to give up:\n", editHeader, len(problems))
	for _, p := range problems {
		where := "  "
		if p.Line > 0 {
			where = fmt.Sprintf("  line %d", p.Line+n)
			if p.Col > 0 {
				where += fmt.Sprintf(", column %d", p.Col)
			}
			where += ": "
		}
		fmt.Fprintf(&b, "%s%s%s\n", editHeader, where, strings.ReplaceAll(p.Msg, "\n", " "))
	}
	fmt.Fprintf(&b, "%s(these lines are removed when you save)\n", editHeader)
	return b.Bytes()
}

// runEditor opens the document in the editor until it is valid, writing
// every problem above the text each time. It returns nil when nothing
// changed. When the user gives up (the editor fails, or the same invalid
// text is saved twice) the text is kept under .git/ and the error says where.
func (s *session) runEditor(rec storage.Record) ([]byte, milestone.Milestone, error) {
	id := rec.Milestone.ID
	dir, err := os.MkdirTemp("", "git-milestone-edit-")
	if err != nil {
		return nil, milestone.Milestone{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, id+".yaml")
	if err := os.WriteFile(file, rec.Source, 0o600); err != nil {
		return nil, milestone.Milestone{}, err
	}
	var prev []byte // the last invalid text, nil before the first save
	for {
		cmd := exec.Command("sh", "-c", s.editor()+` "$@"`, "editor", file)
		cmd.Stdin = s.env.Stdin
		cmd.Stdout, cmd.Stderr = s.env.editorStreams()
		runErr := cmd.Run()
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, milestone.Milestone{}, err
		}
		edited := stripEditHeader(raw)
		if runErr != nil {
			cause := &refusedError{fmt.Errorf("editor %q failed: %v", s.editor(), runErr)}
			if bytes.Equal(edited, rec.Source) {
				return nil, milestone.Milestone{}, fmt.Errorf("%w (nothing saved)", cause)
			}
			return nil, milestone.Milestone{}, s.keepEdit(id, edited, cause)
		}
		if bytes.Equal(edited, rec.Source) {
			return nil, milestone.Milestone{}, nil
		}
		m, problems := documentProblems(rec.Path, edited)
		if len(problems) == 0 {
			return edited, m, nil
		}
		for _, p := range problems {
			p.Path = rec.Path
			fmt.Fprintln(s.env.Stderr, p.Error())
		}
		if prev != nil && bytes.Equal(edited, prev) {
			return nil, milestone.Milestone{}, s.keepEdit(id, edited, &refusedError{errors.New("the same invalid text was saved twice: given up")})
		}
		fmt.Fprintln(s.env.Stderr, "re-opening the editor: fix the document, or save it unchanged to give up")
		if err := os.WriteFile(file, append(problemHeader(problems), edited...), 0o600); err != nil {
			return nil, milestone.Milestone{}, err
		}
		prev = edited
	}
}

// editorStreams flushes buffered stdout and returns the streams an editor
// runs on: the process's own stdout and stderr, not the buffer in front
// of them, so an editor on a terminal sees the terminal (not a pipe) and
// what it prints comes out in order.
func (env *Env) editorStreams() (stdout, stderr io.Writer) {
	env.flush()
	stdout, stderr = env.Stdout, env.Stderr
	if env.term != nil {
		stdout = env.term.raw
	}
	if env.stderrRaw != nil {
		stderr = env.stderrRaw
	}
	return stdout, stderr
}
