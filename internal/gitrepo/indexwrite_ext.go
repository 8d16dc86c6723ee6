package gitrepo

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	pathpkg "path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

// The extensions and checks of the index writer (indexwrite.go).

// cacheTree is one node of the TREE extension (git's struct cache_tree):
// the tree object of a folder, valid when count >= 0, and its subtrees in
// git's order (shorter names first, then bytes).
type cacheTree struct {
	name  []byte
	count int    // index entries the tree covers; -1: invalid, no oid
	oid   []byte // the tree's id, when valid
	subs  []*cacheTree
	raw   []byte // the node with its subtrees as read, nil once changed
}

// parseCacheTree reads a TREE extension, requiring the exact form git
// writes (so that writing it back gives the same bytes): errNeedGit
// otherwise.
func parseCacheTree(b []byte) (*cacheTree, error) {
	t, rest, ok := readCacheTree(b, 0)
	if !ok || len(rest) != 0 || len(t.name) != 0 {
		return nil, needGit("TREE extension not as git writes it")
	}
	return t, nil
}

func readCacheTree(b []byte, depth int) (*cacheTree, []byte, bool) {
	start := b
	nul := bytes.IndexByte(b, 0)
	if nul < 0 || depth > 4096 {
		return nil, nil, false
	}
	t := &cacheTree{name: b[:nul]}
	b = b[nul+1:]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, nil, false
	}
	countText, subText, _ := strings.Cut(string(b[:nl]), " ")
	count, err1 := strconv.ParseInt(countText, 10, 32)
	nsub, err2 := strconv.ParseInt(subText, 10, 32)
	if err1 != nil || err2 != nil || count < -1 || nsub < 0 || nsub > int64(len(b)) ||
		strconv.FormatInt(count, 10) != countText || strconv.FormatInt(nsub, 10) != subText {
		return nil, nil, false
	}
	t.count = int(count)
	b = b[nl+1:]
	if count >= 0 {
		if len(b) < indexHashLen {
			return nil, nil, false
		}
		t.oid, b = b[:indexHashLen], b[indexHashLen:]
	}
	t.subs = make([]*cacheTree, 0, nsub)
	for i := 0; i < int(nsub); i++ {
		sub, rest, ok := readCacheTree(b, depth+1)
		if !ok || (i > 0 && subtreeCompare(t.subs[i-1].name, sub.name) >= 0) {
			return nil, nil, false
		}
		t.subs = append(t.subs, sub)
		b = rest
	}
	t.raw = start[:len(start)-len(b)]
	return t, b, true
}

// subtreeCompare is cache-tree.c's subtree_name_cmp: shorter first.
func subtreeCompare(a, b []byte) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return bytes.Compare(a, b)
}

// invalidate is git's cache_tree_invalidate_path: every tree on the way
// to path becomes invalid (its subtrees stay), and a subtree named path
// itself is dropped.
func (t *cacheTree) invalidate(path []byte) {
	t.count, t.oid, t.raw = -1, nil, nil
	name, rest, more := bytes.Cut(path, []byte("/"))
	i, found := slices.BinarySearchFunc(t.subs, name, func(s *cacheTree, n []byte) int { return subtreeCompare(s.name, n) })
	switch {
	case !found:
	case more:
		t.subs[i].invalidate(rest)
	default:
		t.subs = slices.Delete(t.subs, i, i+1)
	}
}

// appendTo appends the node as git's cache_tree_write writes it.
func (t *cacheTree) appendTo(b []byte) []byte {
	if t.raw != nil {
		return append(b, t.raw...)
	}
	b = append(append(b, t.name...), 0)
	b = strconv.AppendInt(b, int64(t.count), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(t.subs)), 10)
	b = append(b, '\n')
	if t.count >= 0 {
		b = append(b, t.oid...)
	}
	for _, s := range t.subs {
		b = s.appendTo(b)
	}
	return b
}

// checkResolveUndo checks that a REUC extension is what git writes (its
// records sorted by path, modes in octal, an object id per non-zero
// mode), so that git would write it back unchanged: `git update-index
// --index-info` keeps the records, even of the paths it sets at stage 0.
func checkResolveUndo(b []byte) error {
	bad := needGit("REUC extension not as git writes it")
	var prev []byte
	for len(b) > 0 {
		nul := bytes.IndexByte(b, 0)
		if nul < 0 {
			return bad
		}
		name := b[:nul]
		if prev != nil && bytes.Compare(prev, name) >= 0 {
			return bad
		}
		prev, b = name, b[nul+1:]
		modes := 0
		for i := 0; i < 3; i++ {
			nul := bytes.IndexByte(b, 0)
			if nul <= 0 {
				return bad
			}
			m, err := strconv.ParseUint(string(b[:nul]), 8, 32)
			if err != nil || strconv.FormatUint(m, 8) != string(b[:nul]) {
				return bad
			}
			if m != 0 {
				modes++
			}
			b = b[nul+1:]
		}
		if modes == 0 || len(b) < modes*indexHashLen {
			return bad // (git refuses a record without a stage)
		}
		b = b[modes*indexHashLen:]
	}
	return nil
}

// checkRacy does git's part of the racy-git problem for the kept entries
// whose stat data is not older than the index (ce_smudge_racily_clean_entry):
// git re-reads such an entry's file when its stat data still matches, and
// if the content differs it zeroes the entry's size so that the change is
// not lost once the new index is newer than the file. That is rare, and
// git's answer then depends on its build (sub-second timestamps) and the
// file's conversion: errNeedGit. An entry git would leave alone is
// checked here: its file gone, of another type, of another mtime (whole
// seconds) or size, or with the content the entry records (and no
// attribute or setting that could convert it on its way in).
func (r *Repo) checkRacy(p *indexPlan) error {
	for _, re := range p.racy {
		ent := p.data[re.off:]
		file := filepath.Join(r.WorkTree, filepath.FromSlash(re.name))
		fi, err := os.Lstat(file)
		if err != nil {
			continue // git's lstat fails: nothing to do
		}
		mode := binary.BigEndian.Uint32(ent[24:28]) & 0o170000
		isLink := fi.Mode()&os.ModeSymlink != 0
		switch {
		case mode == 0o100000 && !fi.Mode().IsRegular():
			continue // a type change git sees without reading
		case mode != 0o100000 && (mode != 0o120000 || !isLink):
			return needGit("racily clean %q", re.name)
		}
		st, ok := statOf(fi)
		size := binary.BigEndian.Uint32(ent[36:40])
		if ok && (st.mtimeSec != binary.BigEndian.Uint32(ent[8:12]) || st.size != size) {
			continue // changed, as git's ce_match_stat_basic sees too
		}
		var content []byte
		if isLink {
			var target string
			target, err = os.Readlink(file)
			content = []byte(target)
		} else {
			content, err = os.ReadFile(file)
		}
		if err != nil || NewBlob(content).ID() != hex.EncodeToString(ent[40:60]) {
			return needGit("racily clean %q has changed", re.name)
		}
		if isLink {
			continue
		}
		// Line-ending conversion leaves a text without CR as it is.
		if eol, other := r.mayConvert(re.name, p.attrFiles); other || (eol && bytes.IndexByte(content, '\r') >= 0) {
			return needGit("racily clean %q may be converted", re.name)
		}
	}
	return nil
}

// mayConvert reports whether git might convert the content of the file
// at path (repository-relative) when it hashes it, from a conservative
// reading of the settings and of the attribute files that apply to path:
// eol when core.autocrlf is on or one mentions text, eol or crlf (a
// line-ending conversion, which leaves a text without CR as it is), other
// when one mentions filter, ident or encoding, or cannot be read. attrFiles
// are the .gitattributes files in the new index, which git reads when the
// work tree has none.
func (r *Repo) mayConvert(path string, attrFiles []string) (eol, other bool) {
	cs, err := r.config()
	if err != nil {
		return true, true
	}
	if v, ok := cs.get("core.autocrlf"); ok && (parseBool(v) || strings.EqualFold(strings.TrimSpace(v), "input") || v == "") {
		eol = true
	}
	look := func(b []byte, err error) {
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		s := strings.ToLower(string(b))
		eol = eol || strings.Contains(s, "text") || strings.Contains(s, "eol") || strings.Contains(s, "crlf")
		other = other || err != nil || strings.Contains(s, "filter") || strings.Contains(s, "ident") ||
			strings.Contains(s, "encoding")
	}
	for _, f := range r.attributeFiles(cs) {
		look(os.ReadFile(f))
	}
	wt := safefs.WorkTree(r.WorkTree)
	for dir := pathpkg.Dir(path); ; dir = pathpkg.Dir(dir) {
		f := ".gitattributes"
		if dir != "." {
			f = dir + "/" + f
		}
		b, err := wt.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) && slices.Contains(attrFiles, f) {
			return true, true // git reads the index's copy
		}
		look(b, err)
		if dir == "." {
			return eol, other
		}
	}
}

// attributeFiles are the attribute files outside the work tree git reads:
// info/attributes, core.attributesFile (or its default) and, unless
// GIT_ATTR_NOSYSTEM, /etc/gitattributes.
func (r *Repo) attributeFiles(cs *configSet) []string {
	files := []string{filepath.Join(r.CommonDir, "info", "attributes"), filepath.Join(r.GitDir, "info", "attributes")}
	if f, ok := cs.get("core.attributesfile"); ok {
		if strings.HasPrefix(f, "~/") {
			f = filepath.Join(r.getenv("HOME"), f[2:])
		} else if !filepath.IsAbs(f) {
			f = filepath.Join(r.WorkTree, f)
		}
		files = append(files, f)
	} else if x := r.getenv("XDG_CONFIG_HOME"); x != "" {
		files = append(files, filepath.Join(x, "git", "attributes"))
	} else if h := r.getenv("HOME"); h != "" {
		files = append(files, filepath.Join(h, ".config", "git", "attributes"))
	}
	if !parseBool(r.getenv("GIT_ATTR_NOSYSTEM")) {
		files = append(files, "/etc/gitattributes")
	}
	return files
}
