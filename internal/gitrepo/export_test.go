package gitrepo

// ReadPackedOnly reads an object with our pack reader only (no loose
// objects, no go-git fallback), for tests.
func (r *Repo) ReadPackedOnly(id string) (Object, bool, error) { return r.readPacked(id) }

// ResolveNative resolves rev without asking git; ok is false when git
// would be asked.
func (r *Repo) ResolveNative(rev string) (string, bool, error) { return r.resolveNative(rev) }
