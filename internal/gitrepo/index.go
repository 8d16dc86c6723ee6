package gitrepo

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// IndexEntry is one entry of the git index.
type IndexEntry struct {
	Path  string
	Blob  string
	Mode  uint32
	Stage int // 0 normally; 1-3 for an unresolved conflict
}

// IndexEntries returns the index entries of the given paths. It scans
// data (the bytes of indexFile) itself, which is fast enough to do on every
// commit (go-git's decoder takes ~40 ms on a 20,000-entry index), and asks
// `git ls-files -s` (GIT_INDEX_FILE=indexFile) when the index needs more
// than a scan: a split index (its entries live in a shared index), a sparse
// index, or an unknown mandatory extension. A path that is not in the index
// has no key in the map. Nothing is written.
func (r *Repo) IndexEntries(indexFile string, data []byte, paths []string) (map[string][]IndexEntry, error) {
	out := make(map[string][]IndexEntry, len(paths))
	if len(paths) == 0 || len(data) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	if err := scanIndex(data, want, out); err == nil {
		return out, nil
	} else if !errors.Is(err, errNeedGit) {
		return nil, fmt.Errorf("read index %s: %w", indexFile, err)
	}
	clear(out)
	args := append([]string{"ls-files", "-s", "-z", "--"}, paths...)
	res, err := r.git(map[string]string{"GIT_INDEX_FILE": indexFile, "GIT_LITERAL_PATHSPECS": "1"}, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", indexFile, err)
	}
	entries, err := parseStaged(res)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", indexFile, err)
	}
	for _, e := range entries {
		if want[e.Path] {
			out[e.Path] = append(out[e.Path], e)
		}
	}
	return out, nil
}

// IndexEntriesOf is IndexEntries on the current content of the index file
// indexFile, which is mapped rather than copied into memory. A missing
// index file has no entries.
func (r *Repo) IndexEntriesOf(indexFile string, paths []string) (map[string][]IndexEntry, error) {
	var out map[string][]IndexEntry
	var scanErr error // IndexEntries' own error, which names the file
	err := readMapped(indexFile, func(data []byte) error {
		out, scanErr = r.IndexEntries(indexFile, data, paths)
		return scanErr
	})
	switch {
	case err == nil:
		return out, nil
	case scanErr != nil:
		return nil, scanErr
	case errors.Is(err, os.ErrNotExist):
		return map[string][]IndexEntry{}, nil
	}
	return nil, fmt.Errorf("read index %s: %w", indexFile, err)
}

// errNeedGit: the index uses a feature scanIndex does not read.
var errNeedGit = errors.New("index needs git to be read")

// scanIndex collects the entries of an index file (versions 2, 3 and 4)
// whose path is wanted, with walkIndex: errNeedGit for a split or sparse
// index, a version it does not know, or an unknown mandatory extension.
// The trailing checksum is not verified here; git verifies it when it
// updates the index.
func scanIndex(data []byte, want map[string]bool, out map[string][]IndexEntry) error {
	// Entries are sorted by path, so are the wanted paths: merge them.
	wanted := make([][]byte, 0, len(want))
	for p := range want {
		wanted = append(wanted, []byte(p))
	}
	sort.Slice(wanted, func(i, j int) bool { return bytes.Compare(wanted[i], wanted[j]) < 0 })
	next := 0 // wanted[next] is the smallest path not yet passed
	return walkIndex(data, func(name []byte, off, stage int) {
		for next < len(wanted) && bytes.Compare(wanted[next], name) < 0 {
			next++
		}
		if next < len(wanted) && bytes.Equal(wanted[next], name) {
			e := data[off:]
			p := string(name)
			out[p] = append(out[p], IndexEntry{Path: p, Blob: hex.EncodeToString(e[40:60]),
				Mode: binary.BigEndian.Uint32(e[24:28]), Stage: stage})
		}
	})
}

// IndexUpdate sets one index entry; an empty Blob removes the path.
type IndexUpdate struct {
	Path  string
	Blob  string
	Mode  uint32 // ModeFile when 0
	Stage int    // 0, or 1-3 to write one side of an unresolved conflict
}

// UpdateIndexFile applies updates to the index file indexFile as `git
// update-index -z --index-info` (GIT_INDEX_FILE=indexFile) does, which
// keeps every index extension (cache tree, untracked cache, fsmonitor,
// split index, resolve-undo) and the index version. The new entries carry
// no stat data, so git re-hashes those files once and then sees them
// clean. If indexFile does not exist, git creates it. Like git, it takes
// indexFile's lock (indexFile.lock, failing if it exists), writes the new
// index there and renames it over indexFile.
//
// It writes the index itself, the bytes git would write, when the index
// and the updates are of the common kinds (see writeIndexUpdates), and
// runs git otherwise.
func (r *Repo) UpdateIndexFile(indexFile string, updates []IndexUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	err := r.writeIndexUpdates(indexFile, updates)
	if err == nil {
		return nil
	}
	if !errors.Is(err, errNeedGit) {
		return fmt.Errorf("update index %s: %w", indexFile, err)
	}
	return r.updateIndexGit(indexFile, updates)
}

// updateIndexGit is UpdateIndexFile by `git update-index`.
func (r *Repo) updateIndexGit(indexFile string, updates []IndexUpdate) error {
	var in bytes.Buffer
	for _, u := range updates {
		if u.Blob == "" {
			fmt.Fprintf(&in, "0 %s\t%s\x00", ZeroID, u.Path)
			continue
		}
		mode := u.Mode
		if mode == 0 {
			mode = ModeFile
		}
		if u.Stage > 0 {
			fmt.Fprintf(&in, "%o %s %d\t%s\x00", mode, u.Blob, u.Stage, u.Path)
			continue
		}
		fmt.Fprintf(&in, "%o %s\t%s\x00", mode, u.Blob, u.Path)
	}
	if _, err := r.git(map[string]string{"GIT_INDEX_FILE": indexFile}, &in, "update-index", "-z", "--index-info"); err != nil {
		return fmt.Errorf("update index %s: %w", indexFile, err)
	}
	return nil
}

// RefreshIndexFile gives the entries of paths in indexFile the stat data
// of their work-tree files, as `git update-index --refresh` would (`git add
// --refresh`: an entry is refreshed only when the file's content is what
// it records, the content is never re-added), so that git status, git diff
// and sparse checkout see those files clean without re-hashing them.
func (r *Repo) RefreshIndexFile(indexFile string, paths []string) error {
	if len(paths) == 0 {
		return nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p + "\x00")
	}
	env := map[string]string{"GIT_INDEX_FILE": indexFile, "GIT_LITERAL_PATHSPECS": "1"}
	if _, err := r.git(env, &in, "add", "--refresh", "--pathspec-from-file=-", "--pathspec-file-nul"); err != nil {
		return fmt.Errorf("refresh index %s: %w", indexFile, err)
	}
	return nil
}

// ListIndex returns every entry of the index (all stages) under the folder
// dir (repository-relative), from `git ls-files -s`.
func (r *Repo) ListIndex(dir string) ([]IndexEntry, error) {
	res, err := r.git(map[string]string{"GIT_LITERAL_PATHSPECS": "1"}, nil, "ls-files", "-s", "-z", "--", dir)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	out, err := parseStaged(res)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	return out, nil
}

// parseStaged parses the output of `git ls-files -s -z`.
func parseStaged(res []byte) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, rec := range strings.Split(string(res), "\x00") {
		if rec == "" {
			continue
		}
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("unexpected ls-files output %q", rec)
		}
		mode, err1 := strconv.ParseUint(f[0], 8, 32)
		stage, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("unexpected ls-files output %q", rec)
		}
		out = append(out, IndexEntry{Path: path, Blob: f[1], Mode: uint32(mode), Stage: stage})
	}
	return out, nil
}
