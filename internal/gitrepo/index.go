package gitrepo

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// IndexEntry is one entry of the git index.
type IndexEntry struct {
	Path  string
	Blob  string
	Mode  uint32
	Stage int // 0 normally; 1-3 for an unresolved conflict
}

// IndexEntries returns the index entries of the given paths, decoding
// data (the bytes of indexFile) with go-git's decoder when it can, and
// asking `git ls-files -s` (with GIT_INDEX_FILE=indexFile) when it cannot
// (split index, sparse index, unknown mandatory extensions). A path that is
// not in the index has no key in the map. Nothing is written.
func (r *Repo) IndexEntries(indexFile string, data []byte, paths []string) (map[string][]IndexEntry, error) {
	out := make(map[string][]IndexEntry, len(paths))
	if len(paths) == 0 || len(data) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	var idx index.Index
	if err := index.NewDecoder(bytes.NewReader(data)).Decode(&idx); err == nil {
		for _, e := range idx.Entries {
			if want[e.Name] {
				out[e.Name] = append(out[e.Name], IndexEntry{Path: e.Name, Blob: e.Hash.String(), Mode: uint32(e.Mode), Stage: int(e.Stage)})
			}
		}
		return out, nil
	}
	args := append([]string{"ls-files", "-s", "-z", "--"}, paths...)
	res, err := r.git(map[string]string{"GIT_INDEX_FILE": indexFile, "GIT_LITERAL_PATHSPECS": "1"}, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", indexFile, err)
	}
	for _, rec := range strings.Split(string(res), "\x00") {
		if rec == "" {
			continue
		}
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("read index %s: unexpected ls-files output %q", indexFile, rec)
		}
		mode, err1 := strconv.ParseUint(f[0], 8, 32)
		stage, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || !want[path] {
			continue
		}
		out[path] = append(out[path], IndexEntry{Path: path, Blob: f[1], Mode: uint32(mode), Stage: stage})
	}
	return out, nil
}

// IndexUpdate sets one index entry; an empty Blob removes the path.
type IndexUpdate struct {
	Path string
	Blob string
	Mode uint32 // ModeFile when 0
}

// UpdateIndexFile applies updates to the index file indexFile with
// `git update-index -z --index-info` (GIT_INDEX_FILE=indexFile), which keeps
// every index extension (cache tree, untracked cache, fsmonitor, split
// index, resolve-undo) and the index version. The new entries carry no stat
// data, so git re-hashes those files once and then sees them clean. If
// indexFile does not exist, git creates it.
func (r *Repo) UpdateIndexFile(indexFile string, updates []IndexUpdate) error {
	if len(updates) == 0 {
		return nil
	}
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
		fmt.Fprintf(&in, "%o %s\t%s\x00", mode, u.Blob, u.Path)
	}
	if _, err := r.git(map[string]string{"GIT_INDEX_FILE": indexFile}, &in, "update-index", "-z", "--index-info"); err != nil {
		return fmt.Errorf("update index %s: %w", indexFile, err)
	}
	return nil
}
