package merge

import (
	"bytes"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

const path = ".milestones/active/beta.yaml"

// doc builds a document from "key: value" lines over a default base.
func doc(lines ...string) string {
	def := []string{
		"title: Public beta",
		"status: planned",
		"priority: medium",
		"owner: ana@example.com",
		"due: 2026-12-15",
		"labels: [release, web]",
		"depends_on: [api-freeze]",
		"progress: 40",
		"description: |\n  one\n  two\n  three\n  four\n  five",
		"created_at: 2026-01-01T00:00:00Z",
		"updated_at: 2026-01-01T00:00:00Z",
		"x-team: core",
	}
	for _, l := range lines {
		key, _, _ := strings.Cut(l, ":")
		replaced := false
		for i, d := range def {
			if strings.HasPrefix(d, key+":") {
				def[i], replaced = l, true
			}
		}
		if !replaced {
			def = append(def, l)
		}
	}
	var out []string
	for _, d := range def {
		if !strings.HasSuffix(d, ":-") { // "key:-" removes key
			out = append(out, d)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func decode(t *testing.T, src []byte) milestone.Milestone {
	t.Helper()
	m, err := format.Decode(path, src)
	if err != nil {
		t.Fatalf("decode:\n%s\n%v", src, err)
	}
	return m
}

// resolve takes one side of every conflict block in text.
func resolve(text []byte, ours bool) []byte {
	var out []string
	state := 0 // 0 outside, 1 ours, 2 theirs
	for _, l := range SplitLines(text) {
		switch {
		case strings.HasPrefix(l, "<<<<<<<"):
			state = 1
		case strings.HasPrefix(l, "=======") && state == 1:
			state = 2
		case strings.HasPrefix(l, ">>>>>>>") && state == 2:
			state = 0
		case state == 0, state == 1 && ours, state == 2 && !ours:
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, ""))
}

func TestMergeRules(t *testing.T) {
	base := doc()
	tests := []struct {
		name         string
		ours, theirs string
		base         *string
		check        func(t *testing.T, m milestone.Milestone)
		conflicts    []string // conflicting fields; nil means clean
	}{
		{name: "priority and status from each side", ours: doc("priority: high"), theirs: doc("status: active"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Priority != "high" || m.Status != "active" {
					t.Errorf("priority %s status %s", m.Priority, m.Status)
				}
			}},
		{name: "same change on both sides", ours: doc("title: Beta", "x-new: 1"), theirs: doc("title: Beta", "x-new: 1"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Title != "Beta" {
					t.Errorf("title %q", m.Title)
				}
			}},
		{name: "title conflict", ours: doc("title: Beta one"), theirs: doc("title: Beta two"), conflicts: []string{"title"}},
		{name: "owner removed on one side", ours: doc("owner:-"), theirs: doc("priority: low"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Owner != "" || m.Priority != "low" {
					t.Errorf("owner %q priority %s", m.Owner, m.Priority)
				}
			}},
		{name: "owner removed vs changed", ours: doc("owner:-"), theirs: doc("owner: bo@example.com"), conflicts: []string{"owner"}},
		{name: "due and progress", ours: doc("due: 2027-01-10"), theirs: doc("progress: 60"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Due != "2027-01-10" || *m.Progress != 60 {
					t.Errorf("due %s progress %d", m.Due, *m.Progress)
				}
			}},
		{name: "progress conflict", ours: doc("progress: 50"), theirs: doc("progress: 70"), conflicts: []string{"progress"}},
		{name: "labels added on both sides", ours: doc("labels: [release, web, api]"), theirs: doc("labels: [release, web, ui]"),
			check: func(t *testing.T, m milestone.Milestone) {
				if got := strings.Join(m.Labels, ","); got != "release,web,api,ui" {
					t.Errorf("labels %s", got)
				}
			}},
		{name: "label removed on one side stays removed", ours: doc("labels: [release]"), theirs: doc("labels: [release, web, ui]"),
			check: func(t *testing.T, m milestone.Milestone) {
				if got := strings.Join(m.Labels, ","); got != "release,ui" {
					t.Errorf("labels %s", got)
				}
			}},
		{name: "all labels removed on one side", ours: doc("labels:-"), theirs: doc("priority: high"),
			check: func(t *testing.T, m milestone.Milestone) {
				if len(m.Labels) != 0 {
					t.Errorf("labels %v", m.Labels)
				}
			}},
		{name: "depends_on as a set", ours: doc("depends_on: [api-freeze, infra]"), theirs: doc("depends_on: [docs]"),
			check: func(t *testing.T, m milestone.Milestone) {
				if got := strings.Join(m.DependsOn, ","); got != "infra,docs" {
					t.Errorf("depends_on %s", got)
				}
			}},
		{name: "created_at keeps the oldest", ours: doc("created_at: 2025-06-01T00:00:00Z"), theirs: doc("created_at: 2025-12-01T00:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.CreatedAt != "2025-06-01T00:00:00Z" {
					t.Errorf("created_at %s", m.CreatedAt)
				}
			}},
		{name: "updated_at takes the later", ours: doc("updated_at: 2026-03-01T00:00:00Z", "title: A"), theirs: doc("updated_at: 2026-02-01T00:00:00+02:00", "owner: bo"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.UpdatedAt != "2026-03-01T00:00:00Z" || m.Title != "A" || m.Owner != "bo" {
					t.Errorf("updated_at %s title %s owner %s", m.UpdatedAt, m.Title, m.Owner)
				}
			}},
		{name: "updated_at compares instants, not text", ours: doc("updated_at: 2026-03-01T10:00:00+02:00"), theirs: doc("updated_at: 2026-03-01T09:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.UpdatedAt != "2026-03-01T09:00:00Z" {
					t.Errorf("updated_at %s", m.UpdatedAt)
				}
			}},
		{name: "created_at keeps the oldest instant across offsets", ours: doc("created_at: 2025-06-01T10:00:00+09:00"), theirs: doc("created_at: 2025-06-01T02:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				// 10:00+09:00 is 01:00Z, older than 02:00Z though its text sorts later.
				if m.CreatedAt != "2025-06-01T10:00:00+09:00" {
					t.Errorf("created_at %s", m.CreatedAt)
				}
			}},
		{name: "created_at keeps the oldest instant, negative offset", ours: doc("created_at: 2025-06-01T00:30:00Z"), theirs: doc("created_at: 2025-05-31T20:00:00-04:00"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.CreatedAt != "2025-05-31T20:00:00-04:00" {
					t.Errorf("created_at %s", m.CreatedAt)
				}
			}},
		{name: "updated_at takes the latest instant across offsets", ours: doc("updated_at: 2026-03-01T23:00:00-05:00"), theirs: doc("updated_at: 2026-03-02T03:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				// 23:00-05:00 is 04:00Z on the 2nd: later than 03:00Z.
				if m.UpdatedAt != "2026-03-01T23:00:00-05:00" {
					t.Errorf("updated_at %s", m.UpdatedAt)
				}
			}},
		{name: "closed_at: the same instant in two offsets is no conflict",
			base:   ptr(doc("status: completed", "closed_at: 2026-02-01T00:00:00Z")),
			ours:   doc("status: completed", "closed_at: 2026-02-01T02:00:00+02:00"),
			theirs: doc("status: completed", "closed_at: 2026-02-01T00:00:00Z", "owner: bo"),
			check: func(t *testing.T, m milestone.Milestone) {
				if !milestone.SameInstant(m.ClosedAt, "2026-02-01T00:00:00Z") || m.Owner != "bo" {
					t.Errorf("closed_at %s owner %s", m.ClosedAt, m.Owner)
				}
			}},
		{name: "close on one side, description edit on the other",
			ours:   doc("status: completed", "closed_at: 2026-02-01T00:00:00Z", "updated_at: 2026-02-01T00:00:00Z"),
			theirs: doc("description: |\n  one\n  two\n  three changed\n  four\n  five", "updated_at: 2026-01-15T00:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Status != "completed" || m.ClosedAt != "2026-02-01T00:00:00Z" || !strings.Contains(m.Description, "three changed") {
					t.Errorf("status %s closed_at %s description %q", m.Status, m.ClosedAt, m.Description)
				}
			}},
		{name: "reopen on one side drops closed_at", base: ptr(doc("status: completed", "closed_at: 2026-02-01T00:00:00Z")),
			ours:   doc("status: active"),
			theirs: doc("status: completed", "closed_at: 2026-02-01T00:00:00Z", "priority: high"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Status != "active" || m.ClosedAt != "" || m.Priority != "high" {
					t.Errorf("status %s closed_at %q priority %s", m.Status, m.ClosedAt, m.Priority)
				}
			}},
		{name: "both close: earliest closed_at",
			ours:   doc("status: completed", "closed_at: 2026-02-03T00:00:00Z"),
			theirs: doc("status: completed", "closed_at: 2026-02-01T00:00:00Z"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.ClosedAt != "2026-02-01T00:00:00Z" {
					t.Errorf("closed_at %s", m.ClosedAt)
				}
			}},
		{name: "completed vs cancelled",
			ours:      doc("status: completed", "closed_at: 2026-02-03T00:00:00Z"),
			theirs:    doc("status: cancelled", "closed_at: 2026-02-01T00:00:00Z"),
			conflicts: []string{"status", "closed_at"}},
		{name: "description edits apart", ours: doc("description: |\n  ONE\n  two\n  three\n  four\n  five"),
			theirs: doc("description: |\n  one\n  two\n  three\n  four\n  FIVE"),
			check: func(t *testing.T, m milestone.Milestone) {
				if m.Description != "ONE\ntwo\nthree\nfour\nFIVE\n" {
					t.Errorf("description %q", m.Description)
				}
			}},
		{name: "description overlapping edits", ours: doc("description: |\n  one\n  two\n  THREE\n  four\n  five"),
			theirs: doc("description: |\n  one\n  two\n  3\n  four\n  five"), conflicts: []string{"description"}},
		{name: "unknown key changed on one side", ours: doc("x-team: platform"), theirs: doc("x-cost: {eur: 10}"),
			check: func(t *testing.T, m milestone.Milestone) {
				if v := get(&m, "x-team"); v.v != "platform" {
					t.Errorf("x-team %v", v.v)
				}
				if v := get(&m, "x-cost"); !v.ok {
					t.Errorf("x-cost lost")
				}
			}},
		{name: "unknown key conflict", ours: doc("x-team: platform"), theirs: doc("x-team: [a, b]"), conflicts: []string{"x-team"}},
		{name: "add/add identical except comments", base: ptr(""), ours: "# ours\n" + doc(), theirs: doc() + "# theirs\n",
			check: func(t *testing.T, m milestone.Milestone) {}},
		{name: "add/add different", base: ptr(""), ours: doc("created_at: 2026-02-01T00:00:00Z"), theirs: doc("labels: [web]"),
			conflicts: []string{"", "labels", "created_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			if tt.base != nil {
				b = *tt.base
			}
			r := Merge([]byte(b), []byte(tt.ours), []byte(tt.theirs), path)
			var fields []string
			for _, c := range r.Conflicts {
				fields = append(fields, c.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tt.conflicts, ",") {
				t.Fatalf("conflicts %q, want %q\n%s", fields, tt.conflicts, r.Content)
			}
			if r.LineMerged {
				t.Errorf("line merged: %v", r.Notes)
			}
			if r.Clean() {
				m := decode(t, r.Content)
				if err := m.Validate(); err != nil {
					t.Fatal(err)
				}
				tt.check(t, m)
				return
			}
			for _, c := range r.Conflicts {
				if c.Msg == "" {
					t.Errorf("conflict %q has no message", c.Field)
				}
			}
			if !bytes.Contains(r.Content, []byte("<<<<<<< ours\n")) || !bytes.Contains(r.Content, []byte(">>>>>>> theirs\n")) {
				t.Fatalf("no markers:\n%s", r.Content)
			}
			// Each side of the markers is a valid document with that side's values.
			for _, side := range []bool{true, false} {
				m := decode(t, resolve(r.Content, side))
				want := decode(t, []byte(tt.theirs))
				if side {
					want = decode(t, []byte(tt.ours))
				}
				for _, f := range tt.conflicts {
					if f != "" && !same(get(&m, f), get(&want, f)) && f != milestone.KeyDescription {
						t.Errorf("side ours=%v: %s = %v, want %v", side, f, get(&m, f), get(&want, f))
					}
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestMergeTitleConflictShowsBothTitles(t *testing.T) {
	r := Merge([]byte(doc()), []byte(doc("title: Beta one")), []byte(doc("title: Beta two")), path)
	want := "<<<<<<< ours\ntitle: Beta one\n=======\ntitle: Beta two\n>>>>>>> theirs\n"
	if !bytes.HasPrefix(r.Content, []byte(want)) {
		t.Fatalf("got:\n%s", r.Content)
	}
	if !strings.Contains(r.Conflicts[0].Msg, `"Beta one"`) || !strings.Contains(r.Conflicts[0].Msg, `"Beta two"`) {
		t.Errorf("message %q", r.Conflicts[0].Msg)
	}
	if _, err := format.Decode(path, r.Content); err == nil {
		t.Error("a conflicted document decodes")
	}
}

func TestMergeDescriptionConflictIsLineWise(t *testing.T) {
	r := Merge([]byte(doc()), []byte(doc("description: |\n  one\n  two\n  THREE\n  four\n  five")),
		[]byte(doc("description: |\n  one\n  two\n  3\n  four\n  five")), path)
	want := "  two\n<<<<<<< ours\n  THREE\n=======\n  3\n>>>>>>> theirs\n  four\n"
	if !bytes.Contains(r.Content, []byte(want)) {
		t.Fatalf("got:\n%s", r.Content)
	}
}

func TestMergeAddAddSuggestsMv(t *testing.T) {
	r := Merge(nil, []byte(doc("title: One")), []byte(doc("title: Two")), path)
	if r.Clean() || r.Conflicts[0].Field != "" {
		t.Fatalf("conflicts %+v", r.Conflicts)
	}
	msg := r.Conflicts[0].Msg
	for _, w := range []string{"both sides added milestone beta", "git milestone mv beta"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
}

func TestMergeKeepsCommentsOfBothSides(t *testing.T) {
	base := "# Roadmap item\ntitle: Public beta\nstatus: planned\npriority: medium\nlabels: [release]\n"
	ours := "# Roadmap item\ntitle: Public beta\n# we started\nstatus: active\npriority: medium\nlabels: [release, web] # web too\n"
	theirs := "# Roadmap item\ntitle: Public beta # final name\nstatus: planned\npriority: high # asked by sales\nlabels: [release, api]\n"
	r := Merge([]byte(base), []byte(ours), []byte(theirs), path)
	if !r.Clean() {
		t.Fatalf("conflicts %+v\n%s", r.Conflicts, r.Content)
	}
	for _, w := range []string{"# Roadmap item", "# final name", "# we started", "# asked by sales", "status: active", "priority: high"} {
		if !bytes.Contains(r.Content, []byte(w)) {
			t.Errorf("lost %q:\n%s", w, r.Content)
		}
	}
	m := decode(t, r.Content)
	if got := strings.Join(m.Labels, ","); got != "release,web,api" {
		t.Errorf("labels %s", got)
	}
}

func TestMergeTrivialCases(t *testing.T) {
	a, b := []byte(doc()), []byte(doc("title: Changed"))
	garbage := []byte("\x00\x01 not yaml: [")
	for _, tt := range []struct {
		name               string
		base, ours, theirs []byte
		want               []byte
	}{
		{"ours unchanged", a, a, b, b},
		{"theirs unchanged", a, b, a, b},
		{"same on both", a, b, b, b},
		{"garbage taken as is when the other side did not change", a, a, garbage, garbage},
	} {
		r := Merge(tt.base, tt.ours, tt.theirs, path)
		if !r.Clean() || !bytes.Equal(r.Content, tt.want) {
			t.Errorf("%s: clean %v content:\n%s", tt.name, r.Clean(), r.Content)
		}
	}
}

func TestMergeUnparsableSideFallsBackToLines(t *testing.T) {
	base := doc()
	broken := strings.Replace(doc("priority: high"), "status: planned", "status: [unclosed", 1)
	tests := []struct {
		name, ours, theirs string
		clean              bool
	}{
		// The line merge is clean but the result still does not decode.
		{"invalid yaml on one side", broken, doc("owner: bo"), false},
		{"conflict markers in a side", strings.Replace(doc(), "title: Public beta", "<<<<<<< HEAD\ntitle: A\n=======\ntitle: B\n>>>>>>> x", 1), doc("owner: bo"), false},
		{"invalid value, line merge fixes nothing", strings.Replace(doc(), "progress: 40", "progress: 400", 1), doc("owner: bo"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Merge([]byte(base), []byte(tt.ours), []byte(tt.theirs), path)
			if !r.LineMerged || len(r.Notes) == 0 {
				t.Fatalf("not line merged: %+v", r)
			}
			if !strings.Contains(r.Notes[0], "ours version") || !strings.Contains(r.Notes[0], path) {
				t.Errorf("note %q does not name the version and file", r.Notes[0])
			}
			if r.Clean() != tt.clean {
				t.Errorf("clean %v, want %v: %+v", r.Clean(), tt.clean, r.Conflicts)
			}
		})
	}
	// A base that does not decode, with clean sides: the line merge decodes.
	r := Merge([]byte(strings.Replace(doc(), "x-team: core", "x-team: [core", 1)), []byte(doc("title: A")), []byte(doc("due: 2027-01-01")), path)
	if !r.LineMerged || !r.Clean() {
		t.Fatalf("%+v\n%s", r, r.Content)
	}
	decode(t, r.Content)
}

// TestMergeBinaryKeepsOurs: binary data, NUL bytes, invalid UTF-8 or an
// oversized version is not merged at all: ours is kept byte for byte and
// the merge is a conflict (the driver exits non-zero, git reports it).
func TestMergeBinaryKeepsOurs(t *testing.T) {
	big := doc("description: |\n  " + strings.Repeat("x", format.MaxDocumentSize))
	for name, sides := range map[string][3]string{
		"NUL in ours":        {doc(), "\x00\x01\x02garbage\n", doc("owner: bo")},
		"NUL in theirs":      {doc(), doc("owner: bo"), "title: T\x00\n"},
		"invalid UTF-8 base": {"title: \xff\xfe\n", doc("owner: bo"), doc("priority: high")},
		"oversized theirs":   {doc(), doc("owner: bo"), big},
	} {
		t.Run(name, func(t *testing.T) {
			r := Merge([]byte(sides[0]), []byte(sides[1]), []byte(sides[2]), path)
			if r.Clean() || r.LineMerged {
				t.Fatalf("clean %v, line merged %v", r.Clean(), r.LineMerged)
			}
			if !bytes.Equal(r.Content, []byte(sides[1])) {
				t.Errorf("ours not kept")
			}
			if len(r.Conflicts) == 0 || !strings.Contains(r.Conflicts[0].Msg, path) {
				t.Errorf("conflict does not name the file: %+v", r.Conflicts)
			}
		})
	}
}

// TestMergeUnparsableSideIsAConflict: a side that does not parse is never
// merged silently, even when the line merge is clean and decodes.
func TestMergeUnparsableSideIsAConflict(t *testing.T) {
	ours := strings.Replace(doc(), "x-team: core", "x-team: [core", 1)
	r := Merge([]byte(doc()), []byte(ours), []byte(doc("x-team: [core]", "owner: bo")), path)
	if r.Clean() {
		t.Fatalf("clean merge of an unparsable side:\n%s", r.Content)
	}
}

func TestMergeCRLF(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	r := Merge([]byte(crlf(doc())), []byte(crlf(doc("priority: high"))), []byte(crlf(doc("owner: bo"))), path)
	if !r.Clean() {
		t.Fatalf("%+v", r.Conflicts)
	}
	m := decode(t, r.Content)
	if m.Priority != "high" || m.Owner != "bo" {
		t.Errorf("%+v", m)
	}
	if bytes.Count(r.Content, []byte("\n")) != bytes.Count(r.Content, []byte("\r\n")) {
		t.Errorf("line endings mixed:\n%q", r.Content)
	}
}

func TestMergeLabelsInBlockStyle(t *testing.T) {
	base := "title: T\nlabels:\n  - a\n  - b\n"
	ours := "title: T\nlabels:\n  - a\n  - b\n  - c\n"
	theirs := "title: T\nlabels:\n  - b\n"
	r := Merge([]byte(base), []byte(ours), []byte(theirs), path)
	if !r.Clean() {
		t.Fatal(r.Conflicts)
	}
	if got := strings.Join(decode(t, r.Content).Labels, ","); got != "b,c" {
		t.Errorf("labels %s\n%s", got, r.Content)
	}
}

func BenchmarkMerge(b *testing.B) {
	base := []byte(doc())
	ours := []byte("# a comment\n" + doc("status: active", "labels: [release, web, api]", "updated_at: 2026-02-01T00:00:00Z"))
	theirs := []byte(doc("priority: high", "description: |\n  one\n  two\n  three\n  four\n  five\n  six", "updated_at: 2026-02-02T00:00:00Z"))
	for i := 0; i < b.N; i++ {
		if r := Merge(base, ours, theirs, path); !r.Clean() {
			b.Fatal(r.Conflicts)
		}
	}
}

func BenchmarkMergeConflict(b *testing.B) {
	base, ours, theirs := []byte(doc()), []byte(doc("title: One", "priority: high")), []byte(doc("title: Two", "owner: x"))
	for i := 0; i < b.N; i++ {
		if r := Merge(base, ours, theirs, path); r.Clean() {
			b.Fatal("clean")
		}
	}
}
