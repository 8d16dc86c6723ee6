package transfer

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// records stores a plan's results as a store would hold them.
func records(t *testing.T, actions []Action) []storage.Record {
	t.Helper()
	var out []storage.Record
	for _, a := range actions {
		path := ".milestones/" + a.M.Status.Folder() + "/" + a.M.ID + ".yaml"
		m, err := format.Decode(path, a.Src)
		if err != nil {
			t.Fatalf("%s does not decode: %v\n%s", a.M.ID, err, a.Src)
		}
		if same, _ := Equal(&m, &a.M); !same {
			t.Fatalf("%s: the document does not decode to the planned milestone:\n%s", a.M.ID, a.Src)
		}
		out = append(out, storage.Record{Milestone: m, Source: a.Src, Path: path})
	}
	return out
}

func TestGitHubImport(t *testing.T) {
	data := readFixture(t, "github-milestones.json")
	for _, tc := range []struct {
		zone, due string
	}{{"UTC", "2026-12-14"}, {"Asia/Tokyo", "2026-12-15"}, {"America/Los_Angeles", "2026-12-14"}} {
		in, err := ReadRemote(bytes.NewReader(data), GitHub, mustZone(t, tc.zone))
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != 3 || in[0].M.Due != tc.due {
			t.Errorf("%s: due %q, want %q", tc.zone, in[0].M.Due, tc.due)
		}
	}
	in, err := ReadRemote(bytes.NewReader(data), GitHub, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	actions, err := Plan(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	v1, beta, someday := actions[0].M, actions[1].M, actions[2].M
	if v1.ID != "v1-0" || v1.Status != milestone.Active || v1.Progress == nil || *v1.Progress != 66 ||
		v1.Description != "Tracking milestone for version 1.0" || v1.CreatedAt != "2026-04-10T20:09:31Z" || v1.ClosedAt != "" {
		t.Errorf("v1.0: %+v", v1)
	}
	gh, _ := v1.Get("x-github")
	if want := map[string]any{"number": 1, "url": "https://github.com/octo-org/hello-world/milestone/1", "creator": "octocat"}; !jsonEqual(gh, want) {
		t.Errorf("x-github = %#v", gh)
	}
	if beta.Status != milestone.Completed || beta.ClosedAt != "2026-03-01T12:00:00Z" || *beta.Progress != 100 || beta.Title != `v0.9, "the beta"` {
		t.Errorf("beta: %+v", beta)
	}
	if someday.Progress != nil || someday.Due != "2027-01-01" {
		t.Errorf("someday (no issues: no progress): %+v", someday)
	}
	for _, a := range actions {
		if a.Kind != Create {
			t.Errorf("%s: %s", a.M.ID, a.Kind)
		}
	}

	// Re-import: nothing changes.
	stored := records(t, actions)
	again, _ := ReadRemote(bytes.NewReader(data), GitHub, time.UTC)
	actions2, err := Plan(stored, again)
	if err != nil {
		t.Fatal(err)
	}
	if c := Counts(actions2); c[Unchanged] != 3 {
		t.Fatalf("re-import: %v", c)
	}

	// Local edits of fields GitHub does not own survive; a remote rename
	// and a due change update the same milestone (matched by number).
	stored[0].Milestone.Priority = milestone.High
	stored[0].Milestone.Owner = "ana@example.com"
	stored[0].Milestone.Status = milestone.Blocked
	stored[0].Source = append([]byte("# kept comment\n"), format.Encode(stored[0].Milestone)...)
	var raw []map[string]any
	json.Unmarshal(data, &raw)
	raw[0]["title"] = "v1.0 final"
	raw[0]["due_on"] = "2026-12-20T15:00:00Z"
	changed, _ := json.Marshal(raw)
	again, _ = ReadRemote(bytes.NewReader(changed), GitHub, time.UTC)
	actions3, err := Plan(stored, again)
	if err != nil {
		t.Fatal(err)
	}
	if c := Counts(actions3); c[Update] != 1 || c[Unchanged] != 2 {
		t.Fatalf("changed entry: %v", c)
	}
	u := actions3[0]
	if u.Kind != Update || u.M.ID != "v1-0" || u.M.Title != "v1.0 final" || u.M.Due != "2026-12-20" ||
		u.M.Priority != milestone.High || u.M.Owner != "ana@example.com" || u.M.Status != milestone.Blocked {
		t.Errorf("update: %+v", u.M)
	}
	if !bytes.HasPrefix(u.Src, []byte("# kept comment\n")) {
		t.Errorf("the update rewrote the document instead of splicing:\n%s", u.Src)
	}

	// Closed on GitHub: completed here.
	raw[0]["state"] = "closed"
	raw[0]["closed_at"] = "2026-12-21T10:00:00Z"
	changed, _ = json.Marshal(raw)
	again, _ = ReadRemote(bytes.NewReader(changed), GitHub, time.UTC)
	actions4, _ := Plan(stored, again)
	if m := actions4[0].M; m.Status != milestone.Completed || m.ClosedAt != "2026-12-21T10:00:00Z" {
		t.Errorf("closed remotely: %+v", m)
	}
}

func TestGitLabImport(t *testing.T) {
	in, err := ReadRemote(bytes.NewReader(readFixture(t, "gitlab-milestones.json")), GitLab, mustZone(t, "Asia/Tokyo"))
	if err != nil {
		t.Fatal(err)
	}
	actions, err := Plan(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	a, b := actions[0].M, actions[1].M
	if a.ID != "10-0" || a.Status != milestone.Active || a.Due != "2026-11-29" || a.Start != "2026-11-10" ||
		a.CreatedAt != "2026-10-02T09:24:18Z" || a.Progress != nil {
		t.Errorf("10.0: %+v", a)
	}
	gl, _ := a.Get("x-gitlab")
	if want := map[string]any{"iid": 3, "id": 12, "url": "https://gitlab.com/weekly/awesome/-/milestones/3"}; !jsonEqual(gl, want) {
		t.Errorf("x-gitlab = %#v", gl)
	}
	if b.Status != milestone.Completed || b.ClosedAt != "2026-06-02T09:24:18Z" || b.Due != "" {
		t.Errorf("9.0: %+v", b)
	}
	// Export back: the bodies carry the ids, states and dates.
	var out bytes.Buffer
	json.NewEncoder(&out).Encode(ExportRemote([]milestone.Milestone{a, b}, GitLab))
	var bodies []map[string]any
	if err := json.Unmarshal(out.Bytes(), &bodies); err != nil {
		t.Fatal(err)
	}
	if bodies[0]["iid"] != 3.0 || bodies[0]["id"] != 12.0 || bodies[0]["state_event"] != "activate" || bodies[0]["due_date"] != "2026-11-29" ||
		bodies[1]["state"] != "closed" || bodies[1]["due_date"] != nil || bodies[1]["x_id"] != "9-0" {
		t.Errorf("gitlab bodies: %s", out.Bytes())
	}
}

func TestRemoteBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"not JSON", "<html>rate limited</html>", "not JSON"},
		{"no title", `[{"number": 1, "state": "open", "title": "ok"}, {"number": 7, "state": "open"}]`, "github entry 2 (number 7): no title"},
		{"empty title", `[{"number": 4, "state": "open", "title": "  "}]`, "entry 1 (number 4): no title"},
		{"unknown state", `[{"number": 5, "state": "archived", "title": "x"}]`, `entry 1 (number 5): state "archived" is not one of open, closed`},
		{"bad due_on", `[{"number": 6, "state": "open", "title": "x", "due_on": "next week"}]`, `due_on "next week"`},
		{"no number", `[{"state": "open", "title": "x"}]`, "entry 1: no number"},
		{"twice", `[{"number": 1, "state": "open", "title": "x"}, {"number": 1, "state": "open", "title": "y"}]`, "number 1 is also entry 1"},
		{"scalar", `42`, "not a JSON array"},
	} {
		_, err := ReadRemote(strings.NewReader(tc.input), GitHub, time.UTC)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// gh api --paginate prints one array per page.
func TestGitHubPages(t *testing.T) {
	in, err := ReadRemote(strings.NewReader(`[{"number": 1, "state": "open", "title": "a"}]
[{"number": 2, "state": "closed", "title": "b", "closed_at": "2026-01-01T00:00:00Z"}]`), GitHub, time.UTC)
	if err != nil || len(in) != 2 {
		t.Fatalf("%d entries, %v", len(in), err)
	}
}

// An answer to a POST made from export, with the x_id a script added,
// links the new remote milestone to the local one (not the title).
func TestLinkByExportedID(t *testing.T) {
	local := milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.High}
	other := milestone.Milestone{ID: "beta-2", Title: "Public beta", Status: milestone.Planned, Priority: milestone.Low}
	stored := []storage.Record{{Milestone: other, Source: format.Encode(other)}, {Milestone: local, Source: format.Encode(local)}}
	in, err := ReadRemote(strings.NewReader(`{"number": 9, "state": "open", "title": "Public beta", "html_url": "https://github.com/o/r/milestone/9", "x_id": "beta"}`), GitHub, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	actions, err := Plan(stored, in)
	if err != nil {
		t.Fatal(err)
	}
	if a := actions[0]; a.Kind != Update || a.M.ID != "beta" || a.M.Priority != milestone.High {
		t.Fatalf("%s %s %+v", a.Kind, a.M.ID, a.M)
	}
	body := ExportRemote([]milestone.Milestone{actions[0].M}, GitHub).([]GitHubMilestone)
	if body[0].Number == nil || *body[0].Number != 9 || body[0].DueOn != nil || body[0].State != "open" {
		t.Errorf("%+v", body[0])
	}
}

func TestGitHubExportDueOn(t *testing.T) {
	m := milestone.Milestone{ID: "x", Title: "X", Status: milestone.Cancelled, Priority: milestone.Medium, Due: "2026-12-15"}
	body := ExportRemote([]milestone.Milestone{m}, GitHub).([]GitHubMilestone)
	if body[0].State != "closed" || *body[0].DueOn != "2026-12-15T12:00:00Z" || body[0].Number != nil {
		t.Fatalf("%+v", body[0])
	}
	// What GitHub gives back reads as the same date in far zones.
	for _, z := range []string{"Asia/Tokyo", "America/Los_Angeles", "UTC", "Europe/Berlin"} {
		in, err := ReadRemote(strings.NewReader(`[{"number":1,"state":"open","title":"X","due_on":"`+*body[0].DueOn+`"}]`), GitHub, mustZone(t, z))
		if err != nil || in[0].M.Due != "2026-12-15" {
			t.Errorf("%s: %v %v", z, in[0].M.Due, err)
		}
	}
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// The same number in another repository is another milestone.
func TestGitHubMatchNeedsTheSameRepository(t *testing.T) {
	ex := milestone.Milestone{ID: "v1", Title: "v1", Status: milestone.Active, Priority: milestone.Medium,
		Extra: []milestone.Field{{Key: "x-github", Value: map[string]any{"number": 1, "url": "https://github.com/other/repo/milestone/1"}}}}
	stored := []storage.Record{{Milestone: ex, Source: format.Encode(ex)}}
	in, err := ReadRemote(strings.NewReader(`[{"number": 1, "state": "open", "title": "v1", "html_url": "https://github.com/octo-org/hello-world/milestone/1"}]`), GitHub, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	actions, err := Plan(stored, in)
	if err != nil {
		t.Fatal(err)
	}
	if a := actions[0]; a.Kind != Create || a.M.ID != "v1-2" {
		t.Fatalf("%s %s", a.Kind, a.M.ID)
	}
}
