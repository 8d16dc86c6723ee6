package dbstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/pgtest"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain())
	}
	code := m.Run()
	benchCleanup()
	os.Exit(code)
}

// testDB is one fresh database of one dialect.
type testDB struct {
	kind string
	url  string // postgresql
	path string // sqlite
}

func newTestDB(tb testing.TB, kind string) testDB {
	tb.Helper()
	if kind == TypePostgreSQL {
		return testDB{kind: kind, url: pgtest.NewDatabase(tb, "dbstore_test")}
	}
	return testDB{kind: kind, path: filepath.Join(tb.TempDir(), "enterprise.db")}
}

func (d testDB) config(project string) Config {
	return Config{Type: d.kind, URL: d.url, Path: d.path, ProjectKey: project, PoolSize: 4, ConnectTimeout: 5 * time.Second}
}

func (d testDB) open(tb testing.TB, project string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), d.config(project))
	if err != nil {
		tb.Fatalf("open %s: %v", d.kind, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// eachDialect runs f on a fresh database of each dialect.
func eachDialect(t *testing.T, f func(t *testing.T, d testDB)) {
	for _, kind := range []string{TypeSQLite, TypePostgreSQL} {
		t.Run(kind, func(t *testing.T) { f(t, newTestDB(t, kind)) })
	}
}

// yamlSource renders m as a YAML document (yaml.v3 escapes NUL and other
// control characters, as the real encoder does).
func yamlSource(tb testing.TB, m *milestone.Milestone) []byte {
	tb.Helper()
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range m.Fields() {
		var v yaml.Node
		if err := v.Encode(f.Value); err != nil {
			tb.Fatalf("encode %s: %v", f.Key, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.Key}, &v)
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		tb.Fatalf("marshal %s: %v", m.ID, err)
	}
	return b
}

func rec(tb testing.TB, m milestone.Milestone) storage.Record {
	return storage.Record{Milestone: m, Source: yamlSource(tb, &m)}
}

// create stores recs one by one through Update.
func create(tb testing.TB, s *Store, recs ...storage.Record) {
	tb.Helper()
	_, err := s.Update(context.Background(), storage.UpdateOptions{}, func(tx storage.Tx) error {
		for _, r := range recs {
			if err := tx.Create(r.Milestone, r.Source); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("create: %v", err)
	}
}

// generator makes deterministic pseudo-random milestones.
type generator struct {
	r     *rand.Rand
	words []string
}

var labelPool = []string{"release", "web", "api", "infra", "security", "billing", "mobile", "docs", "ux", "data",
	"ops", "legal", "growth", "search", "perf"}

func newGenerator(seed uint64) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, 42))}
	syl := []string{"ka", "lo", "mi", "ne", "ru", "ta", "po", "se", "vi", "do", "ga", "hu", "ze", "fa", "bi"}
	seen := map[string]bool{}
	for len(g.words) < 1000 {
		w := syl[g.r.IntN(len(syl))] + syl[g.r.IntN(len(syl))] + syl[g.r.IntN(len(syl))] + "x"
		if !seen[w] {
			seen[w] = true
			g.words = append(g.words, w)
		}
	}
	return g
}

func (g *generator) text(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = g.words[g.r.IntN(len(g.words))]
	}
	return strings.Join(w, " ")
}

// milestone i: varied status, priority, owner, labels, dates.
func (g *generator) milestone(i int) milestone.Milestone {
	m := milestone.Milestone{
		ID:          fmt.Sprintf("m-%06d", i),
		Title:       g.text(1 + g.r.IntN(4)),
		Status:      milestone.Statuses[g.r.IntN(len(milestone.Statuses))],
		Priority:    milestone.Priorities[g.r.IntN(len(milestone.Priorities))],
		Description: g.text(40),
		CreatedAt:   time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.r.IntN(300*24)) * time.Hour).Format(time.RFC3339),
	}
	m.UpdatedAt = m.CreatedAt
	if g.r.IntN(4) > 0 {
		m.Owner = fmt.Sprintf("user%d@example.com", g.r.IntN(20))
	}
	if g.r.IntN(3) > 0 {
		m.Due = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(400)).Format(time.DateOnly)
	}
	for n := g.r.IntN(4); n > 0; n-- {
		l := labelPool[g.r.IntN(len(labelPool))]
		if !m.HasLabel(l) {
			m.Labels = append(m.Labels, l)
		}
	}
	if g.r.IntN(2) == 0 {
		p := g.r.IntN(101)
		m.Progress = &p
	}
	return m
}

// fastSource is a plain YAML document for generated milestones (their text
// needs no quoting); quicker than yaml.v3 for 100,000 records.
func fastSource(m *milestone.Milestone) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s\nstatus: %s\npriority: %s\n", m.Title, m.Status, m.Priority)
	if m.Owner != "" {
		fmt.Fprintf(&b, "owner: %s\n", m.Owner)
	}
	if m.Due != "" {
		fmt.Fprintf(&b, "due: %s\n", m.Due)
	}
	if len(m.Labels) > 0 {
		fmt.Fprintf(&b, "labels: [%s]\n", strings.Join(m.Labels, ", "))
	}
	if m.Progress != nil {
		fmt.Fprintf(&b, "progress: %d\n", *m.Progress)
	}
	fmt.Fprintf(&b, "description: %s\ncreated_at: %s\nupdated_at: %s\n", m.Description, m.CreatedAt, m.UpdatedAt)
	return []byte(b.String())
}

func (g *generator) records(n int) []storage.Record {
	recs := make([]storage.Record, n)
	for i := range recs {
		m := g.milestone(i)
		recs[i] = storage.Record{Milestone: m, Source: fastSource(&m)}
	}
	return recs
}

var benchMu sync.Mutex
var benchCleanups []func()

// benchCleanup drops what benchmarks left open for reuse.
func benchCleanup() {
	benchMu.Lock()
	defer benchMu.Unlock()
	for _, f := range benchCleanups {
		f()
	}
}
