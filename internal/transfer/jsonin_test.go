package transfer

import (
	"bytes"
	"fmt"
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

// Entries are read and planned on every CPU, but the error is the one a
// loop in order would meet first, wherever the others are.
func TestFirstErrorInOrder(t *testing.T) {
	entry := func(i int, title, status string) string {
		return fmt.Sprintf(`{"id":"m-%04d","title":%q,"status":%q}`, i, title, status)
	}
	build := func(n int, bad map[int]string) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			switch bad[i] {
			case "title":
				b.WriteString(entry(i, "", "planned"))
			case "status":
				b.WriteString(entry(i, "x", "doing"))
			case "dup":
				b.WriteString(entry(0, "again", "planned"))
			case "id":
				b.WriteString(`{"id":"Bad Id","title":"x"}`)
			default:
				b.WriteString(entry(i, fmt.Sprintf("Milestone %d", i), "planned"))
			}
		}
		b.WriteString("]")
		return b.String()
	}
	for _, c := range []struct {
		bad  map[int]string
		want string
	}{
		{map[int]string{2900: "id", 1500: "id", 700: "title"}, `entry 1501 (id Bad Id): invalid id`}, // read before planned
		{map[int]string{1500: "status", 700: "title", 2900: "title"}, "entry 701 (id m-0700): title is empty"},
		{map[int]string{2999: "title", 2001: "status", 2500: "status"}, `entry 2002 (id m-2001)`},
		{map[int]string{1200: "dup", 1900: "title"}, "entry 1201 (id m-0000): milestone m-0000 is also given by entry 1"},
		{map[int]string{1200: "dup", 1100: "title"}, "entry 1101 (id m-1100): title is empty"},
	} {
		in, err := ReadJSON(strings.NewReader(build(3000, c.bad)))
		if err == nil {
			_, err = Plan(nil, in)
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q...", c.bad, err, c.want)
		}
	}
	in, err := ReadJSON(strings.NewReader(build(3000, nil)))
	if err != nil {
		t.Fatal(err)
	}
	actions := mustPlan(t, nil, in)
	for i, a := range actions {
		if want := fmt.Sprintf("m-%04d", i); a.M.ID != want || a.Kind != Create || !bytes.Contains(a.Src, []byte(fmt.Sprintf("Milestone %d\n", i))) {
			t.Fatalf("action %d: %s %s %q, want %s created", i, a.M.ID, a.Kind, a.Src, want)
		}
	}
}
