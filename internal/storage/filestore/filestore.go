// Package filestore is the "file" backend: the YAML documents under
// .milestones/active and .milestones/completed are the store, and every
// change is one git commit made by package txn.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/lock"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/textfold"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// Layout, relative to the work tree.
const (
	Dir      = ".milestones"
	LocksDir = ".milestones/locks"
)

// Folders holds the folders that contain documents.
var Folders = []string{"active", "completed"}

// IsDocName reports whether a file name in a document folder names a
// document: "<id>.yaml", not hidden. Every scan of the folders (this
// store's, the hybrid index's freshness checks) takes the same names.
func IsDocName(name string) bool {
	return strings.HasSuffix(name, ".yaml") && !strings.HasPrefix(name, ".")
}

// PathFor is the repository-relative path of a milestone with this status.
func PathFor(id string, st milestone.Status) string {
	return Dir + "/" + st.Folder() + "/" + id + ".yaml"
}

// Options configure a Store.
type Options struct {
	Getenv      func(string) string // environment for the commit identity
	Warn        func(string)        // non-fatal messages (stale locks, ...)
	LockTimeout time.Duration       // per-milestone lock wait; default 30 s
	// AfterCommit, when set, is told what an Update wrote (hybrid keeps its index fresh with it).
	AfterCommit func(changes []txn.Change)
	// DuringCommit, when set, is told what an Update is committing while
	// the commit waits for git (see txn.Options.Overlap): hybrid opens its
	// index there and reads ahead what AfterCommit's refresh needs.
	DuringCommit func(changes []txn.Change)
}

// Store is the file backend.
type Store struct {
	repo *gitrepo.Repo
	opts Options
	now  func() time.Time // the document cache's clock (tests move it)

	folders sync.Map // folder (".milestones/active") -> error: checked once, it is not a link
}

var _ storage.Backend = (*Store)(nil)

// Open returns the file store of repo's work tree.
func Open(repo *gitrepo.Repo, opts Options) *Store {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 30 * time.Second
	}
	return &Store{repo: repo, opts: opts}
}

// Name implements storage.Backend.
func (s *Store) Name() string { return "file" }

// Close implements storage.Backend.
func (s *Store) Close() error { return nil }

// Repo returns the repository the store lives in.
func (s *Store) Repo() *gitrepo.Repo { return s.repo }

// DocFile is one document file found under .milestones.
type DocFile struct {
	ID   string
	Path string // repository-relative
}

// Scan lists the document files, sorted by path. Symlinks are refused
// (reported as problems, never followed), as are ids present in both
// folders.
func (s *Store) Scan() ([]DocFile, []storage.Problem, error) {
	var problems []storage.Problem
	if fi, err := os.Lstat(filepath.Join(s.repo.WorkTree, Dir)); err == nil && !fi.IsDir() {
		return nil, nil, &safefs.RefusedError{Path: Dir, What: safefs.Kind(fi.Mode()), Want: "a directory"}
	}
	// Every folder is listed first, to size files once.
	listed := make([][]dirName, len(Folders))
	linked := make([]bool, len(Folders))
	total := 0
	for k, folder := range Folders {
		rel := Dir + "/" + folder
		dir := filepath.Join(s.repo.WorkTree, filepath.FromSlash(rel))
		if fi, err := os.Lstat(dir); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			linked[k] = true
			continue
		}
		entries, err := readDocNames(dir, rel)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", rel, err)
		}
		listed[k], total = entries, total+len(entries)
	}
	var files []DocFile
	if total > 0 {
		files = make([]DocFile, 0, total)
	}
	var earlier [][]DocFile // the files of the folders before this one, each sorted by name
	for k, folder := range Folders {
		if linked[k] {
			rel := Dir + "/" + folder
			problems = append(problems, storage.Problem{Path: rel, Err: &safefs.RefusedError{Path: rel, What: "a symbolic link", Want: "a directory"}})
		}
		first := len(files)
		for _, e := range listed[k] {
			p := e.path
			name := p[len(Dir)+len(folder)+2:]
			if e.typ&fs.ModeSymlink != 0 {
				problems = append(problems, storage.Problem{Path: p, Err: &safefs.RefusedError{Path: p, What: "a symbolic link", Want: "a regular file"}})
				continue
			}
			if !e.typ.IsRegular() {
				if e.typ&fs.ModeDir == 0 { // a fifo, socket or device: named, never opened
					problems = append(problems, storage.Problem{Path: p, Err: &safefs.RefusedError{Path: p, What: safefs.Kind(e.typ), Want: "a regular file"}})
				}
				continue
			}
			id := name[:len(name)-len(".yaml")]
			if prev, dup := findName(earlier, name); dup {
				problems = append(problems, storage.Problem{Path: p, Err: fmt.Errorf("%s: milestone %q also exists as %s", p, id, prev)})
				continue
			}
			files = append(files, DocFile{ID: id, Path: p})
		}
		earlier = append(earlier, files[first:])
	}
	return files, problems, nil
}

// findName returns the path of the file of that name in one of folders
// (each sorted by name, as Scan lists them).
func findName(folders [][]DocFile, name string) (string, bool) {
	base := func(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }
	for _, fs := range folders {
		k := sort.Search(len(fs), func(k int) bool { return base(fs[k].Path) >= name })
		if k < len(fs) && base(fs[k].Path) == name {
			return fs[k].Path, true
		}
	}
	return "", false
}

// dirName is one document of a folder listing.
type dirName struct {
	path string      // repository-relative
	typ  fs.FileMode // type bits only
}

// sortDirNames sorts a listing by path (by name: one folder's).
func sortDirNames(names []dirName) {
	slices.SortFunc(names, func(a, b dirName) int { return strings.Compare(a.path, b.path) })
}

// checkFolder refuses a document folder (".milestones/active"), or a
// folder above it, that is a link or not a directory: O_NOFOLLOW guards
// only the last component of a path. Each folder is checked once per
// store; a missing one is fine (nothing can be read through it).
func (s *Store) checkFolder(dir string) error {
	if v, ok := s.folders.Load(dir); ok {
		err, _ := v.(error)
		return err
	}
	var err error
	for p := dir; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		fi, lerr := os.Lstat(filepath.Join(s.repo.WorkTree, filepath.FromSlash(p)))
		if lerr == nil && !fi.IsDir() {
			err = &safefs.RefusedError{Path: p, What: safefs.Kind(fi.Mode()), Want: "a directory"}
		}
	}
	s.folders.Store(dir, err)
	return err
}

// errNotRegular is returned by readNoFollow for a fifo, device, socket or
// directory.
var errNotRegular = errors.New("not a regular file")

// errTooLarge is returned by readNoFollow for a file over maxRead, which
// is not read at all.
var errTooLarge = errors.New("too large")

// maxRead is the largest document read: format.MaxDocumentSize.
const maxRead = format.MaxDocumentSize

// ReadFile reads a repository-relative file without following symlinks
// and without opening anything but a regular file. Scan has checked the
// folders above it.
func (s *Store) ReadFile(rel string) ([]byte, error) {
	if err := s.checkFolder(path.Dir(rel)); err != nil {
		return nil, err
	}
	data, err := readNoFollow(filepath.Join(s.repo.WorkTree, filepath.FromSlash(rel)))
	if errors.Is(err, syscall.ELOOP) {
		return nil, &safefs.RefusedError{Path: rel, What: "a symbolic link", Want: "a regular file"}
	}
	if errors.Is(err, errTooLarge) {
		return nil, &format.Error{Path: rel, Msg: fmt.Sprintf("the document is over the limit of %d bytes", format.MaxDocumentSize)}
	}
	if errors.Is(err, errNotRegular) {
		fi, lerr := os.Lstat(filepath.Join(s.repo.WorkTree, filepath.FromSlash(rel)))
		what := "a special file"
		if lerr == nil {
			what = safefs.Kind(fi.Mode())
		}
		return nil, &safefs.RefusedError{Path: rel, What: what, Want: "a regular file"}
	}
	return data, err
}

// Load reads and decodes one document file.
func (s *Store) Load(f DocFile) (storage.Record, error) {
	src, err := s.ReadFile(f.Path)
	if err != nil {
		return storage.Record{}, wrapRead(f.Path, err)
	}
	return s.decode(f, src)
}

func wrapRead(path string, err error) error { return fmt.Errorf("read %s: %w", path, err) }

// decode decodes the document src of f.
func (s *Store) decode(f DocFile, src []byte) (storage.Record, error) {
	m, err := format.Decode(f.Path, src)
	if err != nil {
		return storage.Record{}, err
	}
	return storage.Record{Milestone: m, Source: src, Path: f.Path}, nil
}

// Get implements storage.Reader.
func (s *Store) Get(ctx context.Context, id string) (storage.Record, error) {
	if err := milestone.ValidateID(id); err != nil {
		return storage.Record{}, &milestone.NotFoundError{ID: id}
	}
	var found []DocFile
	for _, folder := range Folders {
		if err := s.checkFolder(Dir + "/" + folder); err != nil {
			return storage.Record{}, err
		}
		p := Dir + "/" + folder + "/" + id + ".yaml"
		if _, err := os.Lstat(filepath.Join(s.repo.WorkTree, filepath.FromSlash(p))); err == nil {
			found = append(found, DocFile{ID: id, Path: p})
		}
	}
	switch len(found) {
	case 0:
		return storage.Record{}, &milestone.NotFoundError{ID: id}
	case 2:
		return storage.Record{}, fmt.Errorf("milestone %q exists twice: %s and %s (run `git milestone fsck`)", id, found[0].Path, found[1].Path)
	}
	return s.Load(found[0])
}

// Taken reports whether a milestone file for id is in either folder (or
// anything else under that name): two lstat calls, for choosing a new id
// without listing every milestone.
func (s *Store) Taken(ctx context.Context, id string) (bool, error) {
	for _, folder := range Folders {
		if s.checkFolder(Dir+"/"+folder) != nil {
			continue // a linked folder is never looked through
		}
		p := filepath.Join(s.repo.WorkTree, Dir, folder, id+".yaml")
		if _, err := os.Lstat(p); err == nil {
			return true, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("check %s: %w", p, err)
		}
	}
	return false, nil
}

// ResolveID resolves an id or unique id prefix as milestone.Resolve does
// over IDs: an exact id whose document is a regular file (HasDocument) is
// answered with two lstat calls; anything else lists the ids.
func (s *Store) ResolveID(ctx context.Context, prefix string) (string, error) {
	if s.HasDocument(prefix) {
		return prefix, nil
	}
	ids, err := s.IDs(ctx)
	if err != nil {
		return "", err
	}
	return milestone.Resolve(ids, prefix)
}

// HasDocument reports whether id is a valid id whose document is a regular
// file in either folder (what IDs would list, duplicates aside).
func (s *Store) HasDocument(id string) bool {
	if milestone.ValidateID(id) != nil {
		return false
	}
	for _, folder := range Folders {
		if s.checkFolder(Dir+"/"+folder) != nil {
			continue // a linked folder is never looked through
		}
		fi, err := os.Lstat(filepath.Join(s.repo.WorkTree, Dir, folder, id+".yaml"))
		if err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// IDs implements storage.Reader.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	files, _, err := s.Scan()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *Store) clock() int64 {
	if s.now != nil {
		return s.now().UnixNano()
	}
	return time.Now().UnixNano()
}

// cacheStale reports whether the document cache is worth writing again
// when stale of its n entries are missing, changed or gone. A few stale
// entries cost the next command a few reads, rewriting the cache costs
// all of it (0.6 MB at 1,000 documents): after one write, the next query
// should not pay for a whole new cache.
func cacheStale(stale, n int) bool {
	return stale > 0 && (stale >= 16 || stale*32 >= n)
}

// Filter applies q (filters, text, sort, limit) to records in memory.
func Filter(all []storage.Record, q storage.Query) []storage.Record {
	return filterInto(nil, all, q)
}

// filterInto is Filter appending to out.
func filterInto(out, all []storage.Record, q storage.Query) []storage.Record {
	var terms []string
	if q.Text != "" {
		if terms = textfold.Terms(q.Text); len(terms) == 0 {
			return nil // a query with no terms matches nothing
		}
	}
	for _, r := range all {
		if !storage.Match(q, &r.Milestone) {
			continue
		}
		if terms != nil && !storage.MatchText(&r.Milestone, terms) {
			continue
		}
		out = append(out, r)
	}
	storage.Sort(q.Sort, out)
	return storage.Limit(q.Limit, out)
}

// Update implements storage.Backend: per-milestone locks, then one txn.
func (s *Store) Update(ctx context.Context, opts storage.UpdateOptions, fn func(storage.Tx) error) (storage.Result, error) {
	ids := append([]string(nil), opts.Lock...)
	sort.Strings(ids)
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		if err := milestone.ValidateID(id); err != nil {
			return storage.Result{}, err
		}
		release, err := lock.Acquire(ctx, safefs.WorkTree(s.repo.WorkTree), LocksDir+"/"+id+".lock", s.opts.LockTimeout, s.opts.Warn)
		if err != nil {
			return storage.Result{}, fmt.Errorf("lock milestone %s: %w", id, err)
		}
		defer release()
	}
	var changes []txn.Change // what the transaction commits, once known
	var overlap func()
	if during := s.opts.DuringCommit; during != nil {
		overlap = func() { during(changes) }
	}
	tx, err := txn.Begin(ctx, s.repo, txn.Options{Getenv: s.opts.Getenv, Warn: s.opts.Warn, Overlap: overlap,
		Sign: opts.Sign, Signoff: opts.Signoff})
	if err != nil {
		return storage.Result{}, err
	}
	defer tx.Close()
	v := &view{store: s, orig: map[string]string{}, final: map[string]*storage.Record{}}
	if err := fn(v); err != nil {
		return storage.Result{}, err
	}
	changes = v.changes()
	if len(changes) == 0 {
		return storage.Result{}, nil
	}
	if opts.NoCommit {
		if err := tx.WriteWorkTree(changes); err != nil {
			return storage.Result{}, err
		}
		s.afterCommit(changes)
		return storage.Result{}, nil
	}
	res, err := tx.Commit(opts.Message, changes)
	if err != nil {
		return storage.Result{}, err
	}
	s.afterCommit(changes)
	return storage.Result{Commit: res.Commit, Branch: res.Branch, Detached: res.Detached}, nil
}

func (s *Store) afterCommit(changes []txn.Change) {
	if s.opts.AfterCommit != nil {
		s.opts.AfterCommit(changes)
	}
}

// view is the storage.Tx of one Update: reads fall through to the work
// tree, writes are collected and turned into txn changes at the end.
type view struct {
	store *Store
	orig  map[string]string          // id -> path before the update ("" if absent)
	final map[string]*storage.Record // id -> state after (nil: deleted)
	order []string
}

func (v *view) Get(id string) (storage.Record, error) {
	if r, ok := v.final[id]; ok {
		if r == nil {
			return storage.Record{}, &milestone.NotFoundError{ID: id}
		}
		return *r, nil
	}
	r, err := v.store.Get(context.Background(), id)
	var nf *milestone.NotFoundError
	switch {
	case err == nil:
		v.remember(id, r.Path)
	case errors.As(err, &nf):
		v.remember(id, "")
	}
	return r, err
}

func (v *view) remember(id, path string) {
	if _, ok := v.orig[id]; !ok {
		v.orig[id] = path
		v.order = append(v.order, id)
	}
}

func (v *view) All() ([]storage.Record, []storage.Problem, error) {
	recs, problems, err := v.store.LoadAll(context.Background())
	if err != nil {
		return nil, nil, err
	}
	out := recs[:0]
	for _, r := range recs {
		v.remember(r.Milestone.ID, r.Path)
		if f, ok := v.final[r.Milestone.ID]; ok {
			if f != nil {
				out = append(out, *f)
			}
			continue
		}
		out = append(out, r)
	}
	for _, id := range v.order {
		if f := v.final[id]; f != nil && v.orig[id] == "" {
			out = append(out, *f)
		}
	}
	return out, problems, nil
}

func (v *view) Put(m milestone.Milestone, src []byte) error {
	if err := milestone.ValidateID(m.ID); err != nil {
		return err
	}
	if _, err := v.Get(m.ID); err != nil {
		var nf *milestone.NotFoundError
		if !errors.As(err, &nf) {
			return err
		}
	}
	v.final[m.ID] = &storage.Record{Milestone: m, Source: src, Path: PathFor(m.ID, m.Status)}
	return nil
}

func (v *view) Create(m milestone.Milestone, src []byte) error {
	if _, err := v.Get(m.ID); err == nil {
		return fmt.Errorf("milestone %q: %w", m.ID, storage.ErrExists)
	}
	return v.Put(m, src)
}

func (v *view) Delete(id string) error {
	if _, err := v.Get(id); err != nil {
		return err
	}
	v.final[id] = nil
	return nil
}

// changes turns the final state into txn changes: a write for every put
// record, a delete for every old path that is no longer used.
func (v *view) changes() []txn.Change {
	var out []txn.Change
	written := map[string]bool{}
	for _, id := range v.order {
		f, touched := v.final[id]
		if !touched {
			continue
		}
		if f != nil {
			out = append(out, txn.Change{Path: f.Path, Content: f.Source})
			written[f.Path] = true
		}
	}
	for _, id := range v.order {
		f, touched := v.final[id]
		if !touched {
			continue
		}
		if old := v.orig[id]; old != "" && (f == nil || f.Path != old) && !written[old] {
			out = append(out, txn.Change{Path: old, Delete: true})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return path.Clean(out[i].Path) < path.Clean(out[j].Path) })
	return out
}
