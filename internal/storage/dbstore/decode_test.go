package dbstore

import (
	"reflect"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// decodeDoc must agree with milestone.FromJSON on every input: same
// milestone, or an error from both.
func checkDecode(t *testing.T, doc []byte) {
	t.Helper()
	want, werr := milestone.FromJSON(doc)
	got, gerr := decodeDoc(string(doc))
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: error %v, FromJSON error %v", doc, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", doc, got, want)
	}
}

func TestDecodeDocMatchesFromJSON(t *testing.T) {
	g := newGenerator(9)
	var ms []milestone.Milestone
	for i := 0; i < 300; i++ {
		ms = append(ms, g.milestone(i))
	}
	ms = append(ms,
		milestone.Milestone{ID: "x", Title: "quote \" backslash \\ nul \x00 soh \x01 tab \t é 🚀 \u2028 <b>&amp;</b>",
			Owner: "a\"b", Labels: []string{"", "\x00", `\`}, DependsOn: []string{"a", "b"}, Progress: intp(0),
			Description: "multi\nline\r\n", Start: "2026-01-01", ClosedAt: "2026-01-02T00:00:00Z",
			Extra: []milestone.Field{
				{Key: "x-str", Value: "v\x00\"w"}, {Key: "x-int", Value: 42}, {Key: "x-neg", Value: -1.5e10},
				{Key: "x-bool", Value: true}, {Key: "x-null", Value: nil}, {Key: "x-list", Value: []any{1, "a", []any{}, map[string]any{}}},
				{Key: "x-map", Value: map[string]any{"k\"}": []any{"]", "}", map[string]any{"z": nil}}}},
				{Key: "x \"quoted\" key", Value: "v"}, {Key: "x-empty", Value: ""}, {Key: "x-last", Value: 7},
			}},
		milestone.Milestone{ID: "y", Title: "t", Extra: []milestone.Field{{Key: "x-obj-last", Value: map[string]any{"a": 1}}}},
		milestone.Milestone{},
	)
	for _, m := range ms {
		doc, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fastDecode(string(doc)); !ok && len(m.Extra) == 0 {
			t.Errorf("fast path not taken for %s", doc)
		}
		checkDecode(t, doc)
	}
	for _, doc := range []string{
		``, `{`, `}`, `{}`, `[]`, `null`, `{"title":}`, `{"title":1}`, `{"title":"a"`, `{"title":"a",}`,
		`{"title":"a"} x`, `{"progress":1.5}`, `{"progress":"1"}`, `{"progress":-3}`, `{"progress":1e2}`,
		`{"labels":["a",1]}`, `{"labels":[]}`, `{"labels":null}`, `{"title":null}`, `{"x":tru}`, `{"x":[1,2}`,
		`{"x":{"a":[1,{"b":"}"}]}}`, `{"title":"\u00e9\ud83d\ude80"}`, `{"title":"bad \x escape"}`,
		"{\"title\":\"raw\ncontrol\"}", ` { "title" : "spaced" , "x" : 1 } `, `{"title":"a","title":"b"}`,
		`{"id":"z","x":01}`, `{"x":"a" "y":1}`,
	} {
		checkDecode(t, []byte(doc))
	}
}

func FuzzDecodeDoc(f *testing.F) {
	for _, s := range []string{`{"id":"a","title":"t","labels":["x"],"progress":3,"x-a":{"b":[1,"c"]}}`, `{}`, `{"title":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkDecode(t, doc) })
}

func BenchmarkDecodeDoc(b *testing.B) {
	m := newGenerator(1).milestone(3)
	doc, _ := m.JSON()
	b.Run("fast", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			decodeDoc(string(doc))
		}
	})
	b.Run("FromJSON", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			milestone.FromJSON(doc)
		}
	})
}
