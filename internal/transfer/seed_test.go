package transfer

import (
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

const now = "2026-12-03T10:00:00Z"

// convertYAML converts a shell-era document at path and checks that the
// result is a valid document of this tool.
func convertYAML(t *testing.T, path, src string, v Vocabulary) (milestone.Milestone, []string) {
	t.Helper()
	d, err := SeedFromYAML(path, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := ConvertSeed(d, v, now)
	if err != nil {
		t.Fatal(err)
	}
	out := ".milestones/" + inc.M.Status.Folder() + "/" + inc.M.ID + ".yaml"
	back, err := format.Decode(out, format.Encode(inc.M))
	if err != nil {
		t.Fatalf("converted document does not decode: %v\n%s", err, format.Encode(inc.M))
	}
	if same, _ := Equal(&back, &inc.M); !same {
		t.Fatalf("converted document does not round-trip:\n%s", format.Encode(inc.M))
	}
	return inc.M, inc.Notes
}

func seedValue(m milestone.Milestone, key string) any {
	v, _ := m.Get(SeedKey)
	mp, _ := v.(map[string]any)
	return mp[key]
}

// The shell layer's documents: its create_milestone_file writes whatever
// YAML it is given, with the statuses, priorities and field names of its
// era; its delete moves the file to completed/ without touching status.
func TestConvertSeedDocument(t *testing.T) {
	v := NewVocabulary(nil, nil)
	m, notes := convertYAML(t, ".milestones/active/api-freeze.yaml", `id: api-freeze
title: API freeze
status: in_progress
priority: P0
due_date: 2026-12-01
start_date: "2026-11-01"
owner: ana@example.com
dependencies: [schema-v2]
tags: [api, release]
progress: "40%"
team: platform
estimate: {days: 12}
created_at: 2026-11-26T07:00:00Z
`, v)
	if m.ID != "api-freeze" || m.Title != "API freeze" || m.Status != milestone.Active || m.Priority != milestone.Critical ||
		m.Due != "2026-12-01" || m.Start != "2026-11-01" || m.Owner != "ana@example.com" ||
		strings.Join(m.DependsOn, ",") != "schema-v2" || strings.Join(m.Labels, ",") != "api,release" ||
		m.Progress == nil || *m.Progress != 40 || m.CreatedAt != "2026-11-26T07:00:00Z" {
		t.Fatalf("%+v", m)
	}
	if seedValue(m, "status") != "in_progress" || seedValue(m, "priority") != "P0" || seedValue(m, "id") != "api-freeze" || seedValue(m, "progress") != "40%" {
		t.Errorf("originals not kept: %#v", m.Extra)
	}
	if v, ok := m.Get("x-team"); !ok || v != "platform" {
		t.Errorf("x-team = %v", v)
	}
	if v, ok := m.Get("x-estimate"); !ok || !jsonEqual(v, map[string]any{"days": 12}) {
		t.Errorf("x-estimate = %#v", v)
	}
	joined := strings.Join(notes, "\n")
	for _, want := range []string{"status in_progress -> active", "priority P0 -> critical", "due_date -> due", "dependencies -> depends_on", "tags -> labels", "team -> x-team"} {
		if !strings.Contains(joined, want) {
			t.Errorf("notes lack %q:\n%s", want, joined)
		}
	}
}

func TestConvertSeedTable(t *testing.T) {
	v := NewVocabulary(map[string]string{"In Review": "active", "shipped": "completed"}, map[string]string{"urgent!": "critical"})
	for _, tc := range []struct {
		name, path, src         string
		status                  milestone.Status
		priority                milestone.Priority
		closed, keptStatus, due string
	}{
		{"P1..P3", ".milestones/active/a.yaml", "title: A\nstatus: todo\npriority: P1\n", milestone.Planned, milestone.High, "", "todo", ""},
		{"P2", ".milestones/active/a.yaml", "title: A\nstatus: blocked\npriority: p2\n", milestone.Blocked, milestone.Medium, "", "", ""},
		{"P3 done", ".milestones/completed/a.yaml", "title: A\nstatus: done\npriority: P3\nupdated_at: 2026-02-01T00:00:00Z\n", milestone.Completed, milestone.Low, "2026-02-01T00:00:00Z", "done", ""},
		{"deleted by the shell layer", ".milestones/completed/a.yaml", "title: A\nstatus: in_progress\n", milestone.Completed, milestone.Medium, now, "in_progress", ""},
		{"custom words", ".milestones/active/a.yaml", "title: A\nstatus: in-review\npriority: urgent!\n", milestone.Active, milestone.Critical, "", "in-review", ""},
		{"custom closed word", ".milestones/active/a.yaml", "title: A\nstatus: Shipped\n", milestone.Completed, milestone.Medium, now, "Shipped", ""},
		{"cancelled", ".milestones/active/a.yaml", "title: A\nstatus: canceled\n", milestone.Cancelled, milestone.Medium, now, "canceled", ""},
		{"timestamp due", ".milestones/active/a.yaml", "title: A\ndue_date: 2026-12-15T00:00:00Z\n", milestone.Planned, milestone.Medium, "", "", "2026-12-15"},
		{"slashed due", ".milestones/active/a.yaml", "title: A\ndeadline: 2026/12/15\n", milestone.Planned, milestone.Medium, "", "", "2026-12-15"},
		{"capitalised keys", ".milestones/active/a.yaml", "Title: A\nStatus: In Progress\nDue-Date: 2026-12-15\n", milestone.Active, milestone.Medium, "", "", "2026-12-15"},
	} {
		m, _ := convertYAML(t, tc.path, tc.src, v)
		if m.Status != tc.status || m.Priority != tc.priority || m.ClosedAt != tc.closed || m.Due != tc.due {
			t.Errorf("%s: %s %s closed %q due %q", tc.name, m.Status, m.Priority, m.ClosedAt, m.Due)
		}
		if got, _ := seedValue(m, "status").(string); got != tc.keptStatus {
			t.Errorf("%s: x-seed.status = %q, want %q", tc.name, got, tc.keptStatus)
		}
		if (m.Status.Folder() == "completed") != m.Status.Closed() {
			t.Errorf("%s: folder", tc.name)
		}
	}
}

func TestConvertSeedKeepsOriginalKeyNames(t *testing.T) {
	m, notes := convertYAML(t, ".milestones/active/a.yaml", "Title: A\nStatus: In Progress\n", NewVocabulary(nil, nil))
	if m.Title != "A" || seedValue(m, "Status") != "In Progress" || !strings.Contains(strings.Join(notes, "\n"), "Title -> title") {
		t.Errorf("%+v %q", m, notes)
	}
}

// Nothing is dropped: what cannot be read as its field is kept.
func TestConvertSeedKeepsTheUnreadable(t *testing.T) {
	m, notes := convertYAML(t, ".milestones/active/x.yaml", `title: X
status: someday-maybe
priority: P9
due_date: next week
progress: lots
dependencies: ["Not An Id"]
due: 2026-01-01
x-already: kept
`, NewVocabulary(nil, nil))
	if m.Status != milestone.Planned || m.Priority != milestone.Medium || m.Due != "2026-01-01" || m.Progress != nil || m.DependsOn != nil {
		t.Fatalf("%+v", m)
	}
	for key, want := range map[string]any{"status": "someday-maybe", "priority": "P9", "due_date": "next week", "progress": "lots"} {
		if got := seedValue(m, key); got != want {
			t.Errorf("x-seed.%s = %#v, want %#v", key, got, want)
		}
	}
	if !jsonEqual(seedValue(m, "dependencies"), []any{"Not An Id"}) {
		t.Errorf("dependencies: %#v", seedValue(m, "dependencies"))
	}
	if v, _ := m.Get("x-already"); v != "kept" {
		t.Errorf("x-already = %v", v)
	}
	if !strings.Contains(strings.Join(notes, "\n"), `status "someday-maybe" cannot be read as status`) {
		t.Errorf("notes: %q", notes)
	}
}

func TestConvertSeedIDs(t *testing.T) {
	m, notes := convertYAML(t, ".milestones/active/beta.yaml", "id: beta-old\ntitle: Beta\n", NewVocabulary(nil, nil))
	if m.ID != "beta" || seedValue(m, "id") != "beta-old" || !strings.Contains(strings.Join(notes, "\n"), `the file name "beta" wins`) {
		t.Errorf("%s %v %q", m.ID, seedValue(m, "id"), notes)
	}
	// A database row whose id is not a valid id gets a slug; the original stays.
	d, err := SeedFromRow("Release 1.0", []byte(`{"title":"Release","status":"in_progress","priority":"P1","due_date":"2026-12-01","progress":40,"dependencies":["api-freeze"]}`), "2026-11-26 07:00:00", "2026-11-27 08:00:00")
	if err != nil {
		t.Fatal(err)
	}
	inc, err := ConvertSeed(d, NewVocabulary(nil, nil), now)
	if err != nil {
		t.Fatal(err)
	}
	r := inc.M
	if r.ID != "release-1-0" || seedValue(r, "id") != "Release 1.0" || r.Status != milestone.Active || r.Priority != milestone.High ||
		r.CreatedAt != "2026-11-26T07:00:00Z" || r.UpdatedAt != "2026-11-27T08:00:00Z" || *r.Progress != 40 || r.DependsOn[0] != "api-freeze" {
		t.Errorf("%+v", r)
	}
	if _, err := SeedFromRow("x", []byte(`[1]`), "", ""); err == nil || !strings.Contains(err.Error(), `row "x": data is not a JSON object`) {
		t.Errorf("err = %v", err)
	}
	// No title at all: the id is the title (and the note says so).
	inc, err = ConvertSeed(SeedDoc{ID: "nameless", Path: ".milestones/active/nameless.yaml", Folder: "active"}, NewVocabulary(nil, nil), now)
	if err != nil || inc.M.Title != "nameless" || len(inc.Notes) == 0 {
		t.Errorf("%+v %v", inc, err)
	}
}

func TestSeedFromYAMLRefusesBadYAML(t *testing.T) {
	for src, want := range map[string]string{
		"title: [\n":                       ".milestones/active/a.yaml:",
		"- a\n- b\n":                       "must be a mapping",
		"title: a\ntitle: b\n":             "duplicate key title",
		"<<<<<<< ours\ntitle: a\n":         "conflict marker",
		"title: a\n---\ntitle: b\n":        "second YAML document",
		"a: &x [1]\nb: *x\ntitle: ok\n":    "",
		"title: ok\nstatus: in_progress\n": "",
	} {
		_, err := SeedFromYAML(".milestones/active/a.yaml", []byte(src))
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}
