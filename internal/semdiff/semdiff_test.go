package semdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

func TestMain(m *testing.M) {
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// snap builds an in-memory snapshot from path -> content.
func snap(name string, files map[string]string) *Snapshot {
	s := &Snapshot{Name: name, Read: func(d *Doc) ([]byte, error) { return nil, fmt.Errorf("not loaded") }}
	for p, c := range files {
		id, ok := DocID(p)
		if !ok {
			panic(p)
		}
		s.Docs = append(s.Docs, Doc{ID: id, Path: p, Hash: gitrepo.NewBlob([]byte(c)).ID(), Src: []byte(c)})
	}
	sort.Slice(s.Docs, func(i, j int) bool { return s.Docs[i].Path < s.Docs[j].Path })
	return s
}

const (
	act  = ".milestones/active/"
	done = ".milestones/completed/"
)

func ms(lines ...string) string {
	return strings.Join(append([]string{"title: Beta"}, lines...), "\n") + "\n"
}

func kinds(entries []Entry) string {
	var parts []string
	for _, e := range entries {
		parts = append(parts, e.ID+":"+string(e.Kind))
	}
	return strings.Join(parts, " ")
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name     string
		old, new map[string]string
		want     string // id:kind ...
		problems int
	}{
		{"nothing", map[string]string{act + "a.yaml": ms()}, map[string]string{act + "a.yaml": ms()}, "", 0},
		{"modified", map[string]string{act + "a.yaml": ms("priority: low")}, map[string]string{act + "a.yaml": ms("priority: high")}, "a:modified", 0},
		{"closed", map[string]string{act + "a.yaml": ms()}, map[string]string{done + "a.yaml": ms("status: completed")}, "a:closed", 0},
		{"cancelled", map[string]string{act + "a.yaml": ms()}, map[string]string{done + "a.yaml": ms("status: cancelled")}, "a:closed", 0},
		{"reopened", map[string]string{done + "a.yaml": ms("status: completed")}, map[string]string{act + "a.yaml": ms("status: active")}, "a:reopened", 0},
		{"added and removed", map[string]string{act + "a.yaml": ms("owner: x")}, map[string]string{act + "b.yaml": ms("owner: y", "due: 2026-01-01")}, "a:removed b:added", 0},
		{"renamed: same content", map[string]string{act + "a.yaml": ms("owner: x")}, map[string]string{act + "b.yaml": ms("owner: x")}, "b:renamed", 0},
		{"renamed: same created_at and title", map[string]string{act + "a.yaml": ms("created_at: 2026-01-01T00:00:00Z")},
			map[string]string{act + "b.yaml": ms("created_at: 2026-01-01T00:00:00Z", "priority: high")}, "b:renamed", 0},
		{"same created_at, nothing else alike: not a rename",
			map[string]string{act + "a.yaml": "title: Alpha\nowner: a\ndue: 2026-01-01\ncreated_at: 2026-01-01T00:00:00Z\n"},
			map[string]string{act + "b.yaml": "title: Bravo\nowner: b\ndue: 2027-02-02\ncreated_at: 2026-01-01T00:00:00Z\n"}, "a:removed b:added", 0},
		{"comments only", map[string]string{act + "a.yaml": ms()}, map[string]string{act + "a.yaml": "# note\n" + ms()}, "a:modified", 0},
		{"line endings only", map[string]string{act + "a.yaml": ms()}, map[string]string{act + "a.yaml": strings.ReplaceAll(ms(), "\n", "\r\n")}, "", 0},
		{"unparsable on one side", map[string]string{act + "a.yaml": ms(), act + "b.yaml": ms()},
			map[string]string{act + "a.yaml": "title: [x\n", act + "b.yaml": ms("owner: z")}, "b:modified", 1},
		{"conflict markers", map[string]string{act + "a.yaml": ms()}, map[string]string{act + "a.yaml": "<<<<<<< ours\n" + ms()}, "", 1},
		{"same id in both folders", map[string]string{act + "a.yaml": ms()}, map[string]string{act + "a.yaml": ms(), done + "a.yaml": ms("status: completed")}, "", 1},
		{"invalid id in a file name", map[string]string{}, map[string]string{act + "Bad Name.yaml": ms()}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, problems := Compare(snap("OLD", tt.old), snap("NEW", tt.new))
			if got := kinds(entries); got != tt.want {
				t.Errorf("entries %q, want %q (%+v)", got, tt.want, entries)
			}
			if len(problems) != tt.problems {
				t.Errorf("problems %v, want %d", problems, tt.problems)
			}
			for _, p := range problems {
				if msg := p.Error(); !strings.Contains(msg, " at NEW") && !strings.Contains(msg, " at OLD") || !strings.Contains(msg, ".milestones/") {
					t.Errorf("problem %q does not name the file and the state", msg)
				}
			}
		})
	}
}

func TestCompareChanges(t *testing.T) {
	old := snap("v1", map[string]string{act + "a.yaml": ms("due: 2026-12-15", "start: 2026-12-01", "labels: [x, y]", "x-cost: {eur: 1}", "progress: 10")})
	new := snap("v2", map[string]string{act + "a.yaml": ms("due: 2026-12-05", "start: 2026-12-03", "labels: [y, z]", "x-cost: {eur: 2}", "owner: bo")})
	entries, _ := Compare(old, new)
	if len(entries) != 1 {
		t.Fatalf("%+v", entries)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, entries); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{"field":"owner","old":null,"new":"bo"}`,
		`{"field":"start","old":"2026-12-01","new":"2026-12-03","days":2}`,
		`{"field":"due","old":"2026-12-15","new":"2026-12-05","days":-10}`,
		`{"field":"labels","old":["x","y"],"new":["y","z"],"added":["z"],"removed":["x"]}`,
		`{"field":"progress","old":10,"new":null}`,
		`{"field":"x-cost","old":{"eur":1},"new":{"eur":2}}`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
	var decoded []map[string]any
	if err := json.Unmarshal(b.Bytes(), &decoded); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	b.Reset()
	WriteText(&b, entries, RenderOptions{})
	for _, want := range []string{"due          2026-12-15 → 2026-12-05 (10 days earlier)", "start        2026-12-01 → 2026-12-03 (2 days later)", "labels       [x, y] → [y, z] (+z -x)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	old := snap("a", map[string]string{act + "a.yaml": "title: 'Plain'\n"})
	new := snap("b", map[string]string{act + "a.yaml": "title: 'A | B <script> `x` *y*'\ndescription: |\n  one\n  two\n"})
	entries, _ := Compare(old, new)
	var b bytes.Buffer
	WriteMarkdown(&b, entries, []Problem{{Where: "b", Path: act + "c.yaml", Err: fmt.Errorf("bad | thing")}}, RenderOptions{Range: "a..b"})
	out := b.String()
	for _, want := range []string{`A \| B &lt;script&gt; \` + "`x\\`" + ` \*y\*`, "```diff\n+one\n+two\n```", "Could not be read", `bad \| thing`} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Errorf("raw HTML in markdown:\n%s", out)
	}
}

func TestSummary(t *testing.T) {
	if got := Summary(nil); got != "No milestone changes" {
		t.Error(got)
	}
	got := Summary([]Entry{{Kind: Added}, {Kind: Closed}, {Kind: Closed}})
	if got != "3 milestones changed: 1 added, 2 closed" {
		t.Error(got)
	}
}

func TestTextconvIsStable(t *testing.T) {
	a := "# comment\ntitle: \"Beta\"\nlabels:\n  - x\n  - y\npriority: high\nx-k: {b: 1, a: 2}\ndescription: |\n  one\n\n  two\n"
	b := "priority: high   # why\ntitle: Beta\nlabels: [x, y]\ndescription: \"one\\n\\ntwo\\n\"\nx-k: {a: 2, b: 1}\n"
	ta, tb := Textconv("", []byte(a)), Textconv("", []byte(b))
	if !bytes.Equal(ta, tb) {
		t.Fatalf("renderings differ:\n%s\n---\n%s", ta, tb)
	}
	want := "title: Beta\nstatus: planned\npriority: high\nlabels:\n  - x\n  - y\nx-k: {\"a\":2,\"b\":1}\ndescription:\n  one\n\n  two\n"
	if string(ta) != want {
		t.Errorf("got:\n%s\nwant:\n%s", ta, want)
	}
	bad := Textconv("", []byte("title: [x\n"))
	if !bytes.HasPrefix(bad, []byte("# git-milestone: not a valid milestone document")) || !bytes.HasSuffix(bad, []byte("title: [x\n")) {
		t.Errorf("bad document: %s", bad)
	}
}

func TestDocID(t *testing.T) {
	for p, want := range map[string]string{
		".milestones/active/a.yaml": "a", ".milestones/completed/b-1.yaml": "b-1",
		".milestones/active/x/a.yaml": "", ".milestones/config/a.yaml": "", ".milestones/active/a.yml": "",
		"active/a.yaml": "", ".milestones/active/.yaml": "",
	} {
		if got, _ := DocID(p); got != want {
			t.Errorf("DocID(%q) = %q, want %q", p, got, want)
		}
	}
}
