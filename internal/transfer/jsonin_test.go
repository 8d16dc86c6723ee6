package transfer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// What list --all --json prints comes back field for field: unknown keys
// (nested, numbers, booleans), multi-line descriptions, dates, closed ones.
func TestJSONRoundTrip(t *testing.T) {
	input := `[
  {"id":"api","title":"API: \"freeze\"","status":"completed","priority":"high","owner":"ana@example.com","start":"2026-10-01","due":"2026-11-01","labels":["api","a, b"],"depends_on":["schema"],"progress":100,"description":"Line 1\nLine 2: # not a comment\n","created_at":"2026-01-01T10:00:00Z","updated_at":"2026-02-01T10:00:00Z","closed_at":"2026-02-01T10:00:00Z","x-cost":{"amount":12.5,"n":3,"ok":true,"tags":["x",null]},"x-note":"yes","path":".milestones/completed/api.yaml"},
  {"id":"beta","title":"Beta","status":"planned","priority":"medium","path":".milestones/active/beta.yaml"}
]`
	in, err := ReadJSON(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	actions, err := Plan(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	stored := records(t, actions) // decodes every document written
	var out bytes.Buffer
	out.WriteString("[\n")
	for i, r := range stored {
		obj, err := r.Milestone.JSON(milestone.Field{Key: "path", Value: r.Path})
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			out.WriteString(",\n")
		}
		out.WriteString("  ")
		out.Write(obj)
	}
	out.WriteString("\n]")
	if out.String() != input {
		t.Fatalf("round trip differs:\n%s\n---\n%s", input, out.String())
	}
	again, _ := ReadJSON(strings.NewReader(input))
	if c := Counts(mustPlan(t, stored, again)); c[Unchanged] != 2 {
		t.Errorf("re-import: %v", c)
	}
}

func mustPlan(t *testing.T, stored []storage.Record, in []Incoming) []Action {
	t.Helper()
	a, err := Plan(stored, in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestJSONBadInput(t *testing.T) {
	for input, want := range map[string]string{
		`not json`:                                        "not a JSON array",
		`[{"id":"Bad Id","title":"x"}]`:                   `entry 1 (id Bad Id): invalid id`,
		`[{"id":"a","title":""}]`:                         "",
		`[{"id":"a","title":"x","status":"doing"}]`:       `status "doing"`,
		`[{"id":"a","title":"x"},{"id":"a","title":"y"}]`: "also given by entry 1",
	} {
		in, err := ReadJSON(strings.NewReader(input))
		if err == nil {
			_, err = Plan(nil, in)
		}
		if want == "" {
			want = "title is empty"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", input, err, want)
		}
	}
}
