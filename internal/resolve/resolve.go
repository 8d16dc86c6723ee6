// Package resolve settles the milestone conflicts git leaves in a stopped
// merge, rebase, cherry-pick or revert that git's rename detection cannot:
// one side moved a milestone (closed or reopened it: active/ <-> completed/,
// or renamed it with mv) while the other side edited it, which git reports
// as a modify/delete conflict on the old path. The edit and the moved
// document are merged field by field with the merge driver's rules into
// the moved path, which is staged; the stale path is removed. Conflicting
// fields stay between conflict markers, with the three versions in the
// index as git leaves any conflict.
package resolve

import (
	"errors"
	"fmt"
	pathpkg "path"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/merge"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Folders that hold milestone documents.
var docDirs = []string{".milestones/active/", ".milestones/completed/"}

// ErrNoOperation: nothing is stopped, so there is nothing to resolve.
var ErrNoOperation = errors.New("no merge, rebase, cherry-pick or revert is in progress")

// Item is one milestone conflict.
type Item struct {
	Stale  string   // the path git left in conflict (the old one)
	Into   string   // the moved document the edit was merged into ("" if none was found)
	Fields []string // fields left between conflict markers
	Reason string   // why it was left, when Into is ""
}

// Outcome says what Run did.
type Outcome struct {
	Op       gitrepo.Operation
	Resolved []Item // merged cleanly and staged
	Marked   []Item // merged with conflict markers left in Into
	Left     []Item // milestone conflicts resolve could not settle
}

// Pending reports the milestone conflicts resolve would look at: paths of
// documents with unmerged index entries (for hints).
func Pending(r *gitrepo.Repo) ([]string, error) {
	entries, err := r.ListIndex(".milestones")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, e := range entries {
		if e.Stage > 0 && isDoc(e.Path) && !seen[e.Path] {
			seen[e.Path] = true
			out = append(out, e.Path)
		}
	}
	return out, nil
}

func isDoc(p string) bool {
	for _, d := range docDirs {
		if rest, ok := strings.CutPrefix(p, d); ok && !strings.Contains(rest, "/") && strings.HasSuffix(rest, ".yaml") {
			return true
		}
	}
	return false
}

// Run resolves what it can (see the package comment).
func Run(r *gitrepo.Repo) (Outcome, error) {
	op, ok := r.InProgress()
	if !ok || op.Name == "bisect" {
		return Outcome{}, ErrNoOperation
	}
	out := Outcome{Op: op}
	entries, err := r.ListIndex(".milestones")
	if err != nil {
		return out, err
	}
	byPath := map[string]map[int]gitrepo.IndexEntry{}
	var paths []string
	for _, e := range entries {
		if byPath[e.Path] == nil {
			byPath[e.Path] = map[int]gitrepo.IndexEntry{}
			paths = append(paths, e.Path)
		}
		byPath[e.Path][e.Stage] = e
	}
	sort.Strings(paths)
	otherTree := ""
	if h := r.OtherHead(); h != "" {
		otherTree, _ = r.CommitTree(h)
	}
	headTree := ""
	if h, err := r.Head(); err == nil && !h.Unborn {
		headTree, _ = r.CommitTree(h.Hash)
	}
	taken := map[string]bool{}
	for _, p := range paths {
		st := byPath[p]
		if !isDoc(p) || len(st) == 0 || st[0].Blob != "" {
			continue
		}
		base, hasBase := st[1]
		ours, hasOurs := st[2]
		theirs, hasTheirs := st[3]
		if !hasBase || hasOurs == hasTheirs {
			// both sides changed it (the merge driver already did what
			// can be done), or both added it: not ours to settle
			out.Left = append(out.Left, Item{Stale: p, Reason: "conflicting content in place (edit the file, then git add it)"})
			continue
		}
		edited, editTree := theirs, otherTree
		if hasOurs {
			edited, editTree = ours, headTree
		}
		q, err := findMoved(r, p, base, byPath, paths, editTree, taken)
		if err != nil {
			return out, err
		}
		if q == "" {
			why := "this side deleted it, the other side edited it"
			if hasOurs {
				why = "this side edited it, the other side deleted it"
			}
			out.Left = append(out.Left, Item{Stale: p, Reason: why + " and no moved copy was found (keep one with git add or git rm)"})
			continue
		}
		taken[q] = true
		item, err := settle(r, p, q, base, edited, byPath[q][0], hasOurs)
		if err != nil {
			return out, err
		}
		if len(item.Fields) == 0 {
			out.Resolved = append(out.Resolved, item)
		} else {
			out.Marked = append(out.Marked, item)
		}
	}
	return out, nil
}

// findMoved finds the document the deleting side moved p to: the same
// file name in the other folder (close, reopen), else the one document that
// side added (absent from the editing side's tree) with the same
// created_at (mv). "" if there is none, or more than one.
func findMoved(r *gitrepo.Repo, p string, base gitrepo.IndexEntry, byPath map[string]map[int]gitrepo.IndexEntry,
	paths []string, editTree string, taken map[string]bool) (string, error) {
	name := pathpkg.Base(p)
	for _, d := range docDirs {
		q := d + name
		if q != p && !taken[q] && byPath[q] != nil && len(byPath[q]) == 1 && byPath[q][0].Blob != "" {
			return q, nil
		}
	}
	baseDoc, err := readDoc(r, p, base.Blob)
	if err != nil || baseDoc.CreatedAt == "" {
		return "", nil
	}
	var found []string
	for _, q := range paths {
		st := byPath[q]
		if q == p || taken[q] || !isDoc(q) || len(st) != 1 || st[0].Blob == "" {
			continue
		}
		if editTree != "" {
			if _, there, err := r.Lookup(editTree, q); err != nil {
				return "", err
			} else if there {
				continue // not added by the deleting side
			}
		}
		doc, err := readDoc(r, q, st[0].Blob)
		if err == nil && doc.CreatedAt == baseDoc.CreatedAt {
			found = append(found, q)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return "", nil
}

type doc struct{ CreatedAt string }

func readDoc(r *gitrepo.Repo, p, blob string) (doc, error) {
	o, err := r.ReadObject(blob)
	if err != nil {
		return doc{}, err
	}
	m, err := format.Decode(p, o.Data)
	if err != nil {
		return doc{}, err
	}
	return doc{CreatedAt: m.CreatedAt}, nil
}

// settle merges the edit of p into q and writes the result: q in the work
// tree and the index (stage 0 when clean, else stages 1-3 and markers), p
// removed from both.
func settle(r *gitrepo.Repo, p, q string, base, edited, moved gitrepo.IndexEntry, editIsOurs bool) (Item, error) {
	var blobs [3][]byte
	for i, id := range []string{base.Blob, edited.Blob, moved.Blob} {
		o, err := r.ReadObject(id)
		if err != nil {
			return Item{}, fmt.Errorf("resolve %s: %w", p, err)
		}
		blobs[i] = o.Data
	}
	oursE, theirsE := moved, edited
	ours, theirs := blobs[2], blobs[1]
	if editIsOurs {
		oursE, theirsE = edited, moved
		ours, theirs = blobs[1], blobs[2]
	}
	res := merge.MergeWith(blobs[0], ours, theirs, q, merge.Options{})
	item := Item{Stale: p, Into: q}
	for _, c := range res.Conflicts {
		f := c.Field
		if f == "" {
			f = "(document)"
		}
		item.Fields = append(item.Fields, f)
	}
	updates := []gitrepo.IndexUpdate{{Path: p}, {Path: q}}
	if res.Clean() {
		blob := gitrepo.NewBlob(res.Content)
		if _, err := r.WriteObjects(blob); err != nil {
			return Item{}, err
		}
		updates = append(updates, gitrepo.IndexUpdate{Path: q, Blob: blob.ID(), Mode: moved.Mode})
	} else {
		updates = append(updates,
			gitrepo.IndexUpdate{Path: q, Blob: base.Blob, Mode: base.Mode, Stage: 1},
			gitrepo.IndexUpdate{Path: q, Blob: oursE.Blob, Mode: oursE.Mode, Stage: 2},
			gitrepo.IndexUpdate{Path: q, Blob: theirsE.Blob, Mode: theirsE.Mode, Stage: 3})
	}
	if err := writeFile(r.WorkTree, q, res.Content); err != nil {
		return Item{}, err
	}
	if err := removeFile(r.WorkTree, p); err != nil {
		return Item{}, err
	}
	if err := r.UpdateIndexFile(r.IndexFile, updates); err != nil {
		return Item{}, err
	}
	return item, nil
}

// writeFile replaces the document rel of the work tree through safefs: no
// link is followed on the way, and only a regular file is replaced.
func writeFile(root, rel string, data []byte) error {
	if err := safefs.WorkTree(root).WriteFile(rel, data, 0o666); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

// removeFile removes the document rel of the work tree (a link is removed,
// never followed); a missing one is not an error.
func removeFile(root, rel string) error {
	if err := safefs.WorkTree(root).Remove(rel); err != nil {
		return fmt.Errorf("remove %s: %w", rel, err)
	}
	return nil
}
