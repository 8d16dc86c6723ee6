package safefs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// setup makes work/.milestones with a victim file outside it, and
// returns the tree and the victim's path.
func setup(t *testing.T) (Tree, string) {
	t.Helper()
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "work", ".milestones")
	if err := os.MkdirAll(filepath.Join(dir, "locks"), 0o755); err != nil {
		t.Fatal(err)
	}
	return New(dir, ".milestones"), victim
}

func assertVictim(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != "precious\n" {
		t.Fatalf("victim changed: %q %v", b, err)
	}
}

func TestRefusesLinksAndSpecialFiles(t *testing.T) {
	ops := map[string]func(Tree, string) error{
		"OpenFile create": func(tr Tree, rel string) error {
			f, err := tr.OpenFile(rel, os.O_RDWR|os.O_CREATE, 0o666)
			if err == nil {
				f.Write([]byte("x"))
				f.Close()
			}
			return err
		},
		"ReadFile":  func(tr Tree, rel string) error { _, err := tr.ReadFile(rel); return err },
		"WriteFile": func(tr Tree, rel string) error { return tr.WriteFile(rel, []byte("x"), 0o644) },
		"CheckFile": func(tr Tree, rel string) error { return tr.CheckFile(rel) },
	}
	plants := map[string]func(t *testing.T, tr Tree, victim string) string{
		"link at file": func(t *testing.T, tr Tree, victim string) string {
			os.Symlink(victim, tr.Path("locks/a.lock"))
			return "locks/a.lock"
		},
		"dangling link at file": func(t *testing.T, tr Tree, victim string) string {
			os.Symlink(victim+".new", tr.Path("locks/a.lock"))
			return "locks/a.lock"
		},
		"link at folder": func(t *testing.T, tr Tree, victim string) string {
			os.Symlink(filepath.Dir(victim), tr.Path("logs"))
			return "logs/victim"
		},
		"fifo at file": func(t *testing.T, tr Tree, victim string) string {
			if err := syscall.Mkfifo(tr.Path("locks/a.lock"), 0o644); err != nil {
				t.Skip(err)
			}
			return "locks/a.lock"
		},
		"hard link at file": func(t *testing.T, tr Tree, victim string) string {
			if err := os.Link(victim, tr.Path("locks/a.lock")); err != nil {
				t.Skip(err)
			}
			return "locks/a.lock"
		},
		"folder at file": func(t *testing.T, tr Tree, victim string) string {
			os.Mkdir(tr.Path("locks/a.lock"), 0o755)
			return "locks/a.lock"
		},
	}
	for pname, plant := range plants {
		for oname, op := range ops {
			t.Run(pname+"/"+oname, func(t *testing.T) {
				tr, victim := setup(t)
				rel := plant(t, tr, victim)
				err := op(tr, rel)
				// A hard link may be read, or replaced by a rename; never
				// written in place.
				harmless := pname == "hard link at file" && (oname == "ReadFile" || oname == "WriteFile")
				if !harmless && !errors.Is(err, ErrRefused) {
					t.Fatalf("got %v, want a refusal", err)
				}
				assertVictim(t, victim)
				if _, err := os.Lstat(victim + ".new"); err == nil {
					t.Fatal("a file was created through a dangling link")
				}
			})
		}
	}
}

func TestTopLinkRefused(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "elsewhere")
	os.MkdirAll(real, 0o755)
	os.MkdirAll(filepath.Join(base, "work"), 0o755)
	top := filepath.Join(base, "work", ".milestones")
	os.Symlink(real, top)
	tr := New(top, ".milestones")
	if err := tr.CheckTop(); !errors.Is(err, ErrRefused) {
		t.Fatalf("CheckTop: %v", err)
	}
	if err := tr.MkdirAll("logs", 0o755); !errors.Is(err, ErrRefused) {
		t.Fatalf("MkdirAll: %v", err)
	}
	if ents, _ := os.ReadDir(real); len(ents) != 0 {
		t.Fatalf("written through the link: %v", ents)
	}
}

func TestRegularUse(t *testing.T) {
	tr, _ := setup(t)
	if err := tr.WriteFile("config/a.yaml", []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := tr.ReadFile("config/a.yaml")
	if err != nil || string(b) != "a: 1\n" {
		t.Fatalf("%q %v", b, err)
	}
	if err := tr.Rename("config/a.yaml", "config/b.yaml"); err != nil {
		t.Fatal(err)
	}
	ents, err := tr.ReadDir("config")
	if err != nil || len(ents) != 1 || ents[0].Name() != "b.yaml" {
		t.Fatalf("%v %v", ents, err)
	}
	if err := tr.Remove("config/b.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ReadFile("../x"); !errors.Is(err, ErrRefused) {
		t.Fatalf("escape: %v", err)
	}
	os.Symlink("/etc/passwd", tr.Path("locks/x"))
	sp, err := tr.Special()
	if err != nil || len(sp) != 1 || sp[0].Path != "locks/x" {
		t.Fatalf("Special: %v %v", sp, err)
	}
}
