package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/config"
)

// Config scopes in increasing precedence, as git reads them.
type scope int

const (
	scopeSystem scope = iota
	scopeGlobal
	scopeLocal
	scopeWorktree
)

// configFile is one parsed config file: normalized key -> values in order.
type configFile struct {
	path   string
	scope  scope
	values map[string][]string
}

func (f *configFile) get(key string) (string, bool) {
	if f == nil {
		return "", false
	}
	vs := f.values[key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// configSet is every config file git would read, in order. needsGit is set
// when something we do not interpret ourselves is present (include and
// includeIf sections, GIT_CONFIG_PARAMETERS from `git -c`, GIT_CONFIG_COUNT,
// a file our parser rejects): then values are asked from `git config`.
type configSet struct {
	files    []*configFile
	needsGit bool
}

func (cs *configSet) scope(s scope) *configFile {
	for _, f := range cs.files {
		if f.scope == s {
			return f
		}
	}
	return nil
}

// get returns the last value of key across all files (repo beats global
// beats system).
func (cs *configSet) get(key string) (string, bool) {
	for i := len(cs.files) - 1; i >= 0; i-- {
		if v, ok := cs.files[i].get(key); ok {
			return v, true
		}
	}
	return "", false
}

// normalizeKey lower-cases the section and variable name of
// "section[.subsection].name", keeping the subsection's case as git does.
func normalizeKey(key string) (string, error) {
	first := strings.IndexByte(key, '.')
	last := strings.LastIndexByte(key, '.')
	if first <= 0 || last == len(key)-1 {
		return "", fmt.Errorf("invalid config key %q (want section.name)", key)
	}
	if first == last {
		return strings.ToLower(key), nil
	}
	return strings.ToLower(key[:first]) + key[first:last] + strings.ToLower(key[last:]), nil
}

// parseConfigFile reads one config file; a missing file is (nil, nil).
func parseConfigFile(path string, sc scope) (*configFile, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	var c config.Config
	if err := config.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
		// git may still accept it (our parser is stricter): let git answer.
		return &configFile{path: path, scope: sc}, true, nil
	}
	f := &configFile{path: path, scope: sc, values: map[string][]string{}}
	needsGit := false
	for _, s := range c.Sections {
		sec := strings.ToLower(s.Name)
		if sec == "include" || sec == "includeif" {
			needsGit = true
		}
		for _, o := range s.Options {
			k := sec + "." + strings.ToLower(o.Key)
			f.values[k] = append(f.values[k], o.Value)
		}
		for _, ss := range s.Subsections {
			for _, o := range ss.Options {
				k := sec + "." + ss.Name + "." + strings.ToLower(o.Key)
				f.values[k] = append(f.values[k], o.Value)
			}
		}
	}
	return f, needsGit, nil
}

// loadConfig reads the config files git would read for this repository,
// locating the global and system ones through getenv.
func (r *Repo) loadConfig(getenv func(string) string) (*configSet, error) {
	type src struct {
		path string
		sc   scope
	}
	var srcs []src
	if getenv("GIT_CONFIG_NOSYSTEM") == "" || !parseBool(getenv("GIT_CONFIG_NOSYSTEM")) {
		p := getenv("GIT_CONFIG_SYSTEM")
		if p == "" {
			p = "/etc/gitconfig"
		}
		srcs = append(srcs, src{p, scopeSystem})
	}
	if p := getenv("GIT_CONFIG_GLOBAL"); p != "" {
		srcs = append(srcs, src{p, scopeGlobal})
	} else {
		home := getenv("HOME")
		if x := getenv("XDG_CONFIG_HOME"); x != "" {
			srcs = append(srcs, src{filepath.Join(x, "git", "config"), scopeGlobal})
		} else if home != "" {
			srcs = append(srcs, src{filepath.Join(home, ".config", "git", "config"), scopeGlobal})
		}
		if home != "" {
			srcs = append(srcs, src{filepath.Join(home, ".gitconfig"), scopeGlobal})
		}
	}
	srcs = append(srcs, src{filepath.Join(r.CommonDir, "config"), scopeLocal})

	cs := &configSet{}
	if getenv("GIT_CONFIG_PARAMETERS") != "" || getenv("GIT_CONFIG_COUNT") != "" {
		cs.needsGit = true
	}
	for _, s := range srcs {
		f, needsGit, err := parseConfigFile(s.path, s.sc)
		if err != nil {
			return nil, err
		}
		cs.needsGit = cs.needsGit || needsGit
		if f != nil {
			cs.files = append(cs.files, f)
		}
	}
	if v, ok := cs.scope(scopeLocal).get("extensions.worktreeconfig"); ok && parseBool(v) {
		f, needsGit, err := parseConfigFile(filepath.Join(r.GitDir, "config.worktree"), scopeWorktree)
		if err != nil {
			return nil, err
		}
		cs.needsGit = cs.needsGit || needsGit
		if f != nil {
			cs.files = append(cs.files, f)
		}
	}
	return cs, nil
}

// config returns the cached config set read with the Repo's environment.
func (r *Repo) config() (*configSet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg != nil {
		return r.cfg, nil
	}
	cs, err := r.loadConfig(r.getenv)
	if err != nil {
		return nil, err
	}
	r.cfg = cs
	return cs, nil
}

// ConfigGet returns the effective value of key like `git config --get key`
// (worktree > repository > global > system; the last value wins), or "" if
// it is unset. Includes and `git -c` overrides are honoured by asking git.
func (r *Repo) ConfigGet(key string) (string, error) {
	nk, err := normalizeKey(key)
	if err != nil {
		return "", err
	}
	cs, err := r.config()
	if err != nil {
		return "", err
	}
	if !cs.needsGit {
		v, _ := cs.get(nk)
		return v, nil
	}
	out, err := r.gitConfigExec(r.getenv, "config", "--get", key)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(out, "\n"), nil
}

// ConfigSet sets key to value in the repository's own config file.
func (r *Repo) ConfigSet(key, value string) error {
	if _, err := normalizeKey(key); err != nil {
		return err
	}
	if _, err := r.gitConfigExec(r.getenv, "config", "--file", filepath.Join(r.CommonDir, "config"), key, value); err != nil {
		return err
	}
	r.mu.Lock()
	r.cfg = nil
	r.mu.Unlock()
	return nil
}

// configEnvNames are the variables that decide which config git reads.
var configEnvNames = []string{"HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL",
	"GIT_CONFIG_SYSTEM", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"}

// gitConfigExec runs `git <args>` for config access; exit status 1 (key not
// found) is an empty answer, not an error.
func (r *Repo) gitConfigExec(getenv func(string) string, args ...string) (string, error) {
	env := map[string]string{}
	for _, n := range configEnvNames {
		env[n] = getenv(n)
	}
	if n, err := strconv.Atoi(getenv("GIT_CONFIG_COUNT")); err == nil {
		for i := 0; i < n && i < 1000; i++ {
			for _, p := range []string{"GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"} {
				k := p + strconv.Itoa(i)
				env[k] = getenv(k)
			}
		}
	}
	out, err := r.git(env, nil, args...)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 1 {
		return "", nil
	}
	return string(out), err
}

// parseBool reads a git boolean; unknown text is false.
func parseBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// Signature is a commit author or committer.
type Signature struct {
	Name, Email string
	When        time.Time
}

// Identity returns the author and committer for a new commit the way git
// finds them: GIT_AUTHOR_NAME/EMAIL/DATE and GIT_COMMITTER_NAME/EMAIL/DATE,
// then author.* / committer.* and user.* from config (worktree, repository,
// global ~/.gitconfig and $XDG_CONFIG_HOME/git/config, system), then EMAIL
// for the address. Unlike git it never guesses from the host name: a missing
// name or email is an error wrapping ErrNoIdentity.
func (r *Repo) Identity(getenv func(string) string) (author, committer Signature, err error) {
	if getenv == nil {
		getenv = r.getenv
	}
	cs, err := r.loadConfig(getenv)
	if err != nil {
		return author, committer, err
	}
	keys := []string{"user.name", "user.email", "author.name", "author.email", "committer.name", "committer.email"}
	cfg := map[string]string{}
	if cs.needsGit {
		out, err := r.gitConfigExec(getenv, "config", "-z", "--get-regexp", `^(user|author|committer)\.(name|email)$`)
		if err != nil {
			return author, committer, err
		}
		for _, rec := range strings.Split(out, "\x00") {
			if k, v, ok := strings.Cut(rec, "\n"); ok {
				cfg[k] = v
			}
		}
	} else {
		for _, k := range keys {
			if v, ok := cs.get(k); ok {
				cfg[k] = v
			}
		}
	}
	now := time.Now()
	pick := func(role string) (Signature, error) {
		up := strings.ToUpper(role)
		var s Signature
		s.Name = firstSet(getenv("GIT_"+up+"_NAME"), cfg[role+".name"], cfg["user.name"])
		s.Email = firstSet(getenv("GIT_"+up+"_EMAIL"), cfg[role+".email"], cfg["user.email"], getenv("EMAIL"))
		s.Name, s.Email = cleanIdent(s.Name), cleanIdent(s.Email)
		if s.Name == "" {
			return s, fmt.Errorf("%s name is not set: %w", role, ErrNoIdentity)
		}
		if s.Email == "" {
			return s, fmt.Errorf("%s email is not set: %w", role, ErrNoIdentity)
		}
		s.When = now
		if d := getenv("GIT_" + up + "_DATE"); d != "" {
			t, err := ParseDate(d)
			if err != nil {
				return s, fmt.Errorf("GIT_%s_DATE: %w", up, err)
			}
			s.When = t
		}
		return s, nil
	}
	if author, err = pick("author"); err != nil {
		return author, committer, err
	}
	committer, err = pick("committer")
	return author, committer, err
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// cleanIdent cleans a name or email as git's ident code does: "crud"
// (control characters, space, and . , : ; < > " \ ') is trimmed from both
// ends, and '<', '>' and newlines are dropped inside.
func cleanIdent(s string) string {
	crud := func(c byte) bool {
		return c <= 32 || strings.IndexByte(".,:;<>\"\\'", c) >= 0
	}
	for len(s) > 0 && crud(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && crud(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '\n':
			return -1
		}
		return r
	}, s)
}

// ParseDate parses a date the way GIT_AUTHOR_DATE accepts it: git's internal
// form ("@1700000000 +0100" or "1700000000 +0100"), RFC 2822, or ISO 8601.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	raw := strings.TrimPrefix(s, "@")
	if sec, tz, ok := strings.Cut(raw, " "); ok {
		if n, err := strconv.ParseInt(sec, 10, 64); err == nil {
			if loc, err := parseTZ(tz); err == nil {
				return time.Unix(n, 0).In(loc), nil
			}
		}
	} else if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (strings.HasPrefix(s, "@") || len(raw) >= 9) {
		return time.Unix(n, 0).UTC(), nil
	}
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02 15:04:05 -0700",
		"2006-01-02 15:04:05 Z07:00",
		"2006-01-02 15:04:05Z07:00",
		time.RFC1123Z,
		"Mon, 2 Jan 2006 15:04:05 -0700",
		"2 Jan 2006 15:04:05 -0700",
		time.RubyDate,
		"Mon Jan 2 15:04:05 2006 -0700",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

func parseTZ(tz string) (*time.Location, error) {
	if len(tz) != 5 || (tz[0] != '+' && tz[0] != '-') {
		return nil, fmt.Errorf("invalid time zone %q", tz)
	}
	h, err1 := strconv.Atoi(tz[1:3])
	m, err2 := strconv.Atoi(tz[3:5])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("invalid time zone %q", tz)
	}
	off := h*3600 + m*60
	if tz[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), nil
}

// formatTZ formats t's zone as git does: "+0100".
func formatTZ(t time.Time) string {
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d%02d", sign, off/3600, off%3600/60)
}

// identLine renders "Name <email> 1700000000 +0100".
func (s Signature) identLine() string {
	return fmt.Sprintf("%s <%s> %d %s", cleanIdent(s.Name), cleanIdent(s.Email), s.When.Unix(), formatTZ(s.When))
}

// ConfigBool reads key as a git boolean (unset, "false", "no", "off" and
// "0" are false).
func (r *Repo) ConfigBool(key string) (bool, error) {
	v, err := r.ConfigGet(key)
	if err != nil {
		return false, err
	}
	return parseBool(v), nil
}
