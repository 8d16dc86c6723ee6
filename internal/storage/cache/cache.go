// Package cache is a read cache for a short-lived CLI in front of a remote
// database: query results are kept as files for a TTL, and the database is
// only connected to on a miss. Writes do not go through it; whoever writes
// calls Invalidate. Results may be up to TTL old when other clones write
// to a shared database: that is the trade the user opts into with
// performance.cache_enabled.
package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Reader is what the cache answers: storage.Reader plus stats.
type Reader interface {
	storage.Reader
	storage.Statser
}

// Store answers reads from files in Dir younger than TTL, and from the
// backend (opened on the first miss) otherwise.
type Store struct {
	Tree  safefs.Tree // the untrusted folder the cache lives in
	Dir   string      // the cache folder in Tree
	TTL   time.Duration
	Scope string // part of every key: the database and project it caches
	Now   func() time.Time
	open  func() (storage.Backend, error)
	b     storage.Backend
}

// New returns a cache in the folder dir of t whose misses are served by
// the backend that open returns (called at most once). Cache files are
// read and written through safefs: a link there is never followed.
func New(t safefs.Tree, dir string, ttl time.Duration, scope string, open func() (storage.Backend, error)) *Store {
	return &Store{Tree: t, Dir: dir, TTL: ttl, Scope: scope, Now: time.Now, open: open}
}

// Invalidate removes every cached result in the folder dir of t (links
// there are removed, not followed).
func Invalidate(t safefs.Tree, dir string) error {
	if err := t.RemoveAll(dir); err != nil {
		return fmt.Errorf("invalidate cache %s: %w", t.Show(dir), err)
	}
	return nil
}

// Close closes the backend if it was opened.
func (s *Store) Close() error {
	if s.b != nil {
		return s.b.Close()
	}
	return nil
}

// Opened reports whether a miss made the cache connect to the backend.
func (s *Store) Opened() bool { return s.b != nil }

func (s *Store) backend() (storage.Backend, error) {
	if s.b == nil {
		b, err := s.open()
		if err != nil {
			return nil, err
		}
		s.b = b
	}
	return s.b, nil
}

// record is the cached form of a storage.Record.
type record struct {
	Doc    json.RawMessage `json:"doc"`
	Source string          `json:"source"`
	Path   string          `json:"path,omitempty"`
}

func toCached(recs []storage.Record) ([]record, error) {
	out := make([]record, len(recs))
	for i, r := range recs {
		doc, err := r.Milestone.JSON()
		if err != nil {
			return nil, err
		}
		out[i] = record{Doc: doc, Source: string(r.Source), Path: r.Path}
	}
	return out, nil
}

func fromCached(recs []record) ([]storage.Record, error) {
	out := make([]storage.Record, len(recs))
	for i, r := range recs {
		m, err := milestone.FromJSON(r.Doc)
		if err != nil {
			return nil, err
		}
		out[i] = storage.Record{Milestone: m, Source: []byte(r.Source), Path: r.Path}
	}
	return out, nil
}

// entry is one cached answer.
type entry struct {
	Records  []record       `json:"records,omitempty"`
	IDs      []string       `json:"ids,omitempty"`
	Stats    *storage.Stats `json:"stats,omitempty"`
	NotFound string         `json:"not_found,omitempty"`
}

func (s *Store) path(key ...any) string {
	h := sha256.New()
	json.NewEncoder(h).Encode(append([]any{s.Scope}, key...))
	return path.Join(filepath.ToSlash(s.Dir), hex.EncodeToString(h.Sum(nil))[:32]+".json")
}

// load reads a fresh entry; ok is false on a miss (absent, old, unreadable).
func (s *Store) load(path string) (entry, bool) {
	var e entry
	fi, err := s.Tree.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || s.Now().Sub(fi.ModTime()) >= s.TTL {
		return e, false
	}
	data, err := s.Tree.ReadFile(path)
	if err != nil || json.Unmarshal(data, &e) != nil {
		return e, false
	}
	return e, true
}

// save writes an entry atomically; a failure only costs a later miss.
func (s *Store) save(path string, e entry) {
	data, err := json.Marshal(e)
	if err != nil || s.Tree.MkdirAll(s.Dir, 0o755) != nil {
		return
	}
	s.Tree.WriteFile(path, data, 0o644)
}

// Get implements storage.Reader.
func (s *Store) Get(ctx context.Context, id string) (storage.Record, error) {
	p := s.path("get", id)
	if e, ok := s.load(p); ok {
		if e.NotFound != "" {
			return storage.Record{}, &milestone.NotFoundError{ID: e.NotFound}
		}
		if recs, err := fromCached(e.Records); err == nil && len(recs) == 1 {
			return recs[0], nil
		}
	}
	b, err := s.backend()
	if err != nil {
		return storage.Record{}, err
	}
	r, err := b.Get(ctx, id)
	var nf *milestone.NotFoundError
	switch {
	case errors.As(err, &nf):
		s.save(p, entry{NotFound: id})
	case err == nil:
		if c, cerr := toCached([]storage.Record{r}); cerr == nil {
			s.save(p, entry{Records: c})
		}
	}
	return r, err
}

// IDs implements storage.Reader.
func (s *Store) IDs(ctx context.Context) ([]string, error) {
	p := s.path("ids")
	if e, ok := s.load(p); ok {
		return e.IDs, nil
	}
	b, err := s.backend()
	if err != nil {
		return nil, err
	}
	ids, err := b.IDs(ctx)
	if err == nil {
		s.save(p, entry{IDs: ids})
	}
	return ids, err
}

// List implements storage.Reader. Results with problems are not cached.
func (s *Store) List(ctx context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	p := s.path("list", q)
	if e, ok := s.load(p); ok {
		if recs, err := fromCached(e.Records); err == nil {
			return recs, nil, nil
		}
	}
	b, err := s.backend()
	if err != nil {
		return nil, nil, err
	}
	recs, problems, err := b.List(ctx, q)
	if err == nil && len(problems) == 0 {
		if c, cerr := toCached(recs); cerr == nil {
			s.save(p, entry{Records: c})
		}
	}
	return recs, problems, err
}

// Stats answers stats, from the backend's own Stats when it has one.
func (s *Store) Stats(ctx context.Context, today string) (storage.Stats, []storage.Problem, error) {
	p := s.path("stats", today)
	if e, ok := s.load(p); ok && e.Stats != nil {
		return *e.Stats, nil, nil
	}
	b, err := s.backend()
	if err != nil {
		return storage.Stats{}, nil, err
	}
	st, problems, err := storage.ReadStats(ctx, b, today)
	if err == nil && len(problems) == 0 {
		s.save(p, entry{Stats: &st})
	}
	return st, problems, err
}

var _ Reader = (*Store)(nil)
