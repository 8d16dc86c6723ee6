package migrate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func rec(id, src string) storage.Record {
	return storage.Record{Milestone: milestone.Milestone{ID: id, Title: "T " + id, Status: milestone.Active, Priority: milestone.Medium}, Source: []byte(src)}
}

func TestVerify(t *testing.T) {
	src := []storage.Record{rec("a", "title: T a\n"), rec("b", "title: T b\n")}
	tests := []struct {
		name string
		dst  []storage.Record
		want string
	}{
		{"same", []storage.Record{rec("b", "title: T b\n"), rec("a", "title: T a\n")}, ""},
		{"missing", []storage.Record{rec("a", "title: T a\n")}, "b: missing in the copy"},
		{"extra", append([]storage.Record{rec("c", "x")}, src...), "c: only in the copy"},
		{"content", []storage.Record{rec("a", "title: T a\n# changed\n"), rec("b", "title: T b\n")}, "a: document content differs"},
	}
	shifted := rec("b", "title: T b\n")
	shifted.Milestone.Owner = "someone"
	tests = append(tests, struct {
		name string
		dst  []storage.Record
		want string
	}{"fields", []storage.Record{rec("a", "title: T a\n"), shifted}, "b: fields differ"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(src, tc.dst)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	closed := rec("c", "title: T c\nstatus: completed\n")
	closed.Milestone.Status = milestone.Completed
	n, err := Backup(safefs.New(dir, ""), ".", []storage.Record{rec("a", "title: T a\n"), closed})
	if err != nil || n != 2 {
		t.Fatal(n, err)
	}
	// tar -xf restores the layout of .milestones/
	out := t.TempDir()
	if b, err := exec.Command("tar", "-xf", filepath.Join(dir, BackupFile), "-C", out).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "completed", "c.yaml")); string(b) != "title: T c\nstatus: completed\n" {
		t.Fatalf("backup content %q", b)
	}
	m, _ := os.ReadFile(filepath.Join(out, "MANIFEST"))
	if !strings.Contains(string(m), "active/a.yaml") || !strings.Contains(string(m), Hash(closed)) {
		t.Fatalf("manifest %s", m)
	}
	if _, err := Backup(safefs.New(t.TempDir(), ""), ".", []storage.Record{rec("../evil", "x")}); err == nil {
		t.Fatal("a hostile id was written")
	}
}
