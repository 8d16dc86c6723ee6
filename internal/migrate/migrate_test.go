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

// TestSameFieldsSeesEveryKnownField changes each field of the field table
// in turn: the direct comparison must see every one (a field added to the
// table and forgotten there would let Verify pass a copy that lost it).
func TestSameFieldsSeesEveryKnownField(t *testing.T) {
	p := 3
	base := milestone.Milestone{ID: "a", Title: "T", Status: milestone.Active, Priority: milestone.High,
		Owner: "o", Start: "2026-01-01", Due: "2026-02-01", Labels: []string{"x"}, DependsOn: []string{"b"},
		Progress: &p, Description: "d", CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-02T00:00:00Z",
		ClosedAt: "2026-01-03T00:00:00Z"}
	if !sameFields(&base, &base) || !milestone.SameKnown(&base, &base) {
		t.Fatal("a milestone differs from itself")
	}
	for _, f := range milestone.Fields {
		changed := base.Clone()
		var v any = "changed"
		switch f.Kind {
		case milestone.KindList:
			v = []string{"changed"}
		case milestone.KindInt:
			v = 99
		}
		if !changed.SetKnown(f.Key, v, true) {
			t.Fatalf("%s: not settable", f.Key)
		}
		if milestone.SameKnown(&base, &changed) || sameFields(&base, &changed) {
			t.Errorf("a change of %s is not seen", f.Key)
		}
	}
	empty, nilLists := base.Clone(), base.Clone()
	empty.Labels, nilLists.Labels = []string{}, nil
	if !sameFields(&empty, &nilLists) {
		t.Error("an empty list differs from none")
	}
	withExtra := base.Clone()
	withExtra.Extra = []milestone.Field{{Key: "x-cost", Value: 1}}
	if sameFields(&base, &withExtra) {
		t.Error("an unknown key is not seen")
	}
}
