package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Roll-up across repositories: in PostgreSQL database mode, list, search,
// stats and report read every project that keeps its milestones in the
// same database (--all-projects), or some of them (--project).

// rollupFlags are the roll-up flags of list, search, stats and report.
func rollupFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "all-projects", Usage: "every project on the same PostgreSQL database (database mode), each row with its project"},
		&cli.StringSliceFlag{Name: "project", Usage: "with --all-projects: only this project, by `KEY|NAME` (repeatable)"},
	}
}

// rollupOptions are the roll-up flags as typed.
type rollupOptions struct {
	AllProjects bool
	Projects    []string // --project KEY|NAME (repeatable or comma-separated)
	ProjectSet  bool     // --project given, even empty
}

// rollupOptionsOf reads the roll-up flags.
func rollupOptionsOf(c *cli.Context) rollupOptions {
	return rollupOptions{AllProjects: c.Bool("all-projects"), Projects: c.StringSlice("project"), ProjectSet: c.IsSet("project")}
}

// wanted reports whether the command runs across projects.
func (o rollupOptions) wanted() bool {
	return o.AllProjects || len(o.Projects) > 0
}

// projectScope is one project of a roll-up and its reader.
type projectScope struct {
	storage.Project
	read storage.Reader
}

// projectName is the human name of this repository's project: the
// config's project.name, else the folder name of the work tree.
func projectName(repo *gitrepo.Repo, cfg config.Config) string {
	if n := strings.TrimSpace(cfg.Project.Name); n != "" {
		return n
	}
	return filepath.Base(repo.WorkTree)
}

// registerProject records this project's name in the database, for other
// projects' roll-ups. A failure is a warning.
func (s *session) registerProject(ctx context.Context, db storage.ProjectCatalog) {
	if err := db.SetProjectName(ctx, projectName(s.repo, s.cfg)); err != nil {
		s.warn(err.Error())
	}
}

// openRollup opens the database of a PostgreSQL-mode repository and the
// projects the flags select. Other modes are refused: their milestones
// belong to one repository.
func openRollup(ctx context.Context, env *Env, opts rollupOptions) (*session, []projectScope, error) {
	if opts.ProjectSet && !opts.AllProjects {
		return nil, nil, refused("--project selects among --all-projects: add --all-projects")
	}
	s, err := prepare(env)
	if err != nil {
		return nil, nil, err
	}
	if opener.InWorkTree(s.kind) {
		return nil, nil, refused("--all-projects reads every project of a shared PostgreSQL database, and this repository uses the %s backend (its milestones are its own): "+
			"run it from a repository in database mode with PostgreSQL", s.kind)
	}
	dc, err := databaseConfig(env, s.repo, s.cfg, "", s.warn)
	if err != nil {
		return nil, nil, err
	}
	if dc.Type != opener.PostgreSQL {
		return nil, nil, refused("--all-projects needs PostgreSQL: this repository's database is %s (%s), which holds only its own project", dc.Type, EnterpriseDB)
	}
	if s.backend, err = s.openBackend(ctx, s.kind); err != nil {
		return nil, nil, err
	}
	s.read = s.backend
	db, ok := s.backend.(storage.ProjectCatalog)
	if !ok {
		s.close()
		return nil, nil, fmt.Errorf("--all-projects: the database backend is not available")
	}
	s.registerProject(ctx, db)
	all, err := db.Projects(ctx)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	picked, err := pickProjects(all, opts.Projects)
	if err != nil {
		s.close()
		return nil, nil, err
	}
	scopes := make([]projectScope, len(picked))
	for i, p := range picked {
		scopes[i] = projectScope{Project: p, read: db.ProjectReader(p.Key)}
	}
	return s, scopes, nil
}

// pickProjects keeps the projects named by sel (a key, a unique key
// prefix, or a name, case-insensitive); no selector keeps all.
func pickProjects(all []storage.Project, sel []string) ([]storage.Project, error) {
	sel = splitList(sel)
	if len(sel) == 0 {
		return all, nil
	}
	keep := map[string]bool{}
	for _, want := range sel {
		var hits []storage.Project
		for _, p := range all {
			if p.Key == want || (p.Name != "" && strings.EqualFold(p.Name, want)) {
				hits = []storage.Project{p}
				break
			}
			if strings.HasPrefix(p.Key, want) {
				hits = append(hits, p)
			}
		}
		switch len(hits) {
		case 0:
			var known []string
			for _, p := range all {
				known = append(known, projectLabel(p))
			}
			return nil, fmt.Errorf("--project %q: no such project in this database (projects: %s)", want, strings.Join(known, ", "))
		case 1:
			keep[hits[0].Key] = true
		default:
			return nil, refused("--project %q: several projects have keys starting with it; give more of the key", want)
		}
	}
	var out []storage.Project
	for _, p := range all {
		if keep[p.Key] {
			out = append(out, p)
		}
	}
	return out, nil
}

// projectLabel is "name (key)", or the key alone.
func projectLabel(p storage.Project) string {
	if p.Name == "" {
		return p.Key
	}
	return p.Name + " (" + p.Key + ")"
}

// runRollupList is list/search --all-projects: the query of runList on
// each project, rows grouped by project, the limit applied to the whole.
func runRollupList(ctx context.Context, env *Env, opts listOptions, rollup rollupOptions) error {
	s, scopes, err := openRollup(ctx, env, rollup)
	if err != nil {
		return err
	}
	defer s.close()
	q, err := opts.storageQuery(s)
	if err != nil {
		return err
	}
	limit := q.Limit
	var groups []scopedRecords
	n := 0
	for _, sc := range scopes {
		if limit > 0 && n >= limit {
			break
		}
		recs, problems, err := selectRecords(ctx, sc.read, q, opts.Ready, opts.Blocked)
		if err != nil {
			return err
		}
		for _, p := range problems {
			s.warn(projectLabel(sc.Project) + ": " + p.Err.Error() + " (skipped)")
		}
		if limit > 0 && n+len(recs) > limit {
			recs = recs[:limit-n]
		}
		n += len(recs)
		groups = append(groups, scopedRecords{sc.Project, recs})
	}
	if opts.JSON {
		var rows []scopedRecord
		for _, g := range groups {
			for _, r := range g.recs {
				rows = append(rows, scopedRecord{g.project, r})
			}
		}
		return writeObjectsJSON(env.Stdout, len(rows), func(i int) ([]byte, error) {
			return projectRecordJSON(rows[i].rec, rows[i].project)
		})
	}
	for _, g := range groups {
		if !env.StdoutTTY {
			// One line per milestone, the project's name (or key) first.
			var buf bytes.Buffer
			sub := *env
			sub.Stdout = &buf
			writeTable(&sub, g.recs, s.today())
			name := g.project.Name
			if name == "" {
				name = g.project.Key
			}
			for _, line := range strings.SplitAfter(buf.String(), "\n") {
				if line != "" {
					fmt.Fprintf(env.Stdout, "%s\t%s", tsvField(name), line)
				}
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "== %s\n", printable(projectLabel(g.project)))
		writeTable(env, g.recs, s.today())
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

// scopedRecord is one milestone of a roll-up and its project.
type scopedRecord struct {
	project storage.Project
	rec     storage.Record
}

// projectRecordJSON is the show --json object of r with a "project" field:
// {"key": ..., "name": ...}.
func projectRecordJSON(r storage.Record, p storage.Project) ([]byte, error) {
	obj, err := recordJSON(r)
	if err != nil {
		return nil, err
	}
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	obj = bytes.TrimRight(obj, " \n")
	if len(obj) < 2 || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("milestone %s: unexpected JSON object", r.Milestone.ID)
	}
	out := append([]byte(nil), obj[:len(obj)-1]...)
	out = append(out, `,"project":`...)
	out = append(out, pj...)
	return append(out, '}'), nil
}

// rollupStats is stats --json across projects: the totals of every
// selected project, and each project's own.
type rollupStats struct {
	storage.Stats
	Projects []projectStats `json:"projects"`
}

type projectStats struct {
	Project storage.Project `json:"project"`
	storage.Stats
}

// runRollupStats is stats --all-projects.
func runRollupStats(ctx context.Context, env *Env, opts statsOptions, rollup rollupOptions) error {
	s, scopes, err := openRollup(ctx, env, rollup)
	if err != nil {
		return err
	}
	defer s.close()
	all := rollupStats{Stats: storage.Stats{ByStatus: map[string]int{}, ByPriority: map[string]int{}}, Projects: []projectStats{}}
	for _, sc := range scopes {
		st, problems, err := storage.ReadStats(ctx, sc.read, s.today())
		if err != nil {
			return err
		}
		for _, p := range problems {
			s.warn(projectLabel(sc.Project) + ": " + p.Err.Error() + " (skipped)")
		}
		all.Total += st.Total
		all.Overdue += st.Overdue
		for k, v := range st.ByStatus {
			all.ByStatus[k] += v
		}
		for k, v := range st.ByPriority {
			all.ByPriority[k] += v
		}
		if st.Oldest != nil && (all.Oldest == nil || st.Oldest.CreatedAt < all.Oldest.CreatedAt) {
			all.Oldest = st.Oldest
		}
		if st.Newest != nil && (all.Newest == nil || st.Newest.CreatedAt > all.Newest.CreatedAt) {
			all.Newest = st.Newest
		}
		all.Projects = append(all.Projects, projectStats{Project: sc.Project, Stats: st})
	}
	if opts.JSON {
		return writeJSON(env.Stdout, all)
	}
	w := env.Stdout
	fmt.Fprintf(w, "%d projects, %d milestones, %d overdue\n", len(all.Projects), all.Total, all.Overdue)
	for _, p := range all.Projects {
		open := 0
		for k, v := range p.ByStatus {
			if !milestone.Status(k).Closed() {
				open += v
			}
		}
		fmt.Fprintf(w, "  %-30s total %d, open %d, overdue %d\n", printable(projectLabel(p.Project)), p.Total, open, p.Overdue)
	}
	return nil
}

// rollupProjects reads every milestone of each selected project, for the
// report.
func rollupProjects(ctx context.Context, scopes []projectScope, warn func(string)) ([]scopedRecords, error) {
	var out []scopedRecords
	for _, sc := range scopes {
		recs, problems, err := sc.read.List(ctx, storage.Query{All: true})
		if err != nil {
			return nil, err
		}
		for _, p := range problems {
			warn(projectLabel(sc.Project) + ": " + p.Err.Error() + " (skipped)")
		}
		out = append(out, scopedRecords{sc.Project, recs})
	}
	return out, nil
}

// scopedRecords are milestones of one project of a roll-up.
type scopedRecords struct {
	project storage.Project
	recs    []storage.Record
}
