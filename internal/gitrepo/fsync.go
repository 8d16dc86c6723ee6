package gitrepo

import "strings"

// FsyncComponent is a part of the repository that core.fsync names.
type FsyncComponent uint

// The components of core.fsync (git-config(1)).
const (
	FsyncLooseObject FsyncComponent = 1 << iota
	FsyncPack
	FsyncPackMetadata
	FsyncCommitGraph
	FsyncIndex
	FsyncReference
)

// fsyncDefault is git's default: packs and their metadata, not loose
// objects, the index or references (git relies on the file system's
// ordering of a rename after the data it names, as ext4's auto_da_alloc
// gives).
const fsyncDefault = FsyncPack | FsyncPackMetadata | FsyncCommitGraph

var fsyncNames = map[string]FsyncComponent{
	"loose-object":     FsyncLooseObject,
	"pack":             FsyncPack,
	"pack-metadata":    FsyncPackMetadata,
	"commit-graph":     FsyncCommitGraph,
	"index":            FsyncIndex,
	"reference":        FsyncReference,
	"objects":          FsyncLooseObject | FsyncPack,
	"derived-metadata": FsyncPackMetadata | FsyncCommitGraph,
	"committed":        FsyncLooseObject | FsyncPack | FsyncReference,
	"added":            FsyncLooseObject | FsyncPack | FsyncReference | FsyncIndex,
	"all":              FsyncLooseObject | FsyncPack | FsyncPackMetadata | FsyncCommitGraph | FsyncIndex | FsyncReference,
}

// parseFsync reads a core.fsync value as git does: a comma-separated list
// of components added to the default, "-name" removing one, "none"
// clearing the set; unknown names are ignored. fsyncObjectFiles is the
// older core.fsyncObjectFiles (true adds loose objects).
func parseFsync(value string, fsyncObjectFiles bool) FsyncComponent {
	set := fsyncDefault
	if fsyncObjectFiles {
		set |= FsyncLooseObject
	}
	for _, tok := range strings.Split(value, ",") {
		tok = strings.ToLower(strings.TrimSpace(tok))
		neg := strings.HasPrefix(tok, "-")
		tok = strings.TrimPrefix(tok, "-")
		switch c, ok := fsyncNames[tok]; {
		case tok == "none":
			set = 0
		case !ok:
		case neg:
			set &^= c
		default:
			set |= c
		}
	}
	return set
}

// Fsyncs reports whether the repository's configuration (core.fsync,
// core.fsyncObjectFiles) asks for c to be flushed to disk when written.
// Like git, loose objects and references are not by default: a crash of the
// process never tears them (they are renamed into place), and the file
// system orders the rename after the data on ext4's default mount.
func (r *Repo) Fsyncs(c FsyncComponent) bool {
	r.mu.Lock()
	set, ok := r.fsync, r.fsyncRead
	r.mu.Unlock()
	if !ok {
		v, err := r.ConfigGet("core.fsync")
		if err != nil {
			return true // unreadable config: the safe choice
		}
		objs, err := r.ConfigGet("core.fsyncObjectFiles")
		if err != nil {
			return true
		}
		set = parseFsync(v, parseBool(objs))
		r.mu.Lock()
		r.fsync, r.fsyncRead = set, true
		r.mu.Unlock()
	}
	return set&c != 0
}
