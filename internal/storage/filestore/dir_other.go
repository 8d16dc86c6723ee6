//go:build !linux

package filestore

import "os"

// readDocNames lists the documents of dir (IsDocName) sorted by name,
// with the type the listing gives (no lstat per entry); rel is dir
// relative to the work tree, for their paths.
func readDocNames(dir, rel string) ([]dirName, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]dirName, 0, len(entries))
	for _, e := range entries {
		if IsDocName(e.Name()) {
			out = append(out, dirName{path: rel + "/" + e.Name(), typ: e.Type()})
		}
	}
	sortDirNames(out)
	return out, nil
}
