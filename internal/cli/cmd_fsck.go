package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/transfer"
)

func newFsckCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "fsck",
		Usage: "check every document, folders, dependencies and locks; --repair fixes what is safe",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "repair", Usage: "move documents whose folder disagrees with their status, set a missing closed_at (one commit); remove links and special files from locks/, logs/ and cache/"},
			&cli.BoolFlag{Name: "json", Usage: "print the findings as JSON"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--repair]"); err != nil {
				return err
			}
			return runFsck(c.Context, env, fsckOptions{Repair: c.Bool("repair"), JSON: c.Bool("json")})
		},
	}
}

// fsckOptions are fsck's flags.
type fsckOptions struct {
	Repair bool // fix what is safe to fix
	JSON   bool
}

// runFsck checks the repository's milestones and prints the findings;
// problems left make a silent exit 1.
func runFsck(ctx context.Context, env *Env, opts fsckOptions) error {
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	recs, problems, err := s.backend.List(ctx, storage.Query{All: true})
	if err != nil {
		return err
	}
	findings, misplaced := documentFindings(recs, problems)
	findings = append(findings, s.lockFindings()...)
	findings = append(findings, s.backendFindings(ctx)...)
	findings = append(findings, driverFindings(s.repo)...)
	more, err := s.migrationFindings(ctx, opts.Repair)
	if err != nil {
		return err
	}
	findings = append(findings, more...)
	findings = append(findings, s.resolveFindings()...)
	special, removed := s.specialFindings(findings, opts.Repair)
	findings = append(findings, special...)
	repaired := removed
	if opts.Repair && len(misplaced) > 0 {
		res, err := s.refile(ctx, misplaced)
		if err != nil {
			return err
		}
		repaired += len(misplaced)
		s.reportCommit(fmt.Sprintf("Repaired %d misplaced document(s)", repaired), res)
	}
	if opts.JSON {
		if findings == nil {
			findings = []string{}
		}
		if err := writeJSON(env.Stdout, map[string]any{"ok": len(findings) == repaired, "milestones": len(recs), "problems": findings, "repaired": repaired}); err != nil {
			return err
		}
	} else {
		for _, f := range findings {
			fmt.Fprintln(env.Stdout, f)
		}
	}
	if len(findings) > repaired {
		if !opts.JSON {
			fmt.Fprintf(env.Stderr, "fsck: %d problem(s) in %d milestone(s) (backend %s)\n", len(findings)-repaired, len(recs)+len(problems), s.kind)
		}
		return &silentError{code: ExitFailed}
	}
	if !opts.JSON {
		fmt.Fprintf(env.Stderr, "fsck: %d milestone(s), no problems (backend %s)\n", len(recs), s.kind)
	}
	return nil
}

// documentFindings checks every document: those that cannot be read,
// those in the wrong folder or closed without closed_at (misplaced:
// --repair refiles them), own id keys and dependencies.
func documentFindings(recs []storage.Record, problems []storage.Problem) (findings []string, misplaced []storage.Record) {
	for _, p := range problems {
		findings = append(findings, p.Err.Error()+": "+problemHint(p.Err))
	}
	byID := map[string]*storage.Record{}
	for i := range recs {
		r := &recs[i]
		byID[r.Milestone.ID] = r
		misfiled := false
		if r.Path != "" {
			want := ".milestones/" + r.Milestone.Status.Folder() + "/"
			if !strings.HasPrefix(r.Path, want) {
				findings = append(findings, fmt.Sprintf("%s: status %s belongs in %s", r.Path, r.Milestone.Status, want))
				misfiled = true
			}
		}
		if r.Milestone.Status.Closed() && r.Milestone.ClosedAt == "" {
			findings = append(findings, fmt.Sprintf("%s: status %s but no closed_at", where(*r), r.Milestone.Status))
			misfiled = true
		}
		if misfiled {
			misplaced = append(misplaced, *r)
		}
		if f := ownIDFinding(r); f != "" {
			findings = append(findings, f)
		}
	}
	return append(findings, dependencyFindings(recs, byID)...), misplaced
}

// migrationFindings reports an interrupted migration, or with repair
// finishes it (saying what it did on stderr).
func (s *session) migrationFindings(ctx context.Context, repair bool) ([]string, error) {
	j, err := s.interruptedMigration()
	switch {
	case err != nil:
		return []string{err.Error()}, nil
	case j == nil:
		return nil, nil
	case !repair:
		return []string{fmt.Sprintf("an interrupted %s: `git milestone fsck --repair` finishes it (or undoes it if its switch had not landed)", j)}, nil
	}
	msg, err := s.finishInterruptedLocked(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(s.env.Stderr, msg)
	return nil, nil
}

// refile moves the misplaced documents into the folder of their status
// and sets a missing closed_at: one commit.
func (s *session) refile(ctx context.Context, misplaced []storage.Record) (storage.Result, error) {
	ids := make([]string, len(misplaced))
	for i, r := range misplaced {
		ids[i] = r.Milestone.ID
	}
	return s.update(ctx, storage.UpdateOptions{Lock: ids,
		Message: fmt.Sprintf("milestone: fsck --repair files %d document(s) by their status\n", len(ids))},
		func(tx storage.Tx) error {
			for _, id := range ids {
				r, err := tx.Get(id)
				if err != nil {
					return err
				}
				src := r.Source
				if r.Milestone.Status.Closed() && r.Milestone.ClosedAt == "" {
					m := r.Milestone.Clone()
					m.ClosedAt = m.UpdatedAt
					if m.ClosedAt == "" {
						m.ClosedAt = s.now()
					}
					if src, err = format.Rewrite(r.Path, r.Source, m); err != nil {
						return err
					}
					r.Milestone = m
				}
				if err := tx.Put(r.Milestone, src); err != nil {
					return err
				}
			}
			return nil
		})
}

// problemHint says how to fix a document that cannot be read, by the
// cause err names.
func problemHint(err error) string {
	var refused *safefs.RefusedError
	msg := err.Error()
	switch {
	case errors.As(err, &refused):
		return "replace it with a regular file, or remove it (`git rm`); `git milestone fsck --repair` removes links in locks/, logs/ and cache/"
	case strings.Contains(msg, "conflict marker"):
		return "in a stopped merge or rebase `git milestone resolve` settles what it can; otherwise edit the file and remove the markers"
	case strings.Contains(msg, "also exists as"):
		return "keep one of the two files and `git rm` the other (in a stopped merge, `git milestone resolve` may settle it)"
	case mentionsSeedWord(msg):
		return "it looks like a document of the shell-era store: convert it with `git milestone import --from seed` (`--dry-run` shows the mapping)"
	}
	return "fix the document by hand (`git milestone edit` cannot open it)"
}

// quoted finds the "quoted" words of an error message (compiled on first
// use, not at every process start-up).
var quoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`"([^"]{1,40})"`) })

// mentionsSeedWord reports whether msg quotes a word of the shell era.
func mentionsSeedWord(msg string) bool {
	for _, m := range quoted().FindAllStringSubmatch(msg, -1) {
		if transfer.IsSeedWord(m[1]) {
			return true
		}
	}
	return false
}

// ownIDFinding reports a document whose own id key disagrees with its
// file name (the file name is the id; JSON carries only that one).
func ownIDFinding(r *storage.Record) string {
	for _, f := range r.Milestone.Extra {
		if f.Key != "id" {
			continue
		}
		if s := fmt.Sprint(f.Value); s != r.Milestone.ID {
			return fmt.Sprintf("%s: its id key says %q but the file name makes it %q: the file name is the id "+
				"(`git milestone import --from seed` keeps the key under x-seed; or rename the file with `git milestone mv`)", where(*r), s, r.Milestone.ID)
		}
	}
	return ""
}

// dependencyFindings reports depends_on entries naming no milestone, and cycles.
func dependencyFindings(recs []storage.Record, byID map[string]*storage.Record) []string {
	var out []string
	for _, r := range recs {
		for _, d := range r.Milestone.DependsOn {
			if byID[d] == nil {
				out = append(out, fmt.Sprintf("%s: depends_on %q names no milestone", where(r), d))
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	reported := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		state[id] = visiting
		stack = append(stack, id)
		r := byID[id]
		deps := append([]string(nil), r.Milestone.DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if byID[d] == nil {
				continue
			}
			switch state[d] {
			case unvisited:
				visit(d)
			case visiting:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				cycle := append(append([]string(nil), stack[i:]...), d)
				if !reported[d] {
					reported[d] = true
					out = append(out, fmt.Sprintf("dependency cycle: %s", strings.Join(cycle, " -> ")))
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if state[id] == unvisited {
			visit(id)
		}
	}
	return out
}

func where(r storage.Record) string {
	if r.Path != "" {
		return r.Path
	}
	return r.Milestone.ID
}

// ignoredFolders hold only the tool's own files: fsck --repair may remove
// a link or special file found there.
var ignoredFolders = []string{"locks", "logs", "cache"}

// specialFindings lists every entry under .milestones/ that is neither a
// regular file nor a directory (links, fifos, sockets, devices), except
// those already in findings. With repair, those in the ignored folders
// (locks/, logs/, cache/, or those folders themselves) are removed; it
// returns how many.
func (s *session) specialFindings(findings []string, repair bool) ([]string, int) {
	t := safefs.New(filepath.Join(s.repo.WorkTree, ".milestones"), ".milestones")
	var out []string
	if err := t.CheckTop(); err != nil {
		return []string{err.Error()}, 0
	}
	ents, err := t.Special()
	if err != nil {
		out = append(out, err.Error())
	}
	removed := 0
	for _, e := range ents {
		shown := t.Show(e.Path)
		if slices.ContainsFunc(findings, func(f string) bool { return strings.HasPrefix(f, shown+" ") }) {
			continue
		}
		top, _, _ := strings.Cut(e.Path, "/")
		ours := slices.Contains(ignoredFolders, top)
		switch {
		case ours && repair:
			if err := t.Remove(e.Path); err != nil {
				out = append(out, fmt.Sprintf("%s: %s: %v", shown, safefs.Kind(e.Mode), err))
				continue
			}
			msg := fmt.Sprintf("%s: %s: removed", shown, safefs.Kind(e.Mode))
			if _, err := s.repo.ReadFile("HEAD", shown); err == nil {
				// Committed (git add -f): the removal is the user's to commit,
				// so that clones lose the link too.
				msg += fmt.Sprintf(" from the work tree; it is committed: `git rm --cached %s` and commit the removal", shown)
			}
			out = append(out, msg)
			removed++
		case ours:
			out = append(out, fmt.Sprintf("%s is %s: never followed (fsck --repair removes it)", shown, safefs.Kind(e.Mode)))
		default:
			out = append(out, fmt.Sprintf("%s is %s: never followed; remove it from the repository", shown, safefs.Kind(e.Mode)))
		}
	}
	return out, removed
}

// lockFindings reports lock files whose holder is still running, so a
// user knows who is mid-update.
func (s *session) lockFindings() []string {
	t := safefs.WorkTree(s.repo.WorkTree)
	ents, _ := t.ReadDir(".milestones/locks")
	var out []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".lock") {
			continue // links and special files are reported by specialFindings
		}
		if held, holder := lockHeld(t, ".milestones/locks/"+e.Name()); held {
			out = append(out, fmt.Sprintf(".milestones/locks/%s: held by %s", e.Name(), holder))
		}
	}
	return out
}

// lockHeld reports whether a milestone lock is held right now, and by
// whom, without touching it.
func lockHeld(t safefs.Tree, rel string) (bool, string) {
	st, err := lock.Probe(t, rel)
	if err != nil || !st.Held {
		return false, ""
	}
	if st.HasInfo {
		return true, strings.TrimSpace(st.Info.String())
	}
	return true, "another process"
}

// backendFindings checks what belongs to the backend: the hybrid index,
// and document files left in the work tree while a database is the store.
func (s *session) backendFindings(ctx context.Context) []string {
	var out []string
	switch b := s.backend.(type) {
	case storage.Indexed:
		if err := b.CheckIndex(ctx); err != nil {
			return append(out, fmt.Sprintf("index %s cannot be used: %v (queries read the files; `git milestone index rebuild`)", b.IndexFile(), err))
		}
		st, err := b.IndexStatus(ctx)
		if err != nil {
			return append(out, fmt.Sprintf("index %s: %v", b.IndexFile(), err))
		}
		if !st.Fresh {
			out = append(out, fmt.Sprintf("index %s is stale (%d added, %d changed, %d removed): `git milestone index refresh`",
				b.IndexFile(), len(st.Added), len(st.Changed), len(st.Removed)))
		}
	case storage.Database:
		files, _, err := opener.Files(s.repo, openerOptions(s.env, s.warn)).Scan()
		if err == nil && len(files) > 0 {
			out = append(out, fmt.Sprintf("%d milestone file(s) under .milestones/ (e.g. %s) while the database is the store: "+
				"they are not read; an interrupted migration? re-run `git milestone migrate`, or remove them", len(files), files[0].Path))
		}
	}
	return out
}
