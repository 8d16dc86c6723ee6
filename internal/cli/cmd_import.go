package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/cache"
	"github.com/git-milestone/git-milestone/internal/transfer"
)

// importSources are the values of import --from.
var importSources = []string{"json", "seed", "github", "gitlab"}

func newImportCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "bring milestones in, in one commit: from JSON (list/export --json), the shell-era store (seed), GitHub or GitLab",
		Description: `--from json FILE|-      what 'list --all --json' or 'export --format json' prints; a milestone with the same id is replaced
--from seed [PATH]      the design note's shell-era store: its YAML documents in place, or its enterprise.db given as PATH;
                        statuses, priorities and field names are mapped (vocabulary: in storage-config.yaml adds words),
                        everything else is kept under x- keys, and the original values the mapping changed under x-seed
--from github FILE|-    what 'gh api "repos/OWNER/REPO/milestones?state=all" --paginate' prints
--from gitlab FILE|-    what GET /projects/:id/milestones returns
GitHub and GitLab milestones are matched by their number (x-github / x-gitlab), never by title; a re-import
updates only the fields the forge owns. The tool never goes on the network: files or stdin in.`,
		ArgsUsage: "FILE|-|PATH",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "the source: " + strings.Join(importSources, ", "), Required: true},
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would be created and updated, and how each entry was mapped; write nothing"},
			&cli.StringFlag{Name: "tz", Usage: "time zone of GitHub due dates (due_on is an instant; the due date is its calendar date there); default: the local zone"},
			&cli.StringFlag{Name: "message", Aliases: []string{"m"}, Usage: "commit message"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan as JSON: one object per entry (id, action, origin, notes)"},
		},
		Action: func(c *cli.Context) error {
			switch from := c.String("from"); from {
			case "json", "github", "gitlab":
				if err := nArgs(c, 1, 1, "--from "+from+" FILE|-"); err != nil {
					return err
				}
			case "seed":
				if err := nArgs(c, 0, 1, "--from seed [PATH]"); err != nil {
					return err
				}
			}
			return runImport(c.Context, env, importOptions{From: c.String("from"), Arg: c.Args().First(),
				DryRun: c.Bool("dry-run"), TZ: c.String("tz"), Message: c.String("message"), JSON: c.Bool("json")})
		},
	}
}

// importOptions are import's argument and flags.
type importOptions struct {
	From    string // json, seed, github or gitlab
	Arg     string // FILE, - (stdin) or, for seed, PATH ("": the documents in place)
	DryRun  bool
	TZ      string // the zone of GitHub due dates ("": local)
	Message string // the commit message ("": a summary)
	JSON    bool   // print the plan as JSON
}

// runImport brings milestones in, in one commit.
func runImport(ctx context.Context, env *Env, opts importOptions) error {
	from := opts.From
	if !slices.Contains(importSources, from) {
		return refused("--from %q is not one of %s", from, strings.Join(importSources, ", "))
	}
	tz := time.Local
	if name := opts.TZ; name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return refused("--tz %q: %v", name, err)
		}
		tz = loc
	}
	s, err := prepare(env)
	if err != nil {
		return err
	}
	im := &importer{s: s, from: from, arg: opts.Arg, tz: tz, dryRun: opts.DryRun, message: opts.Message}
	if !im.dryRun {
		s.ensureDrivers() // a mutation sets up a clone's missing drivers
	}
	res, actions, err := im.run(ctx)
	if s.backend != nil {
		defer s.close()
	}
	if err != nil {
		var pe *planError
		if errors.As(err, &pe) {
			return &refusedError{err}
		}
		if s.backend != nil {
			s.record("import", false)
		}
		return err
	}
	if opts.JSON {
		if err := writeImportJSON(env.Stdout, actions); err != nil {
			return err
		}
	} else if im.dryRun {
		writeImportPlan(env.Stdout, actions)
	}
	counts := transfer.Counts(actions)
	what := fmt.Sprintf("%s: %d created, %d updated, %d unchanged", from, counts[transfer.Create], counts[transfer.Update], counts[transfer.Unchanged])
	if counts[transfer.Convert] > 0 {
		what = fmt.Sprintf("%s: %d converted, %d created, %d updated, %d unchanged", from, counts[transfer.Convert], counts[transfer.Create], counts[transfer.Update], counts[transfer.Unchanged])
	}
	if im.dryRun {
		fmt.Fprintf(env.Stderr, "Dry run, nothing written. %s\n", what)
		return nil
	}
	if transfer.Written(actions) == 0 {
		fmt.Fprintf(env.Stderr, "Nothing to import (%s)\n", what)
		return nil
	}
	s.record("import", true, eventlog.Event{Event: eventlog.MilestonesImported,
		Details: map[string]any{"from": from, "created": counts[transfer.Create] + counts[transfer.Convert], "updated": counts[transfer.Update]}})
	s.reportCommit("Imported "+what, res)
	return nil
}

// planError marks a refused input: the source could not be read or
// converted (exit 2, nothing written).
type planError struct{ err error }

func (e *planError) Error() string { return e.err.Error() }
func (e *planError) Unwrap() error { return e.err }

// importer runs one import.
type importer struct {
	s       *session
	from    string
	arg     string
	tz      *time.Location
	dryRun  bool
	message string // -m: the commit message instead of the summary
}

func (im *importer) run(ctx context.Context) (storage.Result, []transfer.Action, error) {
	s := im.s
	var incoming []transfer.Incoming
	var err error
	inPlace := im.from == "seed" && im.arg == ""
	if !inPlace {
		if incoming, err = im.read(ctx); err != nil {
			return storage.Result{}, nil, &planError{err}
		}
	}
	if s.backend, err = s.openBackend(ctx, s.kind); err != nil {
		return storage.Result{}, nil, err
	}
	s.read = s.backend
	switch b := s.backend.(type) {
	case importDatabase:
		if inPlace {
			return storage.Result{}, nil, refused("import --from seed without PATH converts the YAML documents of a file or hybrid store; in database mode give the shell-era enterprise.db as PATH")
		}
		return im.intoDatabase(ctx, b, incoming)
	case storage.Files:
		ix, _ := b.(storage.Indexed)
		return im.intoFiles(ctx, b, incoming, inPlace, ix)
	}
	return storage.Result{}, nil, fmt.Errorf("import: the %s backend is not supported", s.kind)
}

// read reads and converts the source given as a file (or stdin).
func (im *importer) read(ctx context.Context) ([]transfer.Incoming, error) {
	if im.from == "seed" {
		return im.readSeedDB(ctx)
	}
	var r io.Reader = im.s.env.Stdin
	if im.arg != "-" {
		f, err := os.Open(im.abs(im.arg))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	} else if r == nil {
		return nil, errors.New("no standard input")
	}
	switch im.from {
	case "json":
		return transfer.ReadJSON(r)
	case "github":
		return transfer.ReadRemote(r, transfer.GitHub, im.tz)
	}
	return transfer.ReadRemote(r, transfer.GitLab, im.tz)
}

func (im *importer) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(im.s.env.Dir, p)
}

func (im *importer) vocabulary() transfer.Vocabulary {
	v := im.s.cfg.Vocabulary
	return transfer.NewVocabulary(v.Status, v.Priority)
}

// readSeedDB converts the rows of a shell-era enterprise.db.
func (im *importer) readSeedDB(ctx context.Context) ([]transfer.Incoming, error) {
	rows, err := opener.ReadSeed(ctx, im.abs(im.arg))
	if err != nil {
		return nil, err
	}
	vocab, now := im.vocabulary(), im.s.now()
	out := make([]transfer.Incoming, 0, len(rows))
	for _, r := range rows {
		d, err := transfer.SeedFromRow(r.ID, r.Data, r.CreatedAt, r.UpdatedAt)
		if err != nil {
			return nil, err
		}
		inc, err := transfer.ConvertSeed(d, vocab, now)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// seedInPlace converts the documents under .milestones/active|completed
// that this tool cannot read, or that carry their own id key.
func (im *importer) seedInPlace(fs storage.Files, recs []storage.Record) ([]transfer.Incoming, error) {
	files, _, err := fs.Scan() // symbolic links and duplicates stay problems: never read
	if err != nil {
		return nil, err
	}
	byPath := make(map[string]*storage.Record, len(recs))
	for i := range recs {
		byPath[recs[i].Path] = &recs[i]
	}
	vocab, now := im.vocabulary(), im.s.now()
	var out []transfer.Incoming
	for _, f := range files {
		if r, ok := byPath[f.Path]; ok {
			if inc, ok := moveOwnID(r); ok {
				out = append(out, inc)
			}
			continue
		}
		src, err := fs.ReadFile(f.Path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		d, err := transfer.SeedFromYAML(f.Path, src)
		if err != nil {
			return nil, err
		}
		inc, err := transfer.ConvertSeed(d, vocab, now)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// moveOwnID converts a readable document that has its own id key: the
// key moves under x-seed (the file name is the id).
func moveOwnID(r *storage.Record) (transfer.Incoming, bool) {
	m := r.Milestone.Clone()
	var own any
	found := false
	extra := m.Extra[:0:0]
	for _, f := range m.Extra {
		if f.Key == "id" {
			own, found = f.Value, true
			continue
		}
		extra = append(extra, f)
	}
	if !found {
		return transfer.Incoming{}, false
	}
	rec := map[string]any{"id": own}
	for i, f := range extra {
		if f.Key == transfer.SeedKey {
			if mp, ok := f.Value.(map[string]any); ok {
				for k, v := range mp {
					if k != "id" {
						rec[k] = v
					}
				}
			}
			extra = append(extra[:i], extra[i+1:]...)
			break
		}
	}
	m.Extra = append(extra, milestone.Field{Key: transfer.SeedKey, Value: rec})
	note := fmt.Sprintf("id: %v -> %s.id", own, transfer.SeedKey)
	if fmt.Sprint(own) != m.ID {
		note += fmt.Sprintf(" (it differs from the file name: the milestone is %s)", m.ID)
	}
	return transfer.Incoming{M: m, Origin: r.Path, Notes: []string{note}}, true
}

// intoFiles imports into a file or hybrid store: one transaction, one commit.
func (im *importer) intoFiles(ctx context.Context, fs storage.Files, incoming []transfer.Incoming, inPlace bool, ix storage.Indexed) (storage.Result, []transfer.Action, error) {
	s := im.s
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 60*time.Second, s.warn)
	if errors.Is(err, lock.ErrLocked) {
		return storage.Result{}, nil, fmt.Errorf("a migration is running: %w", err)
	}
	if err != nil {
		return storage.Result{}, nil, err
	}
	defer release()
	// The transaction's flock is held while the store is read and
	// written: no other git-milestone process writes in between.
	var tx storage.Committer
	if !im.dryRun {
		if tx, err = opener.Begin(ctx, s.repo, opener.CommitOptions{Getenv: s.env.Getenv, Warn: s.warn}); err != nil {
			return storage.Result{}, nil, err
		}
		defer tx.Close()
	}
	recs, problems, err := fs.LoadAll(ctx)
	if err != nil {
		return storage.Result{}, nil, err
	}
	if inPlace {
		if incoming, err = im.seedInPlace(fs, recs); err != nil {
			return storage.Result{}, nil, &planError{err}
		}
	} else if len(problems) > 0 {
		for _, p := range problems {
			s.warn(p.Err.Error())
		}
		return storage.Result{}, nil, fmt.Errorf("%d document(s) cannot be read (named above): fix them or run `git milestone import --from seed` first, so that the import cannot collide with them", len(problems))
	}
	actions, err := transfer.Plan(recs, incoming)
	if err != nil {
		return storage.Result{}, nil, &planError{err}
	}
	if im.dryRun {
		return storage.Result{}, actions, nil
	}
	changes := fileChanges(actions)
	if len(changes) == 0 {
		return storage.Result{}, actions, nil
	}
	res, err := tx.Commit(im.commitMessage(actions), changes)
	if err != nil {
		return storage.Result{}, nil, err
	}
	tx.Close()
	if ix != nil && ix.CheckIndex(ctx) == nil {
		paths := make([]string, len(changes))
		for i, c := range changes {
			paths[i] = c.Path
		}
		if err := ix.RefreshIndexPaths(ctx, paths); err != nil {
			s.warn(fmt.Sprintf("the index was not updated (%v); the next command will refresh it", err))
		}
	}
	return res, actions, nil
}

// commitMessage is -m, or a summary of the import.
func (im *importer) commitMessage(actions []transfer.Action) string {
	if im.message != "" {
		return strings.TrimRight(im.message, "\n") + "\n"
	}
	c := transfer.Counts(actions)
	return fmt.Sprintf("milestone: import from %s (%d created, %d updated)\n", im.from, c[transfer.Create]+c[transfer.Convert], c[transfer.Update])
}

// fileChanges are the work-tree changes of a plan: every written document
// at the path its status gives, and the file it came from removed when
// that differs.
func fileChanges(actions []transfer.Action) []storage.Change {
	var changes []storage.Change
	written := map[string]bool{}
	for _, a := range actions {
		if a.Kind == transfer.Unchanged {
			continue
		}
		p := opener.PathFor(a.M.ID, a.M.Status)
		changes = append(changes, storage.Change{Path: p, Content: a.Src})
		written[p] = true
	}
	for _, a := range actions {
		if a.Kind != transfer.Unchanged && a.OldPath != "" && !written[a.OldPath] {
			changes = append(changes, storage.Change{Path: a.OldPath, Delete: true})
			written[a.OldPath] = true
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes
}

// importDatabase is a store import writes into by bulk where it can.
type importDatabase interface {
	storage.Backend
	storage.BulkImporter
}

// intoDatabase imports into the database: new milestones only go in by
// the bulk path (COPY on PostgreSQL), otherwise one transaction of writes.
func (im *importer) intoDatabase(ctx context.Context, db importDatabase, incoming []transfer.Incoming) (storage.Result, []transfer.Action, error) {
	s := im.s
	recs, problems, err := db.List(ctx, storage.Query{All: true})
	if err != nil {
		return storage.Result{}, nil, err
	}
	if len(problems) > 0 {
		for _, p := range problems {
			s.warn(p.Err.Error())
		}
		return storage.Result{}, nil, fmt.Errorf("%d stored milestone(s) cannot be read (named above)", len(problems))
	}
	actions, err := transfer.Plan(recs, incoming)
	if err != nil {
		return storage.Result{}, nil, &planError{err}
	}
	counts := transfer.Counts(actions)
	if im.dryRun || transfer.Written(actions) == 0 {
		return storage.Result{}, actions, nil
	}
	release, err := lock.Acquire(ctx, s.tree(), MigrationLock, 60*time.Second, s.warn)
	if errors.Is(err, lock.ErrLocked) {
		return storage.Result{}, nil, fmt.Errorf("a migration is running: %w", err)
	}
	if err != nil {
		return storage.Result{}, nil, err
	}
	defer release()
	defer func() {
		if cerr := cache.Invalidate(s.tree(), s.cacheDir()); cerr != nil {
			s.warn(cerr.Error())
		}
	}()
	if counts[transfer.Update] == 0 {
		// Import fails as a whole if any id was created meanwhile.
		batch := make([]storage.Record, 0, counts[transfer.Create])
		for _, a := range actions {
			if a.Kind == transfer.Create || a.Kind == transfer.Convert {
				batch = append(batch, storage.Record{Milestone: a.M, Source: a.Src})
			}
		}
		return storage.Result{}, actions, db.Import(ctx, batch, nil)
	}
	_, err = db.Update(ctx, storage.UpdateOptions{}, func(tx storage.Tx) error {
		for _, a := range actions {
			var err error
			switch a.Kind {
			case transfer.Create, transfer.Convert:
				err = tx.Create(a.M, a.Src)
			case transfer.Update:
				err = tx.Put(a.M, a.Src)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", a.Origin, err)
			}
		}
		return nil
	})
	return storage.Result{}, actions, err
}

// importEntry is one entry of import --json.
type importEntry struct {
	ID     string   `json:"id"`
	Action string   `json:"action"`
	Origin string   `json:"origin"`
	Path   string   `json:"path,omitempty"`
	Notes  []string `json:"notes"`
}

func writeImportJSON(w io.Writer, actions []transfer.Action) error {
	out := make([]importEntry, len(actions))
	for i, a := range actions {
		notes := a.Notes
		if notes == nil {
			notes = []string{}
		}
		out[i] = importEntry{ID: a.M.ID, Action: string(a.Kind), Origin: a.Origin, Notes: notes}
		if a.M.ID != "" {
			out[i].Path = opener.PathFor(a.M.ID, a.M.Status)
		}
	}
	return writeJSON(w, out)
}

// writeImportPlan prints the dry-run mapping: one line per entry, then
// its notes indented.
func writeImportPlan(w io.Writer, actions []transfer.Action) {
	for _, a := range actions {
		target := opener.PathFor(a.M.ID, a.M.Status)
		fmt.Fprintf(w, "%-9s %s -> %s\n", a.Kind, printable(a.Origin), target)
		for _, n := range a.Notes {
			fmt.Fprintf(w, "          %s\n", printable(n))
		}
	}
}
