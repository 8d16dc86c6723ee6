// Package depgraph answers questions about the dependencies between
// milestones (depends_on): which open milestones are ready (every
// dependency closed) or blocked, the graph as Graphviz DOT or Mermaid, and
// the critical path to a milestone.
package depgraph

import (
	"sort"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Graph is the dependency graph of a set of milestones. Edges go from a
// dependency to the milestone that depends on it (it must finish first).
type Graph struct {
	byID map[string]*milestone.Milestone
	ids  []string // sorted
}

// New builds the graph of ms (normally every milestone, open and closed:
// whether a dependency is closed decides readiness).
func New(ms []milestone.Milestone) *Graph {
	g := &Graph{byID: make(map[string]*milestone.Milestone, len(ms))}
	for i := range ms {
		m := &ms[i]
		if _, dup := g.byID[m.ID]; !dup {
			g.ids = append(g.ids, m.ID)
		}
		g.byID[m.ID] = m
	}
	sort.Strings(g.ids)
	return g
}

// Get returns the milestone id, or nil.
func (g *Graph) Get(id string) *milestone.Milestone { return g.byID[id] }

// IDs lists every milestone id, sorted.
func (g *Graph) IDs() []string { return g.ids }

// Blockers lists the dependencies of id that are not closed: open ones and
// ids that name no milestone, in depends_on order.
func (g *Graph) Blockers(id string) []string {
	m := g.byID[id]
	if m == nil {
		return nil
	}
	var out []string
	for _, d := range m.DependsOn {
		if dm := g.byID[d]; dm == nil || dm.Open() {
			out = append(out, d)
		}
	}
	return out
}

// Ready reports whether id is open and every dependency of it is closed.
func (g *Graph) Ready(id string) bool {
	m := g.byID[id]
	return m != nil && m.Open() && len(g.Blockers(id)) == 0
}

// Blocked reports whether id is open and waits for a dependency that is
// not closed (or names no milestone).
func (g *Graph) Blocked(id string) bool {
	m := g.byID[id]
	return m != nil && m.Open() && len(g.Blockers(id)) > 0
}

// AtRisk lists the open dependencies of id due after id itself is due:
// id cannot finish on time if they finish on theirs.
func (g *Graph) AtRisk(id string) []string {
	m := g.byID[id]
	if m == nil || !m.Open() || m.Due == "" {
		return nil
	}
	var out []string
	for _, d := range m.DependsOn {
		if dm := g.byID[d]; dm != nil && dm.Open() && dm.Due > m.Due {
			out = append(out, d)
		}
	}
	return out
}

// Node is a milestone of a rendered graph.
type Node struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Due     string `json:"due"`
	Closed  bool   `json:"closed"`
	Missing bool   `json:"missing"` // named in depends_on, but no such milestone
}

// Edge is one dependency: From must finish before To.
type Edge struct {
	From string `json:"from"` // the dependency
	To   string `json:"to"`   // the milestone that depends on it
	// Closed is true when the dependency is closed (or To is: the edge no
	// longer matters).
	Closed  bool `json:"closed"`
	Missing bool `json:"missing"` // From names no milestone
}

// View is the part of the graph a rendering shows.
type View struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// View returns the nodes and edges to draw: with all, every milestone;
// otherwise the open ones and whatever they depend on. Nodes are sorted
// by id, edges by (to, from).
func (g *Graph) View(all bool) View {
	v := View{Nodes: []Node{}, Edges: []Edge{}}
	show := map[string]bool{}
	for _, id := range g.ids {
		if all || g.byID[id].Open() {
			show[id] = true
		}
	}
	for _, id := range g.ids {
		if !show[id] {
			continue
		}
		m := g.byID[id]
		deps := append([]string(nil), m.DependsOn...)
		sort.Strings(deps)
		seen := map[string]bool{}
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			dm := g.byID[d]
			v.Edges = append(v.Edges, Edge{From: d, To: id, Closed: dm != nil && !dm.Open() || !m.Open(), Missing: dm == nil})
		}
	}
	extra := map[string]bool{}
	for _, e := range v.Edges {
		if !show[e.From] {
			extra[e.From] = true
		}
	}
	for id := range extra {
		show[id] = true
	}
	var ids []string
	for id := range show {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := g.byID[id]
		if m == nil {
			v.Nodes = append(v.Nodes, Node{ID: id, Missing: true})
			continue
		}
		v.Nodes = append(v.Nodes, Node{ID: id, Title: m.Title, Status: string(m.Status), Due: m.Due, Closed: !m.Open()})
	}
	sort.SliceStable(v.Edges, func(i, j int) bool {
		if v.Edges[i].To != v.Edges[j].To {
			return v.Edges[i].To < v.Edges[j].To
		}
		return v.Edges[i].From < v.Edges[j].From
	})
	return v
}

// Step is one milestone of a critical path.
type Step struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Due     string `json:"due"`
	Overdue bool   `json:"overdue"`
	// AtRisk is true when this milestone is due after the next step (the
	// milestone that depends on it) is due.
	AtRisk bool `json:"at_risk"`
}

// Path is the critical path to a milestone.
type Path struct {
	Target string `json:"target"`
	// Steps run from the first open dependency to the target itself.
	Steps  []Step `json:"steps"`
	AtRisk bool   `json:"at_risk"` // some step is at risk
	// Finish is the latest due date on the path ("" when none is dated).
	Finish string `json:"finish"`
}

// CriticalPath returns the chain of open dependencies that ends at id
// and finishes last: from id, it follows at each step the open dependency
// whose own chain reaches the latest due date (ties: the later due date of
// the dependency itself, then the smaller id). Closed dependencies and
// unknown ids are not on it; a dependency cycle is cut where it closes.
// today (YYYY-MM-DD) marks overdue steps. The target may be closed: its
// path is then the target alone.
func (g *Graph) CriticalPath(id, today string) (Path, error) {
	m := g.byID[id]
	if m == nil {
		return Path{}, &milestone.NotFoundError{ID: id}
	}
	memo := map[string]string{}
	onStack := map[string]bool{}
	// finish is the latest due date on the best chain ending at n.
	var finish func(n string) string
	finish = func(n string) string {
		if f, ok := memo[n]; ok {
			return f
		}
		onStack[n] = true
		f := g.byID[n].Due
		for _, d := range g.openDeps(n, onStack) {
			f = max(f, finish(d))
		}
		onStack[n] = false
		memo[n] = f
		return f
	}
	chain := []string{id}
	onPath := map[string]bool{id: true}
	for cur := id; ; {
		best := ""
		for _, d := range g.openDeps(cur, onPath) {
			if best == "" || better(finish(d), g.byID[d].Due, d, finish(best), g.byID[best].Due, best) {
				best = d
			}
		}
		if best == "" || !g.byID[cur].Open() {
			break
		}
		chain = append(chain, best)
		onPath[best] = true
		cur = best
	}
	p := Path{Target: id, Steps: make([]Step, 0, len(chain))}
	for i := len(chain) - 1; i >= 0; i-- {
		sm := g.byID[chain[i]]
		st := Step{ID: sm.ID, Title: sm.Title, Status: string(sm.Status), Due: sm.Due, Overdue: sm.Overdue(today)}
		if i > 0 {
			next := g.byID[chain[i-1]]
			st.AtRisk = sm.Due != "" && next.Due != "" && sm.Due > next.Due
		}
		p.AtRisk = p.AtRisk || st.AtRisk
		p.Finish = max(p.Finish, sm.Due)
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// openDeps lists the open, known dependencies of n not in skip.
func (g *Graph) openDeps(n string, skip map[string]bool) []string {
	var out []string
	for _, d := range g.byID[n].DependsOn {
		if dm := g.byID[d]; dm != nil && dm.Open() && !skip[d] {
			out = append(out, d)
		}
	}
	return out
}

// better orders critical path candidates: later chain finish, then later
// own due date, then smaller id.
func better(fa, da, a, fb, db, b string) bool {
	if fa != fb {
		return fa > fb
	}
	if da != db {
		return da > db
	}
	return a < b
}
