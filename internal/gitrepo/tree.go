package gitrepo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Git file modes as stored in trees.
const (
	ModeTree       = 0o40000
	ModeFile       = 0o100644
	ModeExecutable = 0o100755
	ModeSymlink    = 0o120000
	ModeGitlink    = 0o160000
)

// TreeEntry is one non-tree entry found by ListTree.
type TreeEntry struct {
	Path string // repository-relative, slash-separated
	Blob string // object id (a commit id for submodules)
	Mode uint32 // ModeFile, ModeExecutable, ModeSymlink or ModeGitlink
}

// rawEntry is one entry of an encoded tree, pointing into its data.
type rawEntry struct {
	mode []byte
	name []byte
	id   []byte // 20 raw bytes
	raw  []byte // the whole encoded entry
}

func (e rawEntry) isTree() bool { return bytes.Equal(e.mode, []byte("40000")) }

func (e rawEntry) modeBits() uint32 {
	m, _ := strconv.ParseUint(string(e.mode), 8, 32)
	return uint32(m)
}

// nextEntry parses the entry at the start of data.
func nextEntry(data []byte) (rawEntry, []byte, error) {
	sp := bytes.IndexByte(data, ' ')
	if sp <= 0 {
		return rawEntry{}, nil, fmt.Errorf("corrupt tree entry")
	}
	nul := bytes.IndexByte(data[sp+1:], 0)
	if nul < 0 || sp+1+nul+21 > len(data) {
		return rawEntry{}, nil, fmt.Errorf("corrupt tree entry")
	}
	end := sp + 1 + nul + 21
	e := rawEntry{mode: data[:sp], name: data[sp+1 : sp+1+nul], id: data[sp+1+nul+1 : end], raw: data[:end]}
	return e, data[end:], nil
}

// treeCacheLimit bounds the bytes of raw trees kept by readTree.
const treeCacheLimit = 32 << 20

// readTree reads a tree object's raw data, caching it (objects never change).
func (r *Repo) readTree(id string) ([]byte, error) {
	r.mu.Lock()
	data, ok := r.trees[id]
	r.mu.Unlock()
	if ok {
		return data, nil
	}
	o, err := r.ReadObject(id)
	if err != nil {
		return nil, err
	}
	if o.Type != "tree" {
		return nil, fmt.Errorf("object %s is a %s, not a tree", id, o.Type)
	}
	r.mu.Lock()
	if r.trees == nil || r.treeBytes+len(o.Data) > treeCacheLimit {
		r.trees, r.treeBytes = map[string][]byte{}, 0
	}
	r.trees[id] = o.Data
	r.treeBytes += len(o.Data)
	r.mu.Unlock()
	return o.Data, nil
}

// Lookup finds path in the tree tree ("" is the empty tree); found is
// false when it is absent. A directory has Mode ModeTree.
func (r *Repo) Lookup(tree, path string) (e TreeEntry, found bool, err error) {
	p, err := cleanPath(path)
	if err != nil {
		return TreeEntry{}, false, err
	}
	mode, id, found, err := r.lookup(tree, p)
	if err != nil || !found {
		return TreeEntry{}, false, err
	}
	return TreeEntry{Path: p, Blob: id, Mode: mode}, true, nil
}

// lookup finds path (slash-separated, "" for the root) under tree root.
// found is false when a component is missing.
func (r *Repo) lookup(root, path string) (mode uint32, id string, found bool, err error) {
	if root == "" {
		return 0, "", path == "", nil
	}
	mode, id = ModeTree, root
	if path == "" {
		return mode, id, true, nil
	}
	for _, name := range strings.Split(path, "/") {
		if mode != ModeTree {
			return 0, "", false, nil
		}
		data, err := r.readTree(id)
		if err != nil {
			return 0, "", false, err
		}
		found = false
		for len(data) > 0 {
			var e rawEntry
			if e, data, err = nextEntry(data); err != nil {
				return 0, "", false, fmt.Errorf("tree %s: %w", id, err)
			}
			if string(e.name) == name {
				mode, id, found = e.modeBits(), hex.EncodeToString(e.id), true
				break
			}
		}
		if !found {
			return 0, "", false, nil
		}
	}
	return mode, id, true, nil
}

// LookupPaths is Lookup for many paths at once: it reads every directory
// on the way once, where a Lookup per path would scan a big directory once
// per path. The result is keyed by the cleaned path; paths not found have
// no key.
func (r *Repo) LookupPaths(tree string, paths []string) (map[string]TreeEntry, error) {
	type node struct {
		files map[string]string // entry name -> the path asked for
		dirs  map[string]*node
	}
	out := make(map[string]TreeEntry, len(paths))
	top := &node{}
	for _, path := range paths {
		p, err := cleanPath(path)
		if err != nil {
			return nil, err
		}
		if p == "" {
			if tree != "" {
				out[""] = TreeEntry{Blob: tree, Mode: ModeTree}
			}
			continue
		}
		parts := strings.Split(p, "/")
		n := top
		for _, c := range parts[:len(parts)-1] {
			if n.dirs == nil {
				n.dirs = map[string]*node{}
			}
			if n.dirs[c] == nil {
				n.dirs[c] = &node{}
			}
			n = n.dirs[c]
		}
		if n.files == nil {
			n.files = map[string]string{}
		}
		n.files[parts[len(parts)-1]] = p
	}
	var walk func(id string, n *node) error
	walk = func(id string, n *node) error {
		data, err := r.readTree(id)
		if err != nil {
			return err
		}
		for len(data) > 0 {
			var e rawEntry
			if e, data, err = nextEntry(data); err != nil {
				return fmt.Errorf("tree %s: %w", id, err)
			}
			if p, ok := n.files[string(e.name)]; ok {
				out[p] = TreeEntry{Path: p, Blob: hex.EncodeToString(e.id), Mode: e.modeBits()}
			}
			if sub, ok := n.dirs[string(e.name)]; ok && e.isTree() {
				if err := walk(hex.EncodeToString(e.id), sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if tree == "" {
		return out, nil
	}
	return out, walk(tree, top)
}

// cleanPath checks a repository-relative path ("" allowed for the root).
func cleanPath(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return "", nil
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.ContainsRune(c, 0) {
			return "", fmt.Errorf("invalid path %q", p)
		}
	}
	return p, nil
}

// ReadFile returns the content of the blob at rev:path. A missing path (or
// an unborn HEAD) gives an error wrapping fs.ErrNotExist.
func (r *Repo) ReadFile(rev, path string) ([]byte, error) {
	p, err := cleanPath(path)
	if err != nil || p == "" {
		return nil, fmt.Errorf("%s:%s: invalid file path", rev, path)
	}
	root, err := r.treeOf(rev)
	if err != nil {
		return nil, err
	}
	mode, id, found, err := r.lookup(root, p)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	if !found {
		return nil, fmt.Errorf("%s:%s: %w", rev, p, fs.ErrNotExist)
	}
	if mode == ModeTree || mode == ModeGitlink {
		return nil, fmt.Errorf("%s:%s: not a file", rev, p)
	}
	o, err := r.ReadObject(id)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	return o.Data, nil
}

// TreeID returns the id of the tree at rev:path (path "" is the root), or
// "" if there is none (also for an unborn HEAD). Comparing it between two
// runs is a cheap "did anything under path change" test.
func (r *Repo) TreeID(rev, path string) (string, error) {
	p, err := cleanPath(path)
	if err != nil {
		return "", err
	}
	root, err := r.treeOf(rev)
	if err != nil {
		return "", err
	}
	mode, id, found, err := r.lookup(root, p)
	if err != nil {
		return "", fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	if !found || mode != ModeTree {
		return "", nil
	}
	return id, nil
}

// ListTree lists every non-tree entry under dir at rev, recursively, in git
// order, without reading any blob. A missing dir gives an empty list.
func (r *Repo) ListTree(rev, dir string) ([]TreeEntry, error) {
	p, err := cleanPath(dir)
	if err != nil {
		return nil, err
	}
	root, err := r.treeOf(rev)
	if err != nil {
		return nil, err
	}
	mode, id, found, err := r.lookup(root, p)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", rev, p, err)
	}
	if !found {
		return nil, nil
	}
	if mode != ModeTree {
		return nil, fmt.Errorf("%s:%s: not a directory", rev, p)
	}
	var out []TreeEntry
	var walk func(id, prefix string) error
	walk = func(id, prefix string) error {
		data, err := r.readTree(id)
		if err != nil {
			return err
		}
		for len(data) > 0 {
			var e rawEntry
			if e, data, err = nextEntry(data); err != nil {
				return fmt.Errorf("tree %s: %w", id, err)
			}
			path := string(e.name)
			if prefix != "" {
				path = prefix + "/" + path
			}
			if e.isTree() {
				if err := walk(hex.EncodeToString(e.id), path); err != nil {
					return err
				}
				continue
			}
			out = append(out, TreeEntry{Path: path, Blob: hex.EncodeToString(e.id), Mode: e.modeBits()})
		}
		return nil
	}
	return out, walk(id, p)
}

// TreeEdit sets or removes one file in a tree.
type TreeEdit struct {
	Path string // repository-relative, slash-separated
	Blob string // new blob id; "" removes the path
	Mode uint32 // 0: keep the existing file mode, or ModeFile for a new file
}

// dirEdits are the edits below one directory.
type dirEdits struct {
	files map[string]*TreeEdit
	dirs  map[string]*dirEdits
}

// EditTree applies edits to the tree root ("" for the empty tree) and
// returns the new root id, plus the tree objects to write (only those on
// changed paths are re-encoded; every other entry is copied byte for byte).
// Entries are kept in git order (a directory sorts as name + "/"); a
// directory left empty is dropped; the root is the empty tree if everything
// is removed. Removing a missing path is a no-op. A Mode of 0 is replaced,
// in edits, by the mode used. Replacing a directory with
// a file, or a file with a directory, is refused.
func (r *Repo) EditTree(root string, edits []TreeEdit) (string, []Object, error) {
	top := &dirEdits{}
	for i := range edits {
		e := &edits[i]
		p, err := cleanPath(e.Path)
		if err != nil || p == "" {
			return "", nil, fmt.Errorf("edit tree: invalid path %q", e.Path)
		}
		if e.Blob != "" && !isHexID(e.Blob) {
			return "", nil, fmt.Errorf("edit tree: %s: invalid blob id %q", p, e.Blob)
		}
		parts := strings.Split(p, "/")
		d := top
		for _, c := range parts[:len(parts)-1] {
			if strings.EqualFold(c, ".git") {
				return "", nil, fmt.Errorf("edit tree: invalid path %q", p)
			}
			if _, clash := d.files[c]; clash {
				return "", nil, fmt.Errorf("edit tree: %s is both a file and a directory", c)
			}
			if d.dirs == nil {
				d.dirs = map[string]*dirEdits{}
			}
			if d.dirs[c] == nil {
				d.dirs[c] = &dirEdits{}
			}
			d = d.dirs[c]
		}
		name := parts[len(parts)-1]
		if strings.EqualFold(name, ".git") {
			return "", nil, fmt.Errorf("edit tree: invalid path %q", p)
		}
		if _, dup := d.files[name]; dup {
			return "", nil, fmt.Errorf("edit tree: %s given twice", p)
		}
		if _, clash := d.dirs[name]; clash {
			return "", nil, fmt.Errorf("edit tree: %s is both a file and a directory", p)
		}
		if d.files == nil {
			d.files = map[string]*TreeEdit{}
		}
		d.files[name] = e
	}
	var objs []Object
	id, empty, err := r.editDir(root, "", top, &objs)
	if err != nil {
		return "", nil, err
	}
	if empty {
		o := Object{Type: "tree"}
		objs = append(objs, o)
		id = o.ID()
	}
	return id, objs, nil
}

type editItem struct {
	name  []byte
	isDir bool
	file  *TreeEdit
	dir   *dirEdits
}

// gitCompare orders tree entry names as git does: a directory compares as
// if its name ended with '/'.
func gitCompare(a []byte, aDir bool, b []byte, bDir bool) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	var c1, c2 byte
	if n < len(a) {
		c1 = a[n]
	} else if aDir {
		c1 = '/'
	}
	if n < len(b) {
		c2 = b[n]
	} else if bDir {
		c2 = '/'
	}
	return int(c1) - int(c2)
}

// editDir writes the tree at path: the tree treeID ("" for none) with the
// edits d applied, appending the new tree objects to objs. It returns the
// new tree's id, or true when the tree ends up empty.
func (r *Repo) editDir(treeID, path string, d *dirEdits, objs *[]Object) (string, bool, error) {
	var old []byte
	if treeID != "" {
		var err error
		if old, err = r.readTree(treeID); err != nil {
			return "", false, fmt.Errorf("edit tree %s: %w", displayDir(path), err)
		}
	}
	items, byName := d.items()
	out := make([]byte, 0, len(old)+len(items)*64)
	emit := func(it editItem, old *rawEntry) (err error) {
		out, err = r.emitItem(out, path, it, old, objs)
		return err
	}

	i := 0
	for rest := old; len(rest) > 0; {
		e, next, err := nextEntry(rest)
		if err != nil {
			return "", false, fmt.Errorf("tree %s (%s): %w", treeID, displayDir(path), err)
		}
		rest = next
		isDir := e.isTree()
		for i < len(items) && gitCompare(items[i].name, items[i].isDir, e.name, isDir) < 0 {
			if err := emit(items[i], nil); err != nil {
				return "", false, err
			}
			i++
		}
		if i < len(items) && items[i].isDir == isDir && bytes.Equal(items[i].name, e.name) {
			if !isDir && (e.modeBits() == ModeGitlink) {
				return "", false, fmt.Errorf("edit tree: %s is a submodule", joinPath(path, string(e.name)))
			}
			if err := emit(items[i], &e); err != nil {
				return "", false, err
			}
			i++
			continue
		}
		if err := checkClash(byName, path, e.name); err != nil {
			return "", false, err
		}
		out = append(out, e.raw...)
	}
	for ; i < len(items); i++ {
		if err := emit(items[i], nil); err != nil {
			return "", false, err
		}
	}
	if len(out) == 0 {
		return "", true, nil
	}
	o := Object{Type: "tree", Data: out}
	id := o.ID()
	if id != treeID {
		*objs = append(*objs, o)
	}
	return id, false, nil
}

// items returns the edits of d in git's tree order, and by name.
func (d *dirEdits) items() ([]editItem, map[string]editItem) {
	items := make([]editItem, 0, len(d.files)+len(d.dirs))
	byName := make(map[string]editItem, len(d.files)+len(d.dirs))
	for n, f := range d.files {
		it := editItem{name: []byte(n), file: f}
		items = append(items, it)
		byName[n] = it
	}
	for n, sub := range d.dirs {
		it := editItem{name: []byte(n), isDir: true, dir: sub}
		items = append(items, it)
		byName[n] = it
	}
	sort.Slice(items, func(i, j int) bool {
		return gitCompare(items[i].name, items[i].isDir, items[j].name, items[j].isDir) < 0
	})
	return items, byName
}

// emitItem appends to out the entry of edit it in the tree at path (old is
// the entry it replaces, nil for none): a subdirectory is edited in turn
// (and left out when it ends up empty), a removal writes nothing, and a file
// without a mode keeps the old entry's executable bit.
func (r *Repo) emitItem(out []byte, path string, it editItem, old *rawEntry, objs *[]Object) ([]byte, error) {
	if it.dir != nil {
		oldSub := ""
		if old != nil {
			oldSub = hex.EncodeToString(old.id)
		}
		id, empty, err := r.editDir(oldSub, joinPath(path, string(it.name)), it.dir, objs)
		if err != nil || empty {
			return out, err
		}
		return appendEntry(out, "40000", it.name, id), nil
	}
	if it.file.Blob == "" {
		return out, nil // removal
	}
	mode := it.file.Mode
	if mode == 0 {
		mode = ModeFile
		if old != nil && old.modeBits() == ModeExecutable {
			mode = ModeExecutable
		}
		it.file.Mode = mode
	}
	return appendEntry(out, strconv.FormatUint(uint64(mode), 8), it.name, it.file.Blob), nil
}

// checkClash refuses an existing entry name of the tree at path that an
// edit names as the other kind (a file as a directory, or the reverse).
func checkClash(byName map[string]editItem, path string, name []byte) error {
	it, clash := byName[string(name)]
	if !clash {
		return nil
	}
	p := joinPath(path, string(name))
	if it.isDir {
		return fmt.Errorf("edit tree: %s is a file, not a directory", p)
	}
	return fmt.Errorf("edit tree: %s is a directory, not a file", p)
}

func appendEntry(out []byte, mode string, name []byte, id string) []byte {
	out = append(out, mode...)
	out = append(out, ' ')
	out = append(out, name...)
	out = append(out, 0)
	var raw [20]byte
	hex.Decode(raw[:], []byte(id))
	return append(out, raw[:]...)
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func displayDir(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
