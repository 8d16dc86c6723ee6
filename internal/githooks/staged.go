package githooks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Milestone document folders, relative to the work tree root (slash-separated).
const (
	activeDir    = ".milestones/active"
	completedDir = ".milestones/completed"
)

// emptyTree is the id of git's empty tree (SHA-1).
const emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// zeroID is the all-zero object id git uses for "no commit".
const zeroID = "0000000000000000000000000000000000000000"

// StagedDocument is a milestone document added or modified in the index.
type StagedDocument struct {
	Path string // repository-relative, slash-separated: ".milestones/active/beta.yaml"
	Blob string // id of the staged blob
	Src  []byte // the staged content
	// Twin is the path of a document with the same id in the other folder
	// of the index (active/ against completed/), "" if there is none.
	Twin string
}

// ID is the document's id: its file name without ".yaml".
func (d StagedDocument) ID() string { return strings.TrimSuffix(path.Base(d.Path), ".yaml") }

// Folder is "active" or "completed".
func (d StagedDocument) Folder() string {
	return path.Base(path.Dir(d.Path))
}

// StagedDocuments returns the milestone documents (.milestones/active/*.yaml
// and .milestones/completed/*.yaml, and misnamed *.yml there, which
// CheckStaged reports) added or modified in the index against
// HEAD (or, before the first commit, all of them), with their staged
// content. It costs two git commands whatever the repository's size: one
// diff of the index, one cat-file for the blobs (none when nothing is
// staged). It honours GIT_INDEX_FILE, so inside a pre-commit hook it sees
// exactly what is being committed (also for "git commit -a" and
// "git commit PATH").
func StagedDocuments(ctx context.Context, workTree string) ([]StagedDocument, error) {
	out, err := runGit(ctx, workTree, nil, "diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames",
		"--diff-filter=AM", "--ignore-submodules", "--", activeDir, completedDir)
	if err != nil {
		return nil, err
	}
	docs, err := parseRaw(out, "AM", isCheckedPath)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, nil
	}
	// One cat-file: each document's blob, then ":<twin path>" (the index
	// entry of the same id in the other folder, "missing" if there is none)
	// for a valid id (other names, which Decode refuses, might not even fit
	// on one line).
	var in bytes.Buffer
	twinAt := make([]int, len(docs))
	n := 0
	for i, d := range docs {
		fmt.Fprintf(&in, "%s\n", d.newBlob)
		n++
		twinAt[i] = -1
		if id, ok := strings.CutSuffix(path.Base(d.path), ".yaml"); ok && milestone.ValidateID(id) == nil {
			fmt.Fprintf(&in, ":%s\n", twinPath(d.path))
			twinAt[i] = n
			n++
		}
	}
	res, err := catFileBatch(ctx, workTree, &in, n)
	if err != nil {
		return nil, err
	}
	out2 := make([]StagedDocument, len(docs))
	k := 0
	for i, d := range docs {
		blob := res[k]
		if blob.missing {
			return nil, fmt.Errorf("staged blob %s of %s is missing from the object database", d.newBlob, d.path)
		}
		out2[i] = StagedDocument{Path: d.path, Blob: d.newBlob, Src: blob.content}
		k++
		if twinAt[i] >= 0 {
			if !res[k].missing {
				out2[i].Twin = twinPath(d.path)
			}
			k++
		}
	}
	return out2, nil
}

// CheckStaged validates the staged milestone documents (the blobs about to
// be committed, not the work tree) and returns one error per problem, each a
// *format.Error "path:line:col: msg": a document that does not decode, one
// whose status disagrees with its folder, one whose id is also in the other
// folder. The second result is a failure to run the check itself.
func CheckStaged(ctx context.Context, workTree string) ([]error, error) {
	docs, err := StagedDocuments(ctx, workTree)
	if err != nil {
		return nil, err
	}
	return checkDocuments(docs), nil
}

// checkDocuments validates documents already read.
func checkDocuments(docs []StagedDocument) []error {
	var problems []error
	staged := make(map[string]bool, len(docs))
	for _, d := range docs {
		staged[d.Path] = true
	}
	for _, d := range docs {
		m, err := format.Decode(d.Path, d.Src)
		if err != nil {
			problems = append(problems, err)
		} else if folder := d.Folder(); m.Status.Folder() != folder {
			line, col := keyValuePos(d.Src, milestone.KeyStatus)
			msg := fmt.Sprintf("status %q belongs in .milestones/%s/, not .milestones/%s/: "+
				"move the file (git mv) or use git milestone close/reopen", m.Status, m.Status.Folder(), folder)
			if line == 0 {
				line, col = 1, 1
				msg = fmt.Sprintf("no status (so %q) belongs in .milestones/%s/, not .milestones/%s/", m.Status, m.Status.Folder(), folder)
			}
			problems = append(problems, &format.Error{Path: d.Path, Line: line, Col: col, Msg: msg})
		}
		// A pair staged together is reported once, on the active/ side.
		if d.Twin != "" && !(staged[d.Twin] && d.Folder() == "completed") {
			problems = append(problems, &format.Error{Path: d.Path, Msg: fmt.Sprintf(
				"id %q is also used by %s: an id must be unique across active/ and completed/", d.ID(), d.Twin)})
		}
	}
	return problems
}

// keyValuePos finds the line and column of the value of a top-level key
// written "key: value" at the start of a line; 0, 0 if absent.
func keyValuePos(src []byte, key string) (line, col int) {
	for n := 1; len(src) > 0; n++ {
		l := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			l, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		rest, ok := bytes.CutPrefix(l, []byte(key))
		if !ok {
			continue
		}
		trimmed := bytes.TrimLeft(rest, " \t")
		if len(trimmed) == 0 || trimmed[0] != ':' {
			continue
		}
		v := trimmed[1:]
		c := len(l) - len(v) + 1
		for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
			v, c = v[1:], c+1
		}
		return n, c
	}
	return 0, 0
}

// twinPath maps .milestones/active/x.yaml to .milestones/completed/x.yaml and back.
func twinPath(p string) string {
	if rest, ok := strings.CutPrefix(p, activeDir+"/"); ok {
		return completedDir + "/" + rest
	}
	return activeDir + "/" + strings.TrimPrefix(p, completedDir+"/")
}

// isDocPath reports whether p is a milestone document path: a .yaml file
// directly in active/ or completed/.
func isDocPath(p string) bool {
	for _, d := range [...]string{activeDir, completedDir} {
		if rest, ok := strings.CutPrefix(p, d+"/"); ok {
			return len(rest) > len(".yaml") && strings.HasSuffix(rest, ".yaml") && !strings.Contains(rest, "/")
		}
	}
	return false
}

// isCheckedPath is isDocPath, plus ".yml" files in the same folders: the
// pre-commit check names them (the tool would ignore them).
func isCheckedPath(p string) bool {
	if yml, ok := strings.CutSuffix(p, ".yml"); ok {
		return isDocPath(yml + ".yaml")
	}
	return isDocPath(p)
}

// rawEntry is one record of `git diff --raw -z`.
type rawEntry struct {
	path             string
	op               byte
	oldBlob, newBlob string
}

// parseRaw parses `--raw -z --no-renames --no-abbrev` output, keeping
// the paths keep accepts whose status letter is in ops and whose new side
// is a file (or a symbolic link) for A and M.
func parseRaw(out []byte, ops string, keep func(path string) bool) ([]rawEntry, error) {
	var res []rawEntry
	for len(out) > 0 {
		i := bytes.IndexByte(out, 0)
		if i < 0 || len(out) == 0 || out[0] != ':' {
			return nil, fmt.Errorf("git diff --raw: unexpected output %q", truncate(out))
		}
		meta := string(out[1:i])
		out = out[i+1:]
		j := bytes.IndexByte(out, 0)
		if j < 0 {
			return nil, fmt.Errorf("git diff --raw: missing path after %q", meta)
		}
		path := string(out[:j])
		out = out[j+1:]
		f := strings.Fields(meta) // old mode, new mode, old id, new id, status
		if len(f) != 5 || f[4] == "" {
			return nil, fmt.Errorf("git diff --raw: unexpected record %q", meta)
		}
		op := f[4][0]
		if !strings.ContainsRune(ops, rune(op)) || !keep(path) {
			continue
		}
		if op != 'D' && f[1] != "100644" && f[1] != "100755" && f[1] != "120000" {
			continue // a submodule or something else that is not a document
		}
		res = append(res, rawEntry{path: path, op: op, oldBlob: f[2], newBlob: f[3]})
	}
	return res, nil
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}

// catResult is one answer of `git cat-file --batch`.
type catResult struct {
	missing bool
	content []byte
}

// catFileBatch feeds in to `git cat-file --batch` and reads n answers.
func catFileBatch(ctx context.Context, dir string, in io.Reader, n int) ([]catResult, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	var res []catResult
	err := gitrepo.StreamIn(ctx, dir, nil, in, func(r io.Reader) error {
		var perr error
		res, perr = readBatch(bufio.NewReader(r), n)
		return perr
	}, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	return res, nil
}

// readBatch parses n answers of `git cat-file --batch`.
func readBatch(r *bufio.Reader, n int) ([]catResult, error) {
	res := make([]catResult, 0, n)
	for len(res) < n {
		header, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("git cat-file --batch: %w", err)
		}
		header = strings.TrimSuffix(header, "\n")
		if strings.HasSuffix(header, " missing") || strings.HasSuffix(header, " ambiguous") {
			res = append(res, catResult{missing: true})
			continue
		}
		f := strings.Fields(header) // id type size
		if len(f) != 3 {
			return nil, fmt.Errorf("git cat-file --batch: unexpected header %q", header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil || size < 0 {
			return nil, fmt.Errorf("git cat-file --batch: unexpected header %q", header)
		}
		buf := make([]byte, size+1) // content and its trailing newline
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("git cat-file --batch: %w", err)
		}
		res = append(res, catResult{content: buf[:size:size]})
	}
	return res, nil
}

// Change is a milestone document changed between two commits.
type Change struct {
	Path    string // repository-relative, slash-separated
	Op      byte   // 'A' added, 'M' modified, 'D' deleted
	OldBlob string // zero id when added
	NewBlob string // zero id when deleted
}

// ChangedPaths lists the milestone documents that differ between two
// commits (one `git diff-tree`, O(changed files)). from may be "" or the
// zero id (no commit before, as post-checkout says after a clone); from ==
// to costs nothing.
func ChangedPaths(ctx context.Context, workTree, from, to string) ([]Change, error) {
	if from == "" || from == zeroID {
		from = emptyTree
	}
	if from == to {
		return nil, nil
	}
	out, err := runGit(ctx, workTree, nil, "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames",
		"--ignore-submodules", from, to, "--", activeDir, completedDir)
	if err != nil {
		return nil, err
	}
	es, err := parseRaw(out, "AMD", isDocPath)
	if err != nil {
		return nil, err
	}
	res := make([]Change, len(es))
	for i, e := range es {
		res[i] = Change{Path: e.path, Op: e.op, OldBlob: e.oldBlob, NewBlob: e.newBlob}
	}
	return res, nil
}

// Range is the pair of commits between which a hook saw the work tree change.
type Range struct{ From, To string }

// HookRange says which commits a post-* hook's change lies between, from
// the hook's name, arguments and standard input (post-rewrite), reading
// ORIG_HEAD from gitDir (the per-worktree git directory). ok is false when
// the change cannot be told that way (a file checkout, a squash merge, no
// ORIG_HEAD): the caller then refreshes by its own freshness check.
func HookRange(gitDir, name string, args []string, stdin []byte) (r Range, ok bool) {
	origHead := func() (string, bool) {
		b, err := os.ReadFile(filepath.Join(gitDir, "ORIG_HEAD"))
		if err != nil {
			return "", false
		}
		id := strings.TrimSpace(string(b))
		return id, isHexID(id)
	}
	switch name {
	case "post-checkout": // previous HEAD, new HEAD, 1 for a branch checkout
		if len(args) >= 3 && args[2] == "1" && isHexID(args[0]) && isHexID(args[1]) {
			return Range{args[0], args[1]}, true
		}
	case "post-merge": // 1 for a squash merge (HEAD does not move)
		if len(args) >= 1 && args[0] == "1" {
			return Range{}, false
		}
		if from, ok := origHead(); ok {
			return Range{from, "HEAD"}, true
		}
	case "post-rewrite": // "amend" or "rebase"; stdin: "old new [extra]" lines
		if len(args) >= 1 && args[0] == "rebase" {
			if from, ok := origHead(); ok {
				return Range{from, "HEAD"}, true
			}
			return Range{}, false
		}
		line, _, _ := bytes.Cut(stdin, []byte("\n"))
		if f := strings.Fields(string(line)); len(f) >= 2 && isHexID(f[0]) && isHexID(f[1]) {
			return Range{f[0], f[1]}, true
		}
	}
	return Range{}, false
}

// isHexID reports whether s is a full hexadecimal object id.
func isHexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
