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

// FileChange is one changed file of a PathLog commit, with both versions.
type FileChange struct {
	Path string
	// Old and New are the content before and after; nil when the file is
	// absent on that side (added or deleted).
	Old, New []byte
	// OldBlob and NewBlob are the blob ids ("" when absent).
	OldBlob, NewBlob string
}

// PathCommit is a commit of PathLog with the changes of the given paths.
// Its Message holds only the subject line.
type PathCommit struct {
	Commit
	Files []FileChange
}

// PathLog returns, newest first, the commits reachable from start that
// changed any of paths, with the full old and new content of each changed
// path, like `git log -p -- paths` with git's default history
// simplification (a merge that took the paths unchanged from one parent is
// skipped and only that parent is followed; a merge that differs from every
// parent is compared with its first parent). It runs one git process.
func (r *Repo) PathLog(start string, paths []string) ([]PathCommit, error) {
	if !isHexID(start) {
		return nil, fmt.Errorf("path log: start %q is not a commit id", start)
	}
	args := []string{"-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false", "-c", "diff.mnemonicPrefix=false",
		"-c", "diff.noprefix=false", "log", "--root",
		"--format=%x01%H%x02%P%x02%an%x02%ae%x02%at %ai%x02%s",
		"-p", "--full-index", "-U2147483647", "--text", "--no-renames", "--no-ext-diff", "--no-textconv",
		"--no-color", "--diff-merges=first-parent", "--src-prefix=a/", "--dst-prefix=b/", "--no-relative",
		"--no-show-signature", start, "--"}
	args = append(args, paths...)
	out, err := r.git(nil, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("git log %s: %w", strings.Join(paths, " "), err)
	}
	return parsePathLog(out, paths)
}

// TreeLog is PathLog for every file under the folders dirs (".milestones/active"):
// the commits reachable from start that changed any file below them, with
// the old and new content of each changed file whose path ends in suffix,
// parents before children (git's --topo-order, reversed), in one git process.
// Files whose names git has to quote are left out.
func (r *Repo) TreeLog(start string, dirs []string, suffix string) ([]PathCommit, error) {
	if !isHexID(start) {
		return nil, fmt.Errorf("tree log: start %q is not a commit id", start)
	}
	args := []string{"-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false", "-c", "diff.mnemonicPrefix=false",
		"-c", "diff.noprefix=false", "log", "--root", "--topo-order", "--reverse",
		"--format=%x01%H%x02%P%x02%an%x02%ae%x02%at %ai%x02%s",
		"-p", "--full-index", "-U2147483647", "--text", "--no-renames", "--no-ext-diff", "--no-textconv",
		"--no-color", "--diff-merges=first-parent", "--src-prefix=a/", "--dst-prefix=b/", "--no-relative",
		"--no-show-signature", start, "--"}
	for _, d := range dirs {
		args = append(args, strings.TrimSuffix(d, "/")+"/")
	}
	out, err := r.git(nil, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("git log %s: %w", strings.Join(dirs, " "), err)
	}
	return parseLog(out, func(header string) (string, error) {
		// "diff --git a/P b/P": the same path twice (no rename detection).
		rest := strings.TrimPrefix(header, "diff --git a/")
		if strings.HasPrefix(rest, "\"") || len(rest) < 3 || (len(rest)-3)%2 != 0 {
			return "", nil
		}
		p := rest[:(len(rest)-3)/2]
		if rest != p+" b/"+p || !strings.HasSuffix(p, suffix) {
			return "", nil
		}
		for _, d := range dirs {
			if strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
				return p, nil
			}
		}
		return "", nil
	})
}

// parsePathLog reads the output of PathLog's git log.
func parsePathLog(out []byte, paths []string) ([]PathCommit, error) {
	return parseLog(out, func(header string) (string, error) {
		for _, cand := range paths {
			if strings.HasSuffix(header, " b/"+cand) {
				return cand, nil
			}
		}
		return "", fmt.Errorf("git log: unexpected diff header %q", header)
	})
}

// parseLog reads the output of a `git log -p` of PathLog's format; pick
// names the path of a "diff --git" header line (without its newline), ""
// to skip that file.
func parseLog(out []byte, pick func(header string) (string, error)) ([]PathCommit, error) {
	var commits []PathCommit
	var cur *PathCommit
	var file *FileChange
	var old, new *bytes.Buffer
	var last byte // side of the previous hunk line: ' ', '-', '+'
	inHunk := false
	finish := func() {
		if file != nil && cur != nil {
			if file.OldBlob != "" {
				file.Old = append([]byte{}, old.Bytes()...)
			}
			if file.NewBlob != "" {
				file.New = append([]byte{}, new.Bytes()...)
			}
			cur.Files = append(cur.Files, *file)
		}
		file, inHunk = nil, false
	}
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i+1], out[i+1:]
		} else {
			out = nil
		}
		switch {
		case len(line) > 0 && line[0] == 0x01:
			finish()
			f := strings.Split(strings.TrimRight(string(line[1:]), "\n"), "\x02")
			if len(f) != 6 || !isHexID(f[0]) {
				return nil, fmt.Errorf("git log: unexpected commit line %q", line)
			}
			c := PathCommit{Commit: Commit{ID: f[0], Message: f[5]}}
			if f[1] != "" {
				c.Parents = strings.Fields(f[1])
			}
			when := parseIdent("x <y> " + strings.SplitN(f[4], " ", 2)[0] + " " + zoneOf(f[4])).When
			c.Author = Signature{Name: f[2], Email: f[3], When: when}
			c.Committer = c.Author
			commits = append(commits, c)
			cur = &commits[len(commits)-1]
		case inHunk && len(line) > 0 && (line[0] == ' ' || line[0] == '-' || line[0] == '+'):
			text := line[1:]
			switch line[0] {
			case ' ':
				old.Write(text)
				new.Write(text)
			case '-':
				old.Write(text)
			case '+':
				new.Write(text)
			}
			last = line[0]
		case inHunk && len(line) == 1 && line[0] == '\n':
			// An empty context line written without its leading space.
			old.WriteByte('\n')
			new.WriteByte('\n')
			last = ' '
		case inHunk && len(line) > 0 && line[0] == '\\':
			// "\ No newline at end of file": the previous line had none.
			for _, b := range []*bytes.Buffer{old, new} {
				if (b == old && last != '+' || b == new && last != '-') && b.Len() > 0 && b.Bytes()[b.Len()-1] == '\n' {
					b.Truncate(b.Len() - 1)
				}
			}
		case bytes.HasPrefix(line, []byte("diff --git ")):
			finish()
			p, err := pick(string(bytes.TrimRight(line, "\n")))
			if err != nil {
				return nil, err
			}
			if p == "" {
				continue
			}
			file = &FileChange{Path: p}
			old, new = new0(), new0()
		case file != nil && bytes.HasPrefix(line, []byte("index ")):
			ids := strings.Fields(string(line[len("index "):]))
			if len(ids) > 0 {
				o, n, _ := strings.Cut(ids[0], "..")
				if o != ZeroID {
					file.OldBlob = o
				}
				if n != ZeroID {
					file.NewBlob = n
				}
			}
		case file != nil && bytes.HasPrefix(line, []byte("@@ ")):
			inHunk = true
		}
	}
	finish()
	return commits, nil
}

func new0() *bytes.Buffer { return new(bytes.Buffer) }

// zoneOf returns the "+0100" zone at the end of "1700000000 2023-11-14 22:13:20 +0100".
func zoneOf(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return "+0000"
}

// RootCommits returns the commits without parents reachable from HEAD
// (`git rev-list --max-parents=0 HEAD`), oldest last as git lists them.
func (r *Repo) RootCommits() ([]string, error) {
	out, err := r.git(nil, nil, "rev-list", "--max-parents=0", "HEAD", "--")
	if err != nil {
		return nil, fmt.Errorf("root commits: %w", err)
	}
	return strings.Fields(string(out)), nil
}

// AuthorEmails returns the author e-mail of every commit reachable from
// HEAD since the given time that touches one of paths (one per commit,
// newest first), as `git log --since --format=%aE -- paths` prints them.
func (r *Repo) AuthorEmails(since time.Time, paths ...string) ([]string, error) {
	args := append([]string{"log", "--since=" + since.Format(time.RFC3339), "--format=%aE", "--"}, paths...)
	out, err := r.git(map[string]string{"GIT_LITERAL_PATHSPECS": "1"}, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("git log: %w", err)
	}
	var emails []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			emails = append(emails, l)
		}
	}
	return emails, nil
}
