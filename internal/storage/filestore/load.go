package filestore

import (
	"context"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/textfold"
)

// A worker is what one loading goroutine does with the records it loads:
// take is given each, in no particular order (i is its file's index;
// cached says the record was decoded from the cache's fields, and
// loaded.again decodes it again); the record's Labels, DependsOn and
// Progress are reused after the call (see own). done is called once the
// goroutine has loaded its last record.
type worker struct {
	take func(i int, rec *storage.Record, cached bool)
	done func()
}

// loaded is what load leaves to its caller: the cache it read, with the
// offsets of the entries it used.
type loaded struct {
	files []DocFile
	cache *docCache
	offs  []int
}

// again decodes into rec the record of files[i], which load gave a worker
// as cached.
func (l *loaded) again(i int, rec *storage.Record, dec *fieldDecoder) {
	var h entryHeader
	l.cache.header(l.offs[i], &h)
	dec.decode(l.cache, h.fields, &rec.Milestone)
	own(&rec.Milestone)
	rec.Source, rec.Path = h.src, l.files[i].Path
}

// fileProblem is a document that could not be read, by its file's index.
type fileProblem struct {
	i   int
	err error
}

// scan is Scan, while the document cache is read (its data is returned
// for load): on two cores, listing the folders and reading megabytes of
// cache overlap.
func (s *Store) scan() ([]DocFile, []storage.Problem, []byte, error) {
	cache := make(chan []byte, 1)
	go func() { cache <- s.readDocCache() }()
	files, problems, err := s.Scan()
	if err != nil {
		return nil, nil, nil, err
	}
	return files, problems, <-cache, nil
}

// load reads and decodes every document of files, in parallel, handing
// each record to a worker that newWorker makes per goroutine: a query
// keeps only the records it selects, and never holds the others. It
// returns the documents that could not be read, in files' order, and
// what loaded.again needs.
// Documents whose files' stat data is unchanged since an earlier read come
// from the document cache (see doccache.go) instead of being read and
// decoded again; every file is lstat'ed.
func (s *Store) load(files []DocFile, cacheData []byte, newWorker func() worker) ([]storage.Problem, *loaded) {
	cache, offs := parseDocCache(cacheData, files) // offs reset to -1 where the entry is not used
	t0 := s.clock()
	fresh := make([]*cachedDoc, len(files))
	folders := map[string]folderStat{}
	for _, folder := range Folders {
		dir := filepath.Join(s.repo.WorkTree, filepath.FromSlash(Dir+"/"+folder))
		folders[Dir+"/"+folder] = openFolderStat(dir)
	}
	defer func() {
		for _, d := range folders {
			d.close()
		}
	}()
	var (
		next, misses, reused atomic.Int64
		wg                   sync.WaitGroup
		mu                   sync.Mutex
		failed               []fileProblem
	)
	// Workers take the next file from an atomic counter: no channel
	// hand-off per file, which costs more than a decode.
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(files)/32+1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWorker()
			var dec fieldDecoder
			var rec storage.Record
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				f := files[i]
				folder, name := path.Split(f.Path)
				st, ok := folders[strings.TrimSuffix(folder, "/")].statKey(name)
				hit, cached, err := s.loadOne(cache, &dec, f, offs[i], st, ok, t0, &rec, &fresh[i])
				switch {
				case hit:
					reused.Add(1)
				case offs[i] >= 0 || fresh[i] != nil:
					misses.Add(1)
				}
				if !hit {
					offs[i] = -1
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, fileProblem{i, err})
					mu.Unlock()
					continue
				}
				wk.take(i, &rec, cached)
			}
			if wk.done != nil {
				wk.done()
			}
		}()
	}
	wg.Wait()
	// Stale: entries read again, plus cached ones not used (files gone).
	n := 0
	if cache != nil {
		n = cache.n
	}
	if cacheStale(int(misses.Load())+n-int(reused.Load()), len(files)) {
		s.saveDocCache(files, cache, offs, fresh)
	}
	sort.Slice(failed, func(a, b int) bool { return failed[a].i < failed[b].i })
	problems := make([]storage.Problem, len(failed))
	for k, p := range failed {
		problems[k] = storage.Problem{Path: files[p.i].Path, Err: p.err}
	}
	return problems, &loaded{files: files, cache: cache, offs: offs}
}

// loadOne loads f into rec: from its cache entry at off (-1: none) when
// f's stat data (st; ok false: not a regular file) still vouches for it
// (hit; cached when from its fields), and otherwise by reading and
// decoding the file (after st was taken, so that a later write changes the
// stat data), setting *fresh to the entry to cache (left nil for a
// document that does not decode).
func (s *Store) loadOne(c *docCache, dec *fieldDecoder, f DocFile, off int, st statKey, ok bool, t0 int64,
	rec *storage.Record, fresh **cachedDoc) (hit, cached bool, err error) {
	if ok && off >= 0 {
		var h entryHeader
		c.header(off, &h)
		if h.st == st && !Racy(h.st.mtime, h.st.ctime, h.checked) {
			if h.hasFields {
				dec.decode(c, h.fields, &rec.Milestone)
				rec.Source, rec.Path = h.src, f.Path
				return true, true, nil
			}
			if r, err := s.decode(f, h.src); err == nil {
				*rec = r
				return true, false, nil
			}
		}
	}
	src, err := s.ReadFile(f.Path)
	if err != nil {
		return false, false, wrapRead(f.Path, err)
	}
	r, err := s.decode(f, src)
	if err != nil {
		return false, false, err
	}
	*rec = r
	if ok {
		d := &cachedDoc{st: st, checked: t0, src: src}
		if r.Milestone.Extra == nil {
			m := r.Milestone
			d.m = &m
		}
		*fresh = d
	}
	return false, false, nil
}

// LoadAll reads and decodes every document, in parallel (see load).
func (s *Store) LoadAll(ctx context.Context) ([]storage.Record, []storage.Problem, error) {
	files, problems, cacheData, err := s.scan()
	if err != nil {
		return nil, nil, err
	}
	recs := make([]storage.Record, len(files))
	failed, _ := s.load(files, cacheData, func() worker {
		return worker{take: func(i int, rec *storage.Record, _ bool) {
			recs[i] = *rec
			own(&recs[i].Milestone)
		}}
	})
	problems = append(problems, failed...)
	out := recs[:0]
	for _, r := range recs {
		if r.Path != "" { // not a problem
			out = append(out, r)
		}
	}
	return out, problems, ctx.Err()
}

// List implements storage.Reader: only the records q selects are kept
// (filtered as they are loaded), then sorted and limited.
func (s *Store) List(ctx context.Context, q storage.Query) ([]storage.Record, []storage.Problem, error) {
	files, problems, cacheData, err := s.scan()
	if err != nil {
		return nil, nil, err
	}
	var terms []string
	if q.Text != "" {
		terms = textfold.Terms(q.Text) // no terms match nothing (every document is still read)
	}
	var mu sync.Mutex
	var kept []*collector
	failed, l := s.load(files, cacheData, func() worker {
		c := &collector{}
		return worker{
			take: func(i int, rec *storage.Record, cached bool) {
				if !storage.Match(q, &rec.Milestone) || q.Text != "" && !storage.MatchText(&rec.Milestone, terms) {
					return
				}
				c.add(i, rec, cached)
			},
			done: func() {
				mu.Lock()
				kept = append(kept, c)
				mu.Unlock()
			},
		}
	})
	problems = append(problems, failed...)
	out := gather(kept, l) // in Scan's order, often already Sort's
	storage.Sort(q.Sort, out)
	return storage.Limit(q.Limit, out), problems, ctx.Err()
}

// collector keeps what one worker selects: the files' indexes
// (increasing: a worker takes files in order), and the records themselves
// only when they were not decoded from the cache's fields (those are
// decoded again, straight into the result: copying every selected record
// twice, once here and once into the result, cost more, and took memory
// for all of them). Kept records are in blocks that never move.
type collector struct {
	sel    []selected
	blocks [][]storage.Record
	kept   int
}

// selected is one selected record: the index of its file, and where it is
// kept (-1: decode it from the cache).
type selected struct{ i, k int }

const collectBlock = 64

// add selects rec, the record of files[i] (cached: see worker).
func (c *collector) add(i int, rec *storage.Record, cached bool) {
	if cached {
		c.sel = append(c.sel, selected{i, -1})
		return
	}
	if c.kept%collectBlock == 0 {
		c.blocks = append(c.blocks, make([]storage.Record, 0, collectBlock))
	}
	b := &c.blocks[len(c.blocks)-1]
	*b = append(*b, *rec)
	own(&(*b)[len(*b)-1].Milestone)
	c.sel = append(c.sel, selected{i, c.kept})
	c.kept++
}

// gather merges the collectors' records into one slice, in files' order.
func gather(cs []*collector, l *loaded) []storage.Record {
	n := 0
	for _, c := range cs {
		n += len(c.sel)
	}
	if n == 0 {
		return nil
	}
	out := make([]storage.Record, n)
	next := make([]int, len(cs))
	var dec fieldDecoder
	for k := range out {
		best := -1
		for w, c := range cs {
			if next[w] < len(c.sel) && (best < 0 || c.sel[next[w]].i < cs[best].sel[next[best]].i) {
				best = w
			}
		}
		c := cs[best]
		e := c.sel[next[best]]
		next[best]++
		if e.k < 0 {
			l.again(e.i, &out[k], &dec)
		} else {
			out[k] = c.blocks[e.k/collectBlock][e.k%collectBlock]
		}
	}
	return out
}

// Stats implements storage.Statser: every record summarized as List would
// give them, as they are loaded (none is kept).
func (s *Store) Stats(ctx context.Context, today string) (storage.Stats, []storage.Problem, error) {
	files, problems, cacheData, err := s.scan()
	if err != nil {
		return storage.Stats{}, nil, err
	}
	var mu sync.Mutex
	total := storage.NewSummarizer(today)
	failed, _ := s.load(files, cacheData, func() worker {
		z := storage.NewSummarizer(today)
		return worker{
			take: func(_ int, rec *storage.Record, _ bool) { z.Add(&rec.Milestone) },
			done: func() {
				mu.Lock()
				total.Merge(z)
				mu.Unlock()
			},
		}
	})
	return total.Stats(), append(problems, failed...), ctx.Err()
}
