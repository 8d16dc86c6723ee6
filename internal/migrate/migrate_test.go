package migrate

import (
	"bytes"
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

// Verify checks dst against src in one page, as the tests need.
func Verify(src, dst []storage.Record) error {
	v := NewVerifier(src)
	v.Check(dst)
	return v.Err()
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
// in turn: the fingerprints must see every one (a field added to the
// table and forgotten there would let Verify pass a copy that lost it).
func TestSameFieldsSeesEveryKnownField(t *testing.T) {
	p := 3
	base := milestone.Milestone{ID: "a", Title: "T", Status: milestone.Active, Priority: milestone.High,
		Owner: "o", Start: "2026-01-01", Due: "2026-02-01", Labels: []string{"x"}, DependsOn: []string{"b"},
		Progress: &p, Description: "d", CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-02T00:00:00Z",
		ClosedAt: "2026-01-03T00:00:00Z"}
	if !sameFields(&base, &base) {
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
		if sameFields(&base, &changed) {
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

// sameFields compares a and b as a Verifier does: by their fingerprints.
func sameFields(a, b *milestone.Milestone) bool {
	fa, _ := fingerprintOf(&storage.Record{Milestone: *a}, nil)
	fb, _ := fingerprintOf(&storage.Record{Milestone: *b}, nil)
	return fa.sameFields(&fb)
}

// TestFingerprintsAgreeWithJSON: two milestones have the same field
// fingerprint exactly when their JSON objects are equal, which is what
// Verify promises to compare.
func TestFingerprintsAgreeWithJSON(t *testing.T) {
	zero, one := 0, 1
	base := milestone.Milestone{ID: "a", Title: "ab", Status: milestone.Active, Priority: milestone.High, Owner: "c"}
	variants := map[string]func(m *milestone.Milestone){
		"same":              func(*milestone.Milestone) {},
		"text boundary":     func(m *milestone.Milestone) { m.Title, m.Owner = "a", "bc" },
		"id":                func(m *milestone.Milestone) { m.ID = "b" },
		"progress 0":        func(m *milestone.Milestone) { m.Progress = &zero },
		"progress 1":        func(m *milestone.Milestone) { m.Progress = &one },
		"label moved":       func(m *milestone.Milestone) { m.DependsOn = []string{"x"} },
		"label":             func(m *milestone.Milestone) { m.Labels = []string{"x"} },
		"two labels":        func(m *milestone.Milestone) { m.Labels = []string{"x", "y"} },
		"joined labels":     func(m *milestone.Milestone) { m.Labels = []string{"xy"} },
		"unknown key":       func(m *milestone.Milestone) { m.Extra = []milestone.Field{{Key: "x-cost", Value: 1}} },
		"unknown key 2":     func(m *milestone.Milestone) { m.Extra = []milestone.Field{{Key: "x-cost", Value: 2}} },
		"unknown id key":    func(m *milestone.Milestone) { m.Extra = []milestone.Field{{Key: "id", Value: "other"}} },
		"unknown map":       func(m *milestone.Milestone) { m.Extra = []milestone.Field{{Key: "x", Value: map[string]any{"k": 1}}} },
		"unknown map other": func(m *milestone.Milestone) { m.Extra = []milestone.Field{{Key: "x", Value: map[string]any{"k": 2}}} },
	}
	built := map[string]milestone.Milestone{}
	for name, change := range variants {
		m := base.Clone()
		change(&m)
		built[name] = m
	}
	for an, a := range built {
		for bn, b := range built {
			aj, err1 := a.JSON()
			bj, err2 := b.JSON()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if want, got := bytes.Equal(aj, bj), sameFields(&a, &b); got != want {
				t.Errorf("%s / %s: same fields %v, JSON equal %v", an, bn, got, want)
			}
		}
	}
	bad := base.Clone()
	bad.Extra = []milestone.Field{{Key: "x", Value: make(chan int)}} // no JSON for it
	if sameFields(&bad, &bad) {
		t.Error("a milestone whose JSON fails verifies")
	}
}
