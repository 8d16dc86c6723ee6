package filestore

import (
	"context"
	"path"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// OpenCount implements storage.OpenCounter: the document files in the
// folder of open milestones, from one listing of the folders (what Scan
// takes as documents), without stat'ing, reading or decoding a document.
// A document whose status disagrees with its folder (fsck reports it)
// counts by its folder.
func (s *Store) OpenCount(ctx context.Context) (int, error) {
	files, _, err := s.Scan()
	if err != nil {
		return 0, err
	}
	open := Dir + "/" + milestone.Active.Folder()
	n := 0
	for _, f := range files {
		if path.Dir(f.Path) == open {
			n++
		}
	}
	return n, ctx.Err()
}
