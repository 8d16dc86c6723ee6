package index

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// statSum sums up the stat table so that a check of an unchanged work tree
// need not load it: hash is the XOR of entryHash over every entry (an
// order-free digest, kept up to date entry by entry as buckets are
// rewritten) and racy lists the entries that are racy (they must be
// compared by content). meta holds both ('statsum'; 'racy', the number of
// racy entries, and 'racylist', their paths one per line), written in the
// transaction that writes the entries.
type statSum struct {
	hash digest
	racy []string
}

// digest is an order-free sum of entry hashes: their XOR.
type digest [2]uint64

// add folds h into d (or takes it out again: XOR is its own inverse).
func (d *digest) add(h digest) {
	d[0] ^= h[0]
	d[1] ^= h[1]
}

// sumBuckets sums the entries of buckets.
func sumBuckets(buckets map[int]map[string]entry) statSum {
	var s statSum
	for _, m := range buckets {
		for _, e := range m {
			dir, name := path.Split(e.path)
			s.hash.add(entryHash(dir, name, &e.st))
			if e.racy() {
				s.racy = append(s.racy, e.path)
			}
		}
	}
	return s
}

// entryHash is a 128-bit hash of a document path (dir+name, dir ending in
// a slash) and its stat data: two FNV-1a lanes over the path, then the
// stat fields word by word, each lane finished by a 64-bit mixer. It is no defence against chosen inputs (a
// file's stat data is the kernel's, not the repository's, to choose); it
// only has to make two different work trees sum alike by accident never.
func entryHash(dir, name string, st *fileStat) digest {
	a, b := uint64(14695981039346656037), uint64(0x9e3779b97f4a7c15)
	for _, s := range [...]string{dir, name} {
		for i := 0; i < len(s); i++ {
			a = (a ^ uint64(s[i])) * 1099511628211
			b = (b ^ uint64(s[i])) * 0x100000001b3b
		}
	}
	for _, w := range [...]uint64{uint64(st.Type), uint64(st.Size), uint64(st.Mtime), uint64(st.Ctime), st.Ino, st.Dev} {
		a = (a ^ w) * 1099511628211
		b = (b ^ w) * 0x100000001b3b
		a ^= a >> 29
		b ^= b >> 31
	}
	return digest{mix64(a), mix64(b ^ 0xc2b2ae3d27d4eb4f)}
}

// mix64 is MurmurHash3's finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	return x ^ x>>33
}

// encodeSum and decodeSum are the stored form of statSum.hash.
func encodeSum(h digest) []byte {
	return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, h[0]), h[1])
}

func decodeSum(b []byte) (digest, error) {
	if len(b) != 16 {
		return digest{}, &corruptError{err: fmt.Errorf("meta statsum is %d bytes", len(b))}
	}
	return digest{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}, nil
}

// initSum is what a new or emptied index stores: the sum of no entries.
const initSum = `INSERT OR REPLACE INTO meta (key, value) VALUES ('statsum', zeroblob(16)), ('racy', 0), ('racylist', '')`

// updateSum replaces the stored sum: the entries before are taken out and
// the entries after put in.
func updateSum(ctx context.Context, q querier, before, after statSum) error {
	var raw []byte
	var list string
	err := q.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'statsum'), (SELECT value FROM meta WHERE key = 'racylist')`).Scan(&raw, &list)
	if err != nil {
		return err
	}
	h, err := decodeSum(raw)
	if err != nil {
		return err
	}
	h.add(before.hash)
	h.add(after.hash)
	racy := map[string]bool{}
	for _, p := range strings.Split(list, "\n") {
		racy[p] = p != ""
	}
	for _, p := range before.racy {
		delete(racy, p)
	}
	for _, p := range after.racy {
		racy[p] = true
	}
	paths := make([]string, 0, len(racy))
	for p, ok := range racy {
		if ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	_, err = q.ExecContext(ctx, `UPDATE meta SET value = CASE key WHEN 'statsum' THEN ? WHEN 'racy' THEN ? ELSE ? END
	    WHERE key IN ('statsum', 'racy', 'racylist')`, encodeSum(h), len(paths), strings.Join(paths, "\n"))
	return err
}

// maxQuickRacy is the most racy entries the quick check compares by
// content; beyond, the full check runs (and records them as no longer
// racy once they are not).
const maxQuickRacy = 32

// errNoQuickCheck says the work tree cannot be compared with the stored
// sum (a folder could not be listed as the quick check needs).
var errNoQuickCheck = errors.New("no quick freshness check here")

// freshState is what the index records of the work tree it matches:
// the generation of its last write, the statSum's hash, the racy paths
// and the number of problems.
type freshState struct {
	gen      int64
	sum      digest
	racy     []string
	problems int
}

// readFreshState reads freshState; ok is false where the quick check does
// not apply: too many racy entries, or a problem a scan recorded (a link
// or fifo in a folder: only the full check reports those again).
func (ix *Index) readFreshState(ctx context.Context) (st freshState, ok bool, err error) {
	var raw []byte
	var nRacy, scanProblems int
	var list string
	err = ix.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'gen'),
	    (SELECT value FROM meta WHERE key = 'statsum'), (SELECT value FROM meta WHERE key = 'racy'),
	    (SELECT value FROM meta WHERE key = 'racylist'),
	    (SELECT count(*) FROM problems), (SELECT count(*) FROM problems WHERE kind = 'scan')`).Scan(
		&st.gen, &raw, &nRacy, &list, &st.problems, &scanProblems)
	if err != nil || nRacy > maxQuickRacy || scanProblems > 0 {
		return st, false, err
	}
	if st.sum, err = decodeSum(raw); err != nil {
		return st, false, err
	}
	if nRacy > 0 {
		st.racy = strings.Split(list, "\n")
	}
	return st, true, nil
}

// quickFresh checks whether the index is fresh without loading its stat
// entries: the document files listed now, stat'ed one by one (the same
// fstatat pass a full check makes), must sum to the stored statSum (the
// same paths with the same stat data), and no folder may hold what a scan
// reports as a problem (a symbolic link, a fifo; an id in both folders
// makes the sums differ). It returns fresh (false: "look closer" with the
// full check, never a stale answer), the racy paths, whose content must
// still be compared (RefreshPaths does), and the number of recorded
// problems.
func (ix *Index) quickFresh(ctx context.Context, fs *filestore.Store) (fresh bool, racy []string, problems int, err error) {
	st, ok, err := ix.readFreshState(ctx)
	if err != nil || !ok {
		return false, nil, 0, err
	}
	sum, ok, err := workTreeSum(ctx, fs, ix.tuning.workers)
	if err != nil || !ok || sum != st.sum {
		return false, nil, 0, err
	}
	return true, st.racy, st.problems, nil
}

// workTreeSum sums the document files of the work tree as statSum sums the
// stat table; ok is false where only the full check can judge (a folder
// that is not a plain folder, or holds something a scan reports, or a file
// system without entry types).
func workTreeSum(ctx context.Context, fs *filestore.Store, workers int) (sum digest, ok bool, err error) {
	root := fs.Repo().WorkTree
	if st, err := lstat(filepath.Join(root, filestore.Dir)); err != nil || st.Type != typeDir {
		return sum, false, err // the full check judges it
	}
	// The folders are summed at once: listing one (a serial read of its
	// directory) overlaps stat'ing the other.
	type result struct {
		sum digest
		ok  bool
		err error
	}
	results := make([]result, len(filestore.Folders))
	var wg sync.WaitGroup
	for i, folder := range filestore.Folders {
		rel := filestore.Dir + "/" + folder
		dir := filepath.Join(root, filepath.FromSlash(rel))
		st, err := lstat(dir)
		switch {
		case err != nil:
			return sum, false, err
		case st.Type == typeNone:
			results[i].ok = true
			continue
		case st.Type != typeDir:
			return sum, false, nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.sum, r.ok, r.err = sumFolder(ctx, dir, rel, workers)
		}()
	}
	wg.Wait()
	for _, r := range results {
		if errors.Is(r.err, errNoQuickCheck) || r.err == nil && !r.ok {
			return sum, false, nil
		}
		if r.err != nil {
			return sum, false, r.err
		}
		sum.add(r.sum)
	}
	return sum, true, nil
}

// sumFolder lists the document files of one folder (the names Scan takes:
// "*.yaml", not hidden, regular files) and returns the XOR of their
// entryHash; ok is false when the folder holds something a scan reports
// (a "*.yaml" that is not a regular file or a folder), or a file listed
// is no longer regular when stat'ed.
func sumFolder(ctx context.Context, dir, rel string, workers int) (sum digest, ok bool, err error) {
	d, names, odd, err := listDocs(dir)
	if err != nil || odd {
		return sum, false, err
	}
	defer d.close()
	hashes := make([]digest, len(names))
	var irregular atomic.Bool
	prefix := rel + "/"
	err = parallelEach(ctx, workers, len(names), func() (func(int) error, func()) {
		wd := d.dup()
		return func(i int) error {
			st, err := wd.stat(names[i])
			if err != nil {
				return err
			}
			if st.Type != typeRegular {
				irregular.Store(true)
				return nil
			}
			hashes[i] = entryHash(prefix, names[i], &st)
			return nil
		}, wd.close
	})
	if err != nil {
		return sum, false, fmt.Errorf("check %s: %w", rel, err)
	}
	for _, h := range hashes {
		sum.add(h)
	}
	return sum, !irregular.Load(), nil
}
