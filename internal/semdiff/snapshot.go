package semdiff

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Folders are the folders under .milestones/ that hold documents.
var Folders = []string{"active", "completed"}

// DocID returns the id of a repository path that is a milestone document
// (.milestones/active/<id>.yaml or .milestones/completed/<id>.yaml). The id
// is not validated: Decode reports a bad one.
func DocID(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, ".milestones/")
	if !ok {
		return "", false
	}
	folder, name, ok := strings.Cut(rest, "/")
	if !ok || (folder != "active" && folder != "completed") || strings.Contains(name, "/") {
		return "", false
	}
	id, ok := strings.CutSuffix(name, ".yaml")
	if !ok || id == "" {
		return "", false
	}
	return id, true
}

// TreeSnapshot lists the documents of a commit (or tree) id; "" is the
// empty state (an unborn branch). name is how messages call it. Blobs are
// read only when Compare needs them.
func TreeSnapshot(repo *gitrepo.Repo, commit, name string) (*Snapshot, error) {
	s := &Snapshot{Name: name, Read: func(d *Doc) ([]byte, error) {
		o, err := repo.ReadObject(d.Hash)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Path, err)
		}
		if o.Type != "blob" {
			return nil, fmt.Errorf("%s: not a file", d.Path)
		}
		return o.Data, nil
	}}
	if commit == "" {
		return s, nil
	}
	entries, err := repo.ListTree(commit, ".milestones")
	if err != nil {
		return nil, fmt.Errorf("list milestones at %s: %w", name, err)
	}
	for _, e := range entries {
		if id, ok := DocID(e.Path); ok && (e.Mode == gitrepo.ModeFile || e.Mode == gitrepo.ModeExecutable) {
			s.Docs = append(s.Docs, Doc{ID: id, Path: e.Path, Hash: e.Blob})
		}
	}
	return s, nil
}

// WorkTreeSnapshot reads the documents in the work tree rooted at root.
// Every file is read and hashed as git would hash it, so unchanged files
// compare equal to their blobs without being decoded.
// Links and special files are skipped (never followed); a linked
// .milestones or folder is refused.
func WorkTreeSnapshot(root string) (*Snapshot, error) {
	t := safefs.WorkTree(root)
	s := &Snapshot{Name: "the work tree", Read: func(d *Doc) ([]byte, error) {
		return t.ReadFile(d.Path)
	}}
	for _, folder := range Folders {
		ents, err := t.ReadDir(".milestones/" + folder)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read .milestones/%s: %w", folder, err)
		}
		for _, e := range ents {
			rel := ".milestones/" + folder + "/" + e.Name()
			id, ok := DocID(rel)
			if !ok || !e.Type().IsRegular() {
				continue
			}
			src, err := t.ReadFile(rel)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", rel, err)
			}
			s.Docs = append(s.Docs, Doc{ID: id, Path: rel, Hash: gitrepo.NewBlob(src).ID(), Src: src})
		}
	}
	sort.Slice(s.Docs, func(i, j int) bool { return s.Docs[i].Path < s.Docs[j].Path })
	return s, nil
}
