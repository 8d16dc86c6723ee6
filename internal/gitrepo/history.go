package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Read-only access to history: revisions, commits, merge bases.

// ErrUnknownRevision is returned (wrapped) for a revision that names no
// commit.
var ErrUnknownRevision = errors.New("unknown revision")

// Commit is a parsed commit object.
type Commit struct {
	ID        string
	Tree      string
	Parents   []string
	Author    Signature
	Committer Signature
	Message   string
}

// Subject is the first line of the message.
func (c Commit) Subject() string {
	s, _, _ := strings.Cut(strings.TrimLeft(c.Message, "\n"), "\n")
	return s
}

// ReadCommit reads and parses the commit id.
func (r *Repo) ReadCommit(id string) (Commit, error) {
	o, err := r.ReadObject(id)
	if err != nil {
		return Commit{}, err
	}
	if o.Type != "commit" {
		return Commit{}, fmt.Errorf("%s is a %s, not a commit", id, o.Type)
	}
	c, err := parseCommit(o.Data)
	if err != nil {
		return Commit{}, fmt.Errorf("commit %s: %w", id, err)
	}
	c.ID = id
	return c, nil
}

// parseCommit reads the headers git writes (tree, parent, author,
// committer) and the message; other headers (gpgsig, encoding) are skipped.
func parseCommit(data []byte) (Commit, error) {
	var c Commit
	for len(data) > 0 {
		line := data
		i := bytes.IndexByte(data, '\n')
		if i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) == 0 {
			c.Message = string(data)
			break
		}
		if line[0] == ' ' {
			continue // continuation of a multi-line header
		}
		name, value, _ := bytes.Cut(line, []byte{' '})
		switch string(name) {
		case "tree":
			c.Tree = string(value)
		case "parent":
			c.Parents = append(c.Parents, string(value))
		case "author":
			c.Author = parseIdent(string(value))
		case "committer":
			c.Committer = parseIdent(string(value))
		}
	}
	if !isHexID(c.Tree) {
		return Commit{}, fmt.Errorf("missing or corrupt tree header")
	}
	for _, p := range c.Parents {
		if !isHexID(p) {
			return Commit{}, fmt.Errorf("corrupt parent header %q", p)
		}
	}
	return c, nil
}

// parseIdent reads "Name <email> 1700000000 +0100"; what it cannot read
// stays zero.
func parseIdent(s string) Signature {
	var sig Signature
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		sig.Name = strings.TrimSpace(s)
		return sig
	}
	sig.Name = strings.TrimSpace(s[:lt])
	sig.Email = s[lt+1 : gt]
	fields := strings.Fields(s[gt+1:])
	if len(fields) >= 1 {
		if sec, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			sig.When = time.Unix(sec, 0).UTC()
			if len(fields) >= 2 {
				if loc, err := parseTZ(fields[1]); err == nil {
					sig.When = sig.When.In(loc)
				}
			}
		}
	}
	return sig
}

// ResolveCommit turns a revision (HEAD, a branch or tag name, a full or
// abbreviated id, HEAD~2, main^2, refs/...) into a commit id, peeling
// annotated tags. An unborn HEAD resolves to "" with no error. A revision
// that names nothing, or something other than a commit, gives an error
// wrapping ErrUnknownRevision.
func (r *Repo) ResolveCommit(rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, " \t\n\x00") {
		return "", fmt.Errorf("%w %q", ErrUnknownRevision, rev)
	}
	id, err := r.resolve(rev)
	if err != nil {
		return "", fmt.Errorf("%w %q", ErrUnknownRevision, rev)
	}
	if id == "" {
		return "", nil
	}
	for depth := 0; depth < 10; depth++ {
		o, err := r.ReadObject(id)
		if err != nil {
			return "", fmt.Errorf("%w %q: %v", ErrUnknownRevision, rev, err)
		}
		switch o.Type {
		case "commit":
			return id, nil
		case "tag":
			if id, err = headerField(o.Data, "object"); err != nil {
				return "", fmt.Errorf("tag %s: %w", rev, err)
			}
		default:
			return "", fmt.Errorf("%w %q: it names a %s, not a commit", ErrUnknownRevision, rev, o.Type)
		}
	}
	return "", fmt.Errorf("%s: tag chain too long", rev)
}

// MergeBase returns a best common ancestor of commits a and b, as
// `git merge-base` finds it (one git process), or "" when they share no
// history.
func (r *Repo) MergeBase(a, b string) (string, error) {
	out, err := r.git(nil, nil, "merge-base", a, b)
	if err != nil {
		if len(bytes.TrimSpace(out)) == 0 && strings.Contains(err.Error(), "exit status 1") {
			return "", nil
		}
		return "", fmt.Errorf("merge base of %s and %s: %w", a, b, err)
	}
	return strings.TrimSpace(string(out)), nil
}
