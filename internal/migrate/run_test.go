package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// dirMover copies milestones into a folder of real files (the target) and
// "switches" by writing a live marker; it records the calls Run makes and
// fails where told.
type dirMover struct {
	t           *testing.T
	dir         string
	journal     string
	calls       []string
	failAt      string // the call that fails
	corrupt     bool   // ReadBack returns a changed document
	revertFails bool
}

func (d *dirMover) call(name string) error {
	// The journal exists for the whole of the run.
	if _, err := os.Stat(d.journal); err != nil {
		d.t.Errorf("%s: the journal is missing during the run: %v", name, err)
	}
	d.calls = append(d.calls, name)
	if d.failAt == name {
		return fmt.Errorf("%s failed", name)
	}
	return nil
}

func (d *dirMover) Copy(_ context.Context, recs []storage.Record) error {
	if err := d.call("copy"); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(d.dir, "copy"), 0o755); err != nil {
		return err
	}
	for _, r := range recs {
		if err := os.WriteFile(filepath.Join(d.dir, "copy", r.Milestone.ID+".yaml"), r.Source, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (d *dirMover) ReadBack(_ context.Context, v *Verifier) error {
	if err := d.call("readback"); err != nil {
		return err
	}
	// One page per document: the verifier gets the copy in pieces.
	paths, _ := filepath.Glob(filepath.Join(d.dir, "copy", "*.yaml"))
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if d.corrupt {
			src = []byte(strings.Replace(string(src), "title: One", "title: Changed", 1))
		}
		m, err := format.Decode(p, src)
		if err != nil {
			return err
		}
		v.Check([]storage.Record{{Milestone: m, Source: src}})
	}
	return nil
}

func (d *dirMover) Undo(context.Context) {
	d.call("undo")
	os.RemoveAll(filepath.Join(d.dir, "copy"))
}

func (d *dirMover) Switch(context.Context) (storage.Result, error) {
	if err := d.call("switch"); err != nil {
		return storage.Result{}, err
	}
	return storage.Result{Commit: "c0ffee"}, os.WriteFile(filepath.Join(d.dir, "live"), []byte("target"), 0o644)
}

func (d *dirMover) After(context.Context) error { return d.call("after") }

func (d *dirMover) Revert(context.Context) (bool, error) {
	d.call("revert")
	if d.revertFails {
		return true, errors.New("revert failed")
	}
	return true, os.WriteFile(filepath.Join(d.dir, "live"), []byte("source"), 0o644)
}

func records(t *testing.T) []storage.Record {
	var out []storage.Record
	for _, doc := range []string{"title: One\nstatus: planned\n", "title: Two\nstatus: active\npriority: high\n"} {
		id := strings.ToLower(strings.Fields(strings.TrimPrefix(doc, "title: "))[0])
		src := []byte(doc)
		m, err := format.Decode(id+".yaml", src)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, storage.Record{Milestone: m, Source: src})
	}
	return out
}

func TestRun(t *testing.T) {
	for _, c := range []struct {
		name        string
		failAt      string
		corrupt     bool
		rollback    bool
		backupFails bool
		revertFails bool
		wantCalls   string
		wantSteps   []int
		wantErr     string // "failed", "switched", "reverted" or ""
		wantLive    string
	}{
		{name: "ok", rollback: true, wantCalls: "copy readback switch after", wantSteps: []int{1, 2, 3, 4, 5}, wantLive: "target"},
		{name: "backup fails: nothing to undo", backupFails: true, rollback: true, wantCalls: "", wantSteps: []int{1}, wantErr: "failed"},
		{name: "copy fails: undone", failAt: "copy", rollback: true, wantCalls: "copy undo", wantSteps: []int{1, 2}, wantErr: "failed"},
		{name: "copy fails, no rollback: left", failAt: "copy", wantCalls: "copy", wantSteps: []int{1, 2}, wantErr: "failed"},
		{name: "verification fails: undone", corrupt: true, rollback: true, wantCalls: "copy readback undo", wantSteps: []int{1, 2, 3}, wantErr: "failed"},
		{name: "switch fails: undone", failAt: "switch", rollback: true, wantCalls: "copy readback switch undo", wantSteps: []int{1, 2, 3, 4}, wantErr: "failed"},
		{name: "after fails: reverted", failAt: "after", rollback: true, wantCalls: "copy readback switch after revert", wantSteps: []int{1, 2, 3, 4, 5}, wantErr: "reverted", wantLive: "source"},
		{name: "after fails, no rollback: switched", failAt: "after", wantCalls: "copy readback switch after", wantSteps: []int{1, 2, 3, 4, 5}, wantErr: "switched", wantLive: "target"},
		{name: "after and revert fail", failAt: "after", revertFails: true, rollback: true, wantCalls: "copy readback switch after revert", wantSteps: []int{1, 2, 3, 4, 5}, wantErr: "switched", wantLive: "target"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			journal := filepath.Join(dir, "journal.json")
			mv := &dirMover{t: t, dir: dir, journal: journal, failAt: c.failAt, corrupt: c.corrupt, revertFails: c.revertFails}
			var steps []int
			backupDir := filepath.Join(dir, "backup")
			res, err := Run(context.Background(), Pipeline{
				Mover: mv, Records: records(t), Rollback: c.rollback,
				Backup: func([]storage.Record) error {
					if c.backupFails {
						return errors.New("disk full")
					}
					_, err := Backup(safefs.New(dir, ""), "backup", records(t))
					return err
				},
				Journal:     Journal{From: "file", To: "database", ToType: "sqlite", Rollback: c.rollback},
				JournalPath: journal,
				Step:        func(n int) { steps = append(steps, n) },
			})
			if got := strings.Join(mv.calls, " "); got != c.wantCalls {
				t.Errorf("calls %q, want %q", got, c.wantCalls)
			}
			if !reflect.DeepEqual(steps, c.wantSteps) {
				t.Errorf("steps %v, want %v", steps, c.wantSteps)
			}
			var failed *FailedError
			var switched *SwitchedError
			switch c.wantErr {
			case "":
				if err != nil || res.Commit != "c0ffee" {
					t.Fatalf("got %+v, %v", res, err)
				}
			case "failed":
				if !errors.As(err, &failed) || failed.Rolled != c.rollback || res.Commit != "" {
					t.Fatalf("want a failure before the switch (rolled %v), got %+v, %v", c.rollback, res, err)
				}
			case "switched", "reverted":
				if !errors.As(err, &switched) || switched.Reverted != (c.wantErr == "reverted") || res.Commit == "" {
					t.Fatalf("want a failure after the switch (reverted %v), got %+v, %#v", c.wantErr == "reverted", res, err)
				}
			}
			live, _ := os.ReadFile(filepath.Join(dir, "live"))
			if string(live) != c.wantLive {
				t.Errorf("live %q, want %q", live, c.wantLive)
			}
			if _, err := os.Stat(journal); !os.IsNotExist(err) {
				t.Errorf("the journal outlived the run: %v", err)
			}
			// The copy is gone exactly when it was undone.
			_, cerr := os.Stat(filepath.Join(dir, "copy"))
			undone := strings.Contains(strings.Join(mv.calls, " "), "undo")
			if undone != os.IsNotExist(cerr) && strings.Contains(c.wantCalls, "copy") && c.failAt != "copy" {
				t.Errorf("undo called %v, copy present %v", undone, cerr == nil)
			}
			if !c.backupFails {
				if _, err := os.Stat(filepath.Join(backupDir, BackupFile)); err != nil {
					t.Errorf("no backup: %v", err)
				}
			}
		})
	}
}
