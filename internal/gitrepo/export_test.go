package gitrepo

// ReadPackedOnly reads an object with our pack reader only (no loose
// objects, no go-git fallback), for tests.
func (r *Repo) ReadPackedOnly(id string) (Object, bool, error) { return r.readPacked(id) }
