package gitrepo

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// objectDirs returns the object databases to read, as git does: ObjectDir,
// then its alternates (objects/info/alternates, recursively, relative
// paths from the object database that names them, and
// GIT_ALTERNATE_OBJECT_DIRECTORIES). An alternate written in a form not
// read here (a quoted path) or nested too deep is left out: ReadObject asks
// git for what it does not find.
func (r *Repo) objectDirs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.objDirs != nil {
		return r.objDirs
	}
	seen := map[string]bool{}
	var add func(dir string, depth int)
	add = func(dir string, depth int) {
		dir = filepath.Clean(dir)
		if seen[dir] {
			return
		}
		if depth > 5 { // git's limit
			return
		}
		seen[dir] = true
		r.objDirs = append(r.objDirs, dir)
		b, err := os.ReadFile(filepath.Join(dir, "info", "alternates"))
		if err != nil {
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			switch {
			case line == "" || line[0] == '#' || line[0] == '"':
			default:
				add(absFrom(line, dir), depth+1)
			}
		}
	}
	add(r.ObjectDir, 0)
	if env := r.getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES"); env != "" {
		for _, d := range filepath.SplitList(env) {
			switch {
			case d == "" || d[0] == '"':
			default:
				add(absFrom(d, r.WorkTree), 1)
			}
		}
	}
	return r.objDirs
}

// packIndexes lists the pack indexes of every object database.
func (r *Repo) packIndexes() ([]string, error) {
	dirs := r.objectDirs()
	var names []string
	for _, d := range dirs {
		n, err := filepath.Glob(filepath.Join(d, "pack", "pack-*.idx"))
		if err != nil {
			return nil, err
		}
		names = append(names, n...)
	}
	return names, nil
}
