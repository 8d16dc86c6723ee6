package dbstore

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"
)

// Project is one project (repository) that keeps milestones in the
// database: its key and the human name it registered ("" if none).
type Project struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// SetProjectName records the human name of the store's project (the
// configured project name or the repository's folder), for roll-ups. It
// writes only when the name changed.
func (s *Store) SetProjectName(ctx context.Context, name string) error {
	name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "\uFFFD")
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	stmt := `INSERT INTO milestone_projects (project, name) VALUES ($1, $2)
ON CONFLICT (project) DO UPDATE SET name = excluded.name, updated_at = ` + s.d.now + `
WHERE milestone_projects.name <> excluded.name`
	if _, err := s.db.ExecContext(sctx, stmt, s.project, name); err != nil {
		return s.wrap(sctx, "record the project name", err)
	}
	return nil
}

// Projects lists every project of the database: those with milestones and
// those that registered a name, sorted by name regardless of case (then
// key; unnamed ones last).
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	rows, err := s.rdb.QueryContext(sctx, `SELECT k.project, COALESCE(p.name, '')
FROM (SELECT DISTINCT project FROM milestones UNION SELECT project FROM milestone_projects) k
LEFT JOIN milestone_projects p ON p.project = k.project`)
	if err != nil {
		return nil, s.wrap(sctx, "list projects", err)
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		var p Project
		if err := rows.Scan(&p.Key, &p.Name); err != nil {
			return nil, s.wrap(sctx, "list projects", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(sctx, "list projects", err)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Name == "") != (b.Name == "") {
			return a.Name != ""
		}
		if la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name); la != lb {
			return la < lb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Key < b.Key
	})
	return out, nil
}

// Scoped returns a store that reads and writes the project key on the
// same connections. Closing it does nothing: the store it came from owns
// the connections.
func (s *Store) Scoped(key string) *Store {
	c := *s
	c.project = key
	c.borrowed = true
	return &c
}
