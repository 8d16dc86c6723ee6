package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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
	r.mu.Lock()
	raw, ok := r.walked[id]
	r.mu.Unlock()
	o := Object{Type: "commit", Data: raw}
	if !ok {
		var err error
		if o, err = r.ReadObject(id); err != nil {
			return Commit{}, err
		}
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
// path, like `git log -p --diff-merges=first-parent -- paths`, which walks
// the full history: every parent of a merge is followed; a merge is left
// out when the paths are the same in it and in every parent, and shown
// otherwise, compared with its first parent (so a merge that took the
// paths from its first parent but differs from another has no changes). It reads the objects itself
// (pathwalk.go) and runs git log only where that walk could answer
// otherwise than git.
func (r *Repo) PathLog(start string, paths []string) ([]PathCommit, error) {
	if !isHexID(start) {
		return nil, fmt.Errorf("path log: start %q is not a commit id", start)
	}
	if r.walkable(paths) {
		commits, err := r.walkPathLog(start, paths)
		if !errors.Is(err, errWalkFallback) {
			return commits, err
		}
	}
	return r.pathLogGit(start, paths)
}

// pathLogGit is PathLog by one git log process.
func (r *Repo) pathLogGit(start string, paths []string) ([]PathCommit, error) {
	args := []string{"-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false", "-c", "diff.mnemonicPrefix=false",
		"-c", "diff.noprefix=false", "log", "--root",
		"--format=%x01%H%x02%P%x02%an%x02%ae%x02%at %ai%x02%s",
		"-p", "--full-index", "-U2147483647", "--text", "--no-renames", "--no-ext-diff", "--no-textconv",
		"--no-color", "--diff-merges=first-parent", "--src-prefix=a/", "--dst-prefix=b/", "--no-relative",
		"--no-show-signature", start, "--"}
	args = append(args, paths...)
	out, err := r.git(walkEnv(), nil, args...)
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
	out, err := r.git(walkEnv(), nil, args...)
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

// walkEnv is the environment of a git log that walks many commits: glibc's
// malloc keeps the memory it frees (trim threshold and top pad raised),
// where by default it gave back and took again the pages of every large
// tree git inflates, one brk pair per commit: at 10,000 documents in a
// folder, 1,000 commits of one milestone spent 0.4 s of system time in
// page faults, about as much as the walk itself. A GLIBC_TUNABLES of the
// user's own is left alone; other C libraries ignore it.
func walkEnv() map[string]string {
	if os.Getenv("GLIBC_TUNABLES") != "" {
		return nil
	}
	return map[string]string{"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=16777216"}
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
	p := &logParser{pick: pick}
	for len(out) > 0 {
		line := out
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i+1], out[i+1:]
		} else {
			out = nil
		}
		if err := p.line(line); err != nil {
			return nil, err
		}
	}
	p.finish()
	return p.commits, nil
}

// logParser is the state of parseLog between lines.
type logParser struct {
	pick    func(header string) (string, error)
	commits []PathCommit
	file    *FileChange   // the file being read (nil: none, or skipped)
	old     *bytes.Buffer // the file's content before, from its hunks
	new     *bytes.Buffer // and after
	last    byte          // side of the previous hunk line: ' ', '-', '+'
	inHunk  bool
}

// line reads one line (with its newline, if any).
func (p *logParser) line(line []byte) error {
	switch {
	case len(line) > 0 && line[0] == 0x01:
		p.finish()
		c, err := parseCommitLine(line)
		if err != nil {
			return err
		}
		p.commits = append(p.commits, c)
	case p.inHunk && p.hunkLine(line):
	case bytes.HasPrefix(line, []byte("diff --git ")):
		p.finish()
		return p.startFile(line)
	case p.file != nil && bytes.HasPrefix(line, []byte("index ")):
		p.blobs(line)
	case p.file != nil && bytes.HasPrefix(line, []byte("@@ ")):
		p.inHunk = true
	}
	return nil
}

// finish adds the file being read, if any, to the current commit.
func (p *logParser) finish() {
	if p.file != nil && len(p.commits) > 0 {
		if p.file.OldBlob != "" {
			p.file.Old = append([]byte{}, p.old.Bytes()...)
		}
		if p.file.NewBlob != "" {
			p.file.New = append([]byte{}, p.new.Bytes()...)
		}
		cur := &p.commits[len(p.commits)-1]
		cur.Files = append(cur.Files, *p.file)
	}
	p.file, p.inHunk = nil, false
}

// parseCommitLine reads a commit's header line: \x01 then id, parents,
// author name, e-mail and date, subject, separated by \x02.
func parseCommitLine(line []byte) (PathCommit, error) {
	f := strings.Split(strings.TrimRight(string(line[1:]), "\n"), "\x02")
	if len(f) != 6 || !isHexID(f[0]) {
		return PathCommit{}, fmt.Errorf("git log: unexpected commit line %q", line)
	}
	c := PathCommit{Commit: Commit{ID: f[0], Message: f[5]}}
	if f[1] != "" {
		c.Parents = strings.Fields(f[1])
	}
	when := parseIdent("x <y> " + strings.SplitN(f[4], " ", 2)[0] + " " + zoneOf(f[4])).When
	c.Author = Signature{Name: f[2], Email: f[3], When: when}
	c.Committer = c.Author
	return c, nil
}

// hunkLine adds a line of a hunk to the old and new content; it reports
// false when line is not one.
func (p *logParser) hunkLine(line []byte) bool {
	switch {
	case len(line) > 0 && (line[0] == ' ' || line[0] == '-' || line[0] == '+'):
		text := line[1:]
		if line[0] != '+' {
			p.old.Write(text)
		}
		if line[0] != '-' {
			p.new.Write(text)
		}
		p.last = line[0]
	case len(line) == 1 && line[0] == '\n':
		// An empty context line written without its leading space.
		p.old.WriteByte('\n')
		p.new.WriteByte('\n')
		p.last = ' '
	case len(line) > 0 && line[0] == '\\':
		// "\ No newline at end of file": the previous line had none.
		if p.last != '+' {
			trimNewline(p.old)
		}
		if p.last != '-' {
			trimNewline(p.new)
		}
	default:
		return false
	}
	return true
}

// trimNewline drops the newline that ends b, if any.
func trimNewline(b *bytes.Buffer) {
	if b.Len() > 0 && b.Bytes()[b.Len()-1] == '\n' {
		b.Truncate(b.Len() - 1)
	}
}

// startFile begins the file of a "diff --git" header line, unless pick
// skips it.
func (p *logParser) startFile(line []byte) error {
	path, err := p.pick(string(bytes.TrimRight(line, "\n")))
	if err != nil || path == "" {
		return err
	}
	p.file = &FileChange{Path: path}
	p.old, p.new = new0(), new0()
	return nil
}

// blobs records the blob ids of an "index OLD..NEW" line (the zero id
// stands for an absent side).
func (p *logParser) blobs(line []byte) {
	ids := strings.Fields(string(line[len("index "):]))
	if len(ids) == 0 {
		return
	}
	o, n, _ := strings.Cut(ids[0], "..")
	if o != ZeroID {
		p.file.OldBlob = o
	}
	if n != ZeroID {
		p.file.NewBlob = n
	}
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
