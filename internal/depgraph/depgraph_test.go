package depgraph

import (
	"bytes"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

func ms(specs ...string) []milestone.Milestone {
	// "id status due dep,dep"
	var out []milestone.Milestone
	for _, s := range specs {
		f := strings.Fields(s)
		m := milestone.Milestone{ID: f[0], Title: "T " + f[0], Status: milestone.Status(f[1])}
		if len(f) > 2 && f[2] != "-" {
			m.Due = f[2]
		}
		if len(f) > 3 {
			m.DependsOn = strings.Split(f[3], ",")
		}
		out = append(out, m)
	}
	return out
}

var sample = ms(
	"api active 2026-12-01",
	"db completed 2026-11-01",
	"beta planned 2026-12-15 api,db",
	"docs planned 2026-12-10 db",
	"launch planned 2026-12-20 beta,docs,ghost",
	"design active 2026-12-30",
	"ui planned 2026-12-18 design",
	"gamma planned 2027-01-10 launch,ui",
)

func TestReadyBlockedAtRisk(t *testing.T) {
	g := New(sample)
	cases := []struct {
		id       string
		ready    bool
		blocked  bool
		blockers []string
		atRisk   []string
	}{
		{"api", true, false, nil, nil},
		{"db", false, false, nil, nil}, // closed: neither
		{"beta", false, true, []string{"api"}, nil},
		{"docs", true, false, nil, nil},
		{"launch", false, true, []string{"beta", "docs", "ghost"}, nil},
		{"ui", false, true, []string{"design"}, []string{"design"}},
		{"nothing", false, false, nil, nil},
	}
	for _, c := range cases {
		if got := g.Ready(c.id); got != c.ready {
			t.Errorf("Ready(%s) = %v", c.id, got)
		}
		if got := g.Blocked(c.id); got != c.blocked {
			t.Errorf("Blocked(%s) = %v", c.id, got)
		}
		if got := g.Blockers(c.id); !reflect.DeepEqual(got, c.blockers) {
			t.Errorf("Blockers(%s) = %v, want %v", c.id, got, c.blockers)
		}
		if got := g.AtRisk(c.id); !reflect.DeepEqual(got, c.atRisk) {
			t.Errorf("AtRisk(%s) = %v, want %v", c.id, got, c.atRisk)
		}
	}
}

func TestCriticalPath(t *testing.T) {
	g := New(sample)
	p, err := g.CriticalPath("gamma", "2026-12-05")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	// ui's chain reaches 2026-12-30 (design), later than launch's (2026-12-20).
	if want := []string{"design", "ui", "gamma"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("path %v, want %v", ids, want)
	}
	if !p.Steps[0].AtRisk || p.Steps[1].AtRisk || p.Steps[2].AtRisk || !p.AtRisk || p.Finish != "2027-01-10" {
		t.Errorf("at-risk flags wrong: %+v", p)
	}
	p, _ = g.CriticalPath("launch", "2026-12-05")
	ids = nil
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	// beta (2026-12-15, via api) beats docs (2026-12-10); db is closed, ghost unknown.
	if want := []string{"api", "beta", "launch"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("path %v, want %v", ids, want)
	}
	if p.AtRisk {
		t.Errorf("launch path is not at risk: %+v", p)
	}
	p, _ = g.CriticalPath("api", "2026-12-05")
	if len(p.Steps) != 1 || !p.Steps[0].Overdue {
		t.Errorf("api alone, overdue: %+v", p)
	}
	if _, err := g.CriticalPath("ghost", ""); err == nil {
		t.Error("an unknown id has no path")
	}
	// A cycle is cut, not followed forever.
	c := New(ms("a planned 2026-12-01 b", "b planned 2026-12-02 c", "c planned 2026-12-03 a"))
	p, _ = c.CriticalPath("a", "2026-11-01")
	if len(p.Steps) != 3 || p.Steps[0].ID != "c" {
		t.Errorf("cycle: %+v", p)
	}
}

func TestViewAndRenderings(t *testing.T) {
	hostile := append(ms("x planned - api"), sample...)
	hostile[0].Title = "Say \"hi\" \\ <b>#1</b> end\nnext"
	g := New(hostile)
	v := g.View(false)
	// open milestones plus the closed db and the missing ghost; edges from every open one.
	var names []string
	for _, n := range v.Nodes {
		names = append(names, n.ID)
	}
	if want := []string{"api", "beta", "db", "design", "docs", "gamma", "ghost", "launch", "ui", "x"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("nodes %v", names)
	}
	if len(v.Edges) != 10 {
		t.Fatalf("edges %+v", v.Edges)
	}
	for _, e := range v.Edges {
		if (e.From == "db") != e.Closed || (e.From == "ghost") != e.Missing {
			t.Errorf("edge styling %+v", e)
		}
	}
	var dot bytes.Buffer
	if err := WriteDOT(&dot, v); err != nil {
		t.Fatal(err)
	}
	d := dot.String()
	for _, want := range []string{`"db" -> "beta" [style=dashed, color=gray];`, `"api" -> "beta";`,
		`"ghost" -> "launch" [style=dotted, color=red];`, `Say \"hi\" \\ <b>#1</b> end\nnext`} {
		if !strings.Contains(d, want) {
			t.Errorf("DOT lacks %q:\n%s", want, d)
		}
	}
	// Graphviz itself must accept it, where installed.
	if path, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command(path, "-Tsvg")
		cmd.Stdin = strings.NewReader(d)
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("<svg")) {
			t.Errorf("dot refused the graph: %v\n%s", err, out)
		}
	} else {
		t.Log("graphviz (dot) not installed: the DOT text is not checked by Graphviz")
	}
	var mm bytes.Buffer
	if err := WriteMermaid(&mm, v); err != nil {
		t.Fatal(err)
	}
	m := mm.String()
	for _, want := range []string{"flowchart LR\n", "Say #quot;hi#quot; \\ #lt;b#gt;#35;1#lt;/b#gt; end next", " -.-> ", " --> ", "class n2 closed", "class n6 missing"} {
		if !strings.Contains(m, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, m)
		}
	}
	if strings.Contains(m, "<b>") || strings.Contains(m, `"hi"`) {
		t.Errorf("Mermaid label not escaped:\n%s", m)
	}
	all := g.View(true)
	if len(all.Nodes) != len(v.Nodes) || len(all.Edges) != len(v.Edges)+0 {
		// db has no dependencies: --all adds no edge here, but keeps every node
		t.Errorf("all view: %d nodes %d edges", len(all.Nodes), len(all.Edges))
	}
}
