package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

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
		Flags:     commitFlags(),
		Action: func(c *cli.Context) error {
			s, id, err := openWithID(c, env, "ID", open)
			if err != nil {
				return err
			}
			defer s.close()
			rec, err := s.backend.Get(c.Context, id)
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
			res, err := s.update(c.Context, storage.UpdateOptions{
				Lock: []string{id}, NoCommit: c.Bool("no-commit"), Message: commitMessage(c.String("message"), id, "edit"),
			}, func(tx storage.Tx) error {
				cur, err := tx.Get(id)
				if err != nil {
					return err
				}
				if !bytes.Equal(cur.Source, rec.Source) {
					return fmt.Errorf("%s changed while it was being edited; your edit was not saved", cur.Path)
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
				src, err := format.Rewrite(cur.Path, edited, m)
				if err != nil {
					return err
				}
				return tx.Put(m, src)
			})
			s.record("edit", err == nil, eventlog.Event{Event: eventlog.MilestoneUpdated, MilestoneID: id, Details: map[string]any{"change": "edit"}})
			if err != nil {
				return err
			}
			s.reportCommit(id+": edited", res)
			return nil
		},
	}
}

// runEditor opens the document in the editor until it is valid. It returns
// nil when nothing changed, and refuses when the user leaves an invalid
// document unchanged (gives up).
func (s *session) runEditor(rec storage.Record) ([]byte, milestone.Milestone, error) {
	dir, err := os.MkdirTemp("", "git-milestone-edit-")
	if err != nil {
		return nil, milestone.Milestone{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, rec.Milestone.ID+".yaml")
	if err := os.WriteFile(file, rec.Source, 0o600); err != nil {
		return nil, milestone.Milestone{}, err
	}
	prev := rec.Source
	for {
		cmd := exec.Command("sh", "-c", s.editor()+` "$@"`, "editor", file)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = s.env.Stdin, s.env.Stdout, s.env.Stderr
		if err := cmd.Run(); err != nil {
			return nil, milestone.Milestone{}, fmt.Errorf("editor %q failed: %w (nothing saved)", s.editor(), err)
		}
		edited, err := os.ReadFile(file)
		if err != nil {
			return nil, milestone.Milestone{}, err
		}
		if bytes.Equal(edited, rec.Source) {
			return nil, milestone.Milestone{}, nil
		}
		m, derr := format.Decode(rec.Path, edited)
		if derr == nil {
			return edited, m, nil
		}
		if bytes.Equal(edited, prev) && !bytes.Equal(prev, rec.Source) {
			return nil, milestone.Milestone{}, &refusedError{fmt.Errorf("%w (left unchanged in the editor: nothing saved)", derr)}
		}
		fmt.Fprintf(s.env.Stderr, "%v\nre-opening the editor: fix the document, or save it unchanged to give up\n", derr)
		prev = edited
	}
}
