package gitrepo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Revisions are resolved here for the syntax people type most (names,
// ids, ~N, ^N, ^{}, ^{commit}, ^{tree}); anything else, and anything this
// reader is not sure about, is left to `git rev-parse`. go-git's top-level
// package is not used: importing it links its transports (ssh, http,
// openpgp, ...) into every process, which costs start-up time.

// resolve turns a revision into an object id, as `git rev-parse --verify`
// does. An unborn HEAD resolves to "" (the empty tree).
func (r *Repo) resolve(rev string) (string, error) {
	if isHexID(rev) {
		return rev, nil
	}
	if rev == "HEAD" || rev == "@" {
		h, err := r.Head()
		if err != nil {
			return "", err
		}
		return h.Hash, nil
	}
	if id, ok, err := r.resolveNative(rev); ok {
		return id, err
	}
	// Other syntax (reflogs, :path, ^{/text}, ...), or a name we did not
	// find: git itself decides.
	if !strings.HasPrefix(rev, "-") {
		if out, gerr := r.git(nil, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev); gerr == nil {
			if id := strings.TrimSpace(string(out)); isHexID(id) {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownRevision, rev)
}

// revStep is one navigation suffix: "~", "^" (n: the count or parent
// number) or "^{}" with peel naming the type ("" for any non-tag).
type revStep struct {
	op   byte
	n    int
	peel string
}

// resolveNative resolves <name> followed by any number of ~N, ^N, ^{},
// ^{commit} and ^{tree}. ok is false when git should decide instead: other
// syntax, a name not found here, an abbreviated id that is not unique here.
func (r *Repo) resolveNative(rev string) (id string, ok bool, err error) {
	base, ops := rev, ""
	if i := strings.IndexAny(rev, "~^"); i >= 0 {
		base, ops = rev[:i], rev[i:]
	}
	steps, ok := parseRevSteps(ops)
	if !ok {
		return "", false, nil
	}
	id, ok = r.resolveBase(base)
	if !ok || id == "" {
		return "", ok && len(steps) == 0, nil // unborn HEAD: only plain
	}
	for _, s := range steps {
		if id, err = r.revStep(id, s); err != nil {
			return "", true, fmt.Errorf("%w %q: %v", ErrUnknownRevision, rev, err)
		}
	}
	return id, true, nil
}

// parseRevSteps parses a suffix of ~N, ^N and ^{type}; ok is false for
// anything else.
func parseRevSteps(s string) ([]revStep, bool) {
	var steps []revStep
	for s != "" {
		op := s[0]
		if op != '~' && op != '^' {
			return nil, false
		}
		s = s[1:]
		if op == '^' && strings.HasPrefix(s, "{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, false
			}
			switch t := s[1:end]; t {
			case "", "commit", "tree":
				steps = append(steps, revStep{op: '{', peel: t})
			default:
				return nil, false
			}
			s = s[end+1:]
			continue
		}
		digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
		n := 1
		if digits > 0 {
			var err error
			if n, err = strconv.Atoi(s[:digits]); err != nil || n > 1<<20 {
				return nil, false
			}
		}
		steps = append(steps, revStep{op: op, n: n})
		s = s[digits:]
	}
	return steps, true
}

// revStep applies one navigation step to id.
func (r *Repo) revStep(id string, s revStep) (string, error) {
	switch s.op {
	case '{':
		return r.peel(id, s.peel)
	case '^':
		c, err := r.peel(id, "commit")
		if err != nil || s.n == 0 {
			return c, err
		}
		parents, err := r.parents(c)
		if err != nil {
			return "", err
		}
		if s.n > len(parents) {
			return "", fmt.Errorf("%s has no parent %d", c, s.n)
		}
		return parents[s.n-1], nil
	default: // '~': first parents
		c, err := r.peel(id, "commit")
		for i := 0; i < s.n && err == nil; i++ {
			var parents []string
			if parents, err = r.parents(c); err == nil && len(parents) == 0 {
				err = fmt.Errorf("%s has no parent", c)
			} else if err == nil {
				c = parents[0]
			}
		}
		return c, err
	}
}

// peel follows tags (and, for "tree", a commit to its tree) until it
// reaches an object of type typ; typ "" stops at the first non-tag.
func (r *Repo) peel(id, typ string) (string, error) {
	for depth := 0; depth < 10; depth++ {
		o, err := r.ReadObject(id)
		if err != nil {
			return "", err
		}
		switch {
		case o.Type == typ || typ == "" && o.Type != "tag":
			return id, nil
		case o.Type == "tag":
			if id, err = headerField(o.Data, "object"); err != nil {
				return "", fmt.Errorf("tag %s: %w", id, err)
			}
		case o.Type == "commit" && typ == "tree":
			return headerField(o.Data, "tree")
		default:
			return "", fmt.Errorf("%s is a %s, not a %s", id, o.Type, typ)
		}
	}
	return "", fmt.Errorf("%s: tag chain too long", id)
}

// parents returns a commit's parent ids.
func (r *Repo) parents(commit string) ([]string, error) {
	c, err := r.ReadCommit(commit)
	if err != nil {
		return nil, err
	}
	return c.Parents, nil
}

// resolveBase resolves a name without suffix: HEAD or @, a full id, a ref
// by git's rules (refs/<name>, refs/tags/, refs/heads/, refs/remotes/,
// refs/remotes/<name>/HEAD; <name> itself when it is refs/... or an
// all-caps root ref such as ORIG_HEAD), then an abbreviated id unique in
// the object database. ok is false when git should decide.
func (r *Repo) resolveBase(name string) (id string, ok bool) {
	if name == "HEAD" || name == "@" {
		h, err := r.Head()
		return h.Hash, err == nil
	}
	if isHexID(name) {
		return name, true
	}
	if name == "" || strings.ContainsAny(name, ":@{}*?[ \\") || checkRefName("refs/"+name) != nil {
		return "", false
	}
	candidates := []string{"refs/" + name, "refs/tags/" + name, "refs/heads/" + name,
		"refs/remotes/" + name, "refs/remotes/" + name + "/HEAD"}
	if strings.HasPrefix(name, "refs/") || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == "" {
		candidates = append([]string{name}, candidates...)
	}
	for _, c := range candidates {
		id, err := r.ResolveRef(c)
		if err != nil {
			return "", false // an unusual ref (FETCH_HEAD, a broken one): git decides
		}
		if id != "" {
			return id, true
		}
	}
	return r.abbrevID(name)
}

// abbrevID finds the one object whose id starts with prefix (4 to 39
// lower-case hex digits) among loose and packed objects. ok is false when
// there is none or more than one here, or when objects may live elsewhere
// (alternates, listed in a file or in GIT_ALTERNATE_OBJECT_DIRECTORIES):
// git decides then, as it also disambiguates by type.
func (r *Repo) abbrevID(prefix string) (string, bool) {
	if len(prefix) < 4 || len(prefix) >= 40 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(r.ObjectDir, "info", "alternates")); err == nil || r.getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES") != "" {
		return "", false
	}
	found := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(r.ObjectDir, prefix[:2]))
	for _, e := range ents {
		if id := prefix[:2] + e.Name(); isHexID(id) && strings.HasPrefix(id, prefix) {
			found[id] = true
		}
	}
	packs, err := r.packs()
	if err != nil {
		return "", false
	}
	for _, p := range packs {
		ids, err := p.withPrefix(prefix)
		if err != nil {
			return "", false
		}
		for _, id := range ids {
			found[id] = true
		}
	}
	if len(found) != 1 {
		return "", false
	}
	for id := range found {
		return id, true
	}
	return "", false
}

// withPrefix lists the pack's object ids that start with the hex prefix
// (at least two digits).
func (p *packIndex) withPrefix(prefix string) ([]string, error) {
	first, err := hex.DecodeString(prefix[:2])
	if err != nil {
		return nil, err
	}
	_, buf, err := p.bucket(first[0])
	if err != nil {
		return nil, fmt.Errorf("read pack index: %w", err)
	}
	// The even part of the prefix compares as bytes, an odd last digit as
	// the high nibble of the next byte.
	even, err := hex.DecodeString(prefix[:len(prefix)&^1])
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := 0; i+20 <= len(buf); i += 20 {
		sha := buf[i : i+20]
		if !bytes.HasPrefix(sha, even) {
			continue
		}
		if len(prefix)%2 == 1 && hex.EncodeToString(sha[len(even) : len(even)+1])[0] != prefix[len(prefix)-1] {
			continue
		}
		ids = append(ids, hex.EncodeToString(sha))
	}
	return ids, nil
}
