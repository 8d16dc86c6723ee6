package gitrepo

// ReadPackedOnly reads an object with our pack reader only (no loose
// objects, no go-git fallback), for tests.
func (r *Repo) ReadPackedOnly(id string) (Object, bool, error) { return r.readPacked(id) }

// ResolveNative resolves rev without asking git; ok is false when git
// would be asked.
func (r *Repo) ResolveNative(rev string) (string, bool, error) { return r.resolveNative(rev) }

// PathLogGit is PathLog by git log, PathLogWalk by our own walk (which may
// answer errWalkFallback), for tests comparing them.
func (r *Repo) PathLogGit(start string, paths []string) ([]PathCommit, error) {
	return r.pathLogGit(start, paths)
}

func (r *Repo) PathLogWalk(start string, paths []string) ([]PathCommit, error) {
	return r.walkPathLog(start, paths)
}

// Walkable reports whether PathLog would walk by itself.
func (r *Repo) Walkable(paths []string) bool { return r.walkable(paths) }

// ErrWalkFallback is errWalkFallback, for tests.
var ErrWalkFallback = errWalkFallback

// SetWalkCacheLimit sets the bytes a history walk keeps, returning the
// old limit.
func SetWalkCacheLimit(n int) int {
	old := walkCacheLimit
	walkCacheLimit = n
	return old
}

// UpdateIndexGit is UpdateIndexFile by `git update-index` alone, and
// WriteIndexUpdates by the in-process writer alone (an error wrapping
// ErrNeedGit when it would leave the work to git), for tests comparing
// them.
func (r *Repo) UpdateIndexGit(indexFile string, updates []IndexUpdate) error {
	return r.updateIndexGit(indexFile, updates)
}

func (r *Repo) WriteIndexUpdates(indexFile string, updates []IndexUpdate) error {
	return r.writeIndexUpdates(indexFile, updates)
}

// ErrNeedGit is errNeedGit, for tests.
var ErrNeedGit = errNeedGit
