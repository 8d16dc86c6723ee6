package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/semdiff"
)

func newLogCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "log",
		Usage:     "the commits that changed milestones (one, or all of them), with their field changes",
		ArgsUsage: "[ID]",
		Description: `Without ID: the recent milestone changes across the repository, newest
first, one entry per commit (merges that only bring changes of their
branches are not repeated).

With ID: follows the milestone from HEAD back through history, across moves
between active/ and completed/, renames (mv) and merges, newest first, each
commit once. ID may be a unique prefix of a current milestone, or the exact
id of a removed one.

--json prints [{"commit","author","email","date","subject","id","kind","changes":[...]}],
one object per commit and milestone.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array"},
			&cli.IntFlag{Name: "max-count", Aliases: []string{"n"}, Usage: "at most N commits (default: 20 without ID, all with one)"},
			&cli.StringFlag{Name: "since", Usage: "only commits on or after this date (YYYY-MM-DD, today, -2w, monday, ...)"},
			&cli.StringFlag{Name: "author", Usage: "only commits whose author name or email contains this text (case-insensitive)"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 1, "[ID] [-n N] [--since DATE] [--author TEXT] [--json]"); err != nil {
				return err
			}
			return runLog(env, logOptions{ID: c.Args().First(), OneID: c.NArg() == 1, MaxCount: c.Int("max-count"),
				MaxCountSet: c.IsSet("max-count"), Since: c.String("since"), Author: c.String("author"), JSON: c.Bool("json")})
		},
	}
}

// logOptions are log's argument and flags.
type logOptions struct {
	ID          string // the milestone, when OneID
	OneID       bool   // false: every milestone
	MaxCount    int    // -n
	MaxCountSet bool   // -n given (-n 0 means all)
	Since       string // a date as the user may write it
	Author      string
	JSON        bool
}

// runLog prints the history of one milestone, or of all of them.
func runLog(env *Env, opts logOptions) error {
	filter, err := parseLogFilter(opts, env)
	if err != nil {
		return err
	}
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	head, err := repo.Head()
	if err != nil {
		return err
	}
	var entries []semdiff.LogEntry
	if !opts.OneID {
		if filter.max == 0 && !opts.MaxCountSet {
			filter.max = 20
		}
		if !head.Unborn {
			if entries, err = repositoryLog(repo, head.Hash, filter); err != nil {
				return err
			}
		}
	} else {
		if entries, err = milestoneLog(repo, head, opts.ID); err != nil {
			return notInGit(repo, opts.ID, err)
		}
		entries = filter.apply(entries)
	}
	if opts.JSON {
		if entries == nil {
			entries = []semdiff.LogEntry{}
		}
		return semdiff.WriteLogJSON(env.Stdout, entries)
	}
	writeLog(env, entries)
	return nil
}

// notInGit explains a milestone git has no history of in database mode,
// where changes are rows, not commits: "no milestone" would be untrue.
func notInGit(repo *gitrepo.Repo, arg string, err error) error {
	var nf *milestone.NotFoundError
	if kind, _ := config.ReadBackend(repo.WorkTree); kind == "" || opener.InWorkTree(kind) || !errors.As(err, &nf) {
		return err
	}
	return fmt.Errorf("git holds no history of milestone %q: the database is the store here, so its changes are not commits (`git milestone events` lists them)", arg)
}

// milestoneLog is the history of one milestone, each commit once, newest first.
func milestoneLog(repo *gitrepo.Repo, head gitrepo.Head, arg string) ([]semdiff.LogEntry, error) {
	var ids []string
	exact, err := isDocAt(repo, head, arg)
	if err != nil {
		return nil, err
	}
	if exact {
		ids = []string{arg} // an exact id wins: no need to list the others
	} else if !head.Unborn {
		snap, err := semdiff.TreeSnapshot(repo, head.Hash, "HEAD")
		if err != nil {
			return nil, err
		}
		for _, d := range snap.Docs {
			ids = append(ids, d.ID)
		}
	}
	id, err := milestone.Resolve(ids, arg)
	var nf *milestone.NotFoundError
	if errors.As(err, &nf) {
		if milestone.ValidateID(arg) != nil {
			return nil, refused("%v", milestone.ValidateID(arg))
		}
		id, err = arg, nil // maybe removed: history knows it
	}
	if err != nil {
		return nil, err
	}
	var entries []semdiff.LogEntry
	if !head.Unborn {
		if entries, err = semdiff.Log(repo, head.Hash, id); err != nil {
			return nil, err
		}
	}
	if len(entries) == 0 {
		return nil, &milestone.NotFoundError{ID: id}
	}
	// Each commit once (histories met again through renames and merges),
	// newest first.
	seen := map[string]bool{}
	var out []semdiff.LogEntry
	snapshot := snapshotCache(repo)
	for _, e := range entries {
		if seen[e.Commit] {
			continue
		}
		seen[e.Commit] = true
		c, err := repo.ReadCommit(e.Commit)
		if err != nil {
			return nil, err
		}
		if len(c.Parents) > 1 {
			took, err := mergeTookFromParent(c, e.ID, snapshot)
			if err != nil {
				return nil, err
			}
			if took {
				continue // the change is listed at the commit that made it
			}
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.After(out[j].Date) })
	return out, nil
}

// isDocAt reports whether a milestone document named exactly id is in
// HEAD, found with two path lookups instead of the listing of every
// document (at 10,000 milestones, a tenth of a log's time).
func isDocAt(repo *gitrepo.Repo, head gitrepo.Head, id string) (bool, error) {
	if head.Unborn || milestone.ValidateID(id) != nil {
		return false, nil
	}
	tree, err := repo.CommitTree(head.Hash)
	if err != nil {
		return false, err
	}
	for _, f := range semdiff.Folders {
		e, found, err := repo.Lookup(tree, ".milestones/"+f+"/"+id+".yaml")
		if err != nil {
			return false, err
		}
		if found && (e.Mode == gitrepo.ModeFile || e.Mode == gitrepo.ModeExecutable) {
			return true, nil
		}
	}
	return false, nil
}

// logFilter is -n, --since and --author.
type logFilter struct {
	max    int
	since  time.Time
	author string
}

func parseLogFilter(opts logOptions, env *Env) (logFilter, error) {
	f := logFilter{max: opts.MaxCount, author: strings.ToLower(opts.Author)}
	if f.max < 0 {
		return f, refused("-n %d: must be 0 or more", f.max)
	}
	if v := opts.Since; v != "" {
		d, err := resolveDate("--since", v, env.Now())
		if err != nil {
			return f, err
		}
		t, err := time.ParseInLocation(time.DateOnly, d, time.Local)
		if err != nil {
			return f, refused("--since %q: %v", v, err)
		}
		f.since = t
	}
	return f, nil
}

func (f logFilter) keep(when time.Time, name, email string) bool {
	if !f.since.IsZero() && when.Before(f.since) {
		return false
	}
	if f.author != "" && !strings.Contains(strings.ToLower(name+" <"+email+">"), f.author) {
		return false
	}
	return true
}

// apply filters entries (newest first), keeping at most max commits.
func (f logFilter) apply(entries []semdiff.LogEntry) []semdiff.LogEntry {
	var out []semdiff.LogEntry
	commits := 0
	for i, e := range entries {
		if !f.keep(e.Date, e.Author, e.Email) {
			continue
		}
		if i == 0 || entries[i-1].Commit != e.Commit {
			commits++
		}
		if f.max > 0 && commits > f.max {
			break
		}
		out = append(out, e)
	}
	return out
}

// repositoryLog walks history from head newest first (by commit date) and
// lists what each commit changed in the milestones, compared with its
// first parent. A merge whose milestones equal one parent's is skipped, as
// git log does for paths, so changes are not shown twice.
func repositoryLog(repo *gitrepo.Repo, head string, f logFilter) ([]semdiff.LogEntry, error) {
	queue := []gitrepo.Commit{}
	seen := map[string]bool{}
	push := func(id string) error {
		if seen[id] {
			return nil
		}
		seen[id] = true
		c, err := repo.ReadCommit(id)
		if err != nil {
			return err
		}
		queue = append(queue, c)
		return nil
	}
	if err := push(head); err != nil {
		return nil, err
	}
	snapshot := snapshotCache(repo)
	var out []semdiff.LogEntry
	commits := 0
	for len(queue) > 0 {
		// The newest commit first (committer date), as git log orders.
		newest := 0
		for i := range queue {
			if queue[i].Committer.When.After(queue[newest].Committer.When) {
				newest = i
			}
		}
		c := queue[newest]
		queue = append(queue[:newest], queue[newest+1:]...)
		if !f.since.IsZero() && c.Committer.When.Before(f.since) {
			continue // older history is older still: not followed
		}
		for _, p := range c.Parents {
			if err := push(p); err != nil {
				return nil, err
			}
		}
		if !f.keep(c.Author.When, c.Author.Name, c.Author.Email) {
			continue
		}
		cur, err := snapshot(c.ID)
		if err != nil {
			return nil, err
		}
		parent := &semdiff.Snapshot{Name: "empty"}
		if len(c.Parents) > 0 {
			same := false
			for _, p := range c.Parents {
				ps, err := snapshot(p)
				if err != nil {
					return nil, err
				}
				if sameDocs(ps, cur) {
					same = true
					break
				}
			}
			if same {
				continue
			}
			if parent, err = snapshot(c.Parents[0]); err != nil {
				return nil, err
			}
		}
		entries, _ := semdiff.Compare(parent, cur)
		if len(c.Parents) > 1 {
			// A merge shows only what it decided itself, not what one of
			// its parents brought (that commit is listed on its own).
			var own []semdiff.Entry
			for _, e := range entries {
				took, err := mergeTookFromParent(c, e.ID, snapshot)
				if err != nil {
					return nil, err
				}
				if !took {
					own = append(own, e)
				}
			}
			entries = own
		}
		if len(entries) == 0 {
			continue
		}
		commits++
		if f.max > 0 && commits > f.max {
			break
		}
		for _, e := range entries {
			out = append(out, semdiff.LogEntry{Commit: c.ID, Author: c.Author.Name, Email: c.Author.Email,
				Date: c.Author.When, Subject: c.Subject(), Entry: e})
		}
	}
	return out, nil
}

// mergeTookFromParent reports whether the merge commit c has the document
// of id (or its absence) exactly as one of its parents has it.
// snapshotCache returns a function that reads the milestones of a commit,
// each commit once.
func snapshotCache(repo *gitrepo.Repo) func(id string) (*semdiff.Snapshot, error) {
	snaps := map[string]*semdiff.Snapshot{}
	return func(id string) (*semdiff.Snapshot, error) {
		if s, ok := snaps[id]; ok {
			return s, nil
		}
		s, err := semdiff.TreeSnapshot(repo, id, short(id))
		if err == nil {
			snaps[id] = s
		}
		return s, err
	}
}

func mergeTookFromParent(c gitrepo.Commit, id string, snapshot func(string) (*semdiff.Snapshot, error)) (bool, error) {
	hashOf := func(s *semdiff.Snapshot) string {
		for _, d := range s.Docs {
			if d.ID == id {
				return d.Path + " " + d.Hash
			}
		}
		return ""
	}
	cur, err := snapshot(c.ID)
	if err != nil {
		return false, err
	}
	mine := hashOf(cur)
	for _, p := range c.Parents {
		ps, err := snapshot(p)
		if err != nil {
			return false, err
		}
		if hashOf(ps) == mine {
			return true, nil
		}
	}
	return false, nil
}

// sameDocs reports whether two snapshots hold the same documents.
func sameDocs(a, b *semdiff.Snapshot) bool {
	if len(a.Docs) != len(b.Docs) {
		return false
	}
	for i := range a.Docs {
		if a.Docs[i].Path != b.Docs[i].Path || a.Docs[i].Hash != b.Docs[i].Hash {
			return false
		}
	}
	return true
}

// writeLog prints log entries for people.
func writeLog(env *Env, entries []semdiff.LogEntry) {
	color := env.color()
	paint := func(code, s string) string {
		if color {
			return code + s + ansiReset
		}
		return s
	}
	var b strings.Builder
	for i, e := range entries {
		if i == 0 || entries[i-1].Commit != e.Commit {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s %s  %s <%s>\n", paint(ansiYellow, "commit "+short(e.Commit)), e.Date.Format("2006-01-02 15:04"), printable(e.Author), printable(e.Email))
			fmt.Fprintf(&b, "    %s\n", printable(e.Subject))
		}
		var one strings.Builder
		_ = semdiff.WriteText(&one, []semdiff.Entry{e.Entry}, semdiff.RenderOptions{Color: color})
		// Drop the summary line and blank line WriteText starts with.
		lines := strings.Split(strings.TrimRight(one.String(), "\n"), "\n")
		for _, l := range lines[min(2, len(lines)):] {
			fmt.Fprintf(&b, "    %s\n", l)
		}
		if e.Error != "" {
			fmt.Fprintf(&b, "    %s\n", paint(ansiRed, "cannot compare: "+e.Error))
		}
	}
	fmt.Fprint(env.Stdout, b.String())
}
