// Package config reads the shared settings in
// .milestones/config/storage-config.yaml and the backend choice in
// .milestones/config/storage-backend.txt (SPEC section 9).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Backend names.
const (
	Auto     = "auto"
	File     = "file"
	Hybrid   = "hybrid"
	Database = "database"
)

// Paths relative to the work tree.
const (
	Dir         = ".milestones"
	ConfigPath  = ".milestones/config/storage-config.yaml"
	BackendPath = ".milestones/config/storage-backend.txt"
)

// Thresholds decide the recommended backend (SPEC section 8).
type Thresholds struct {
	MilestoneCount struct {
		FileToHybrid     int `yaml:"file_to_hybrid"`
		HybridToDatabase int `yaml:"hybrid_to_database"`
	} `yaml:"milestone_count"`
	ConcurrentUsers struct {
		FileToHybrid     int `yaml:"file_to_hybrid"`
		HybridToDatabase int `yaml:"hybrid_to_database"`
	} `yaml:"concurrent_users"`
}

// Config is storage-config.yaml. A missing file means Default().
type Config struct {
	// Project names the project for people (reports, roll-ups across the
	// repositories that share a database). Optional.
	Project struct {
		Name string `yaml:"name"`
	} `yaml:"project"`
	Storage struct {
		Backend    string     `yaml:"backend"`
		Thresholds Thresholds `yaml:"thresholds"`
		Database   struct {
			Type       string `yaml:"type"`
			URL        string `yaml:"url"`
			PoolSize   int    `yaml:"pool_size"`
			ProjectKey string `yaml:"project_key"`
		} `yaml:"database"`
		Performance struct {
			CacheEnabled bool `yaml:"cache_enabled"`
			CacheTTL     int  `yaml:"cache_ttl"`     // seconds
			QueryTimeout int  `yaml:"query_timeout"` // seconds
		} `yaml:"performance"`
		Migration struct {
			AutoMigrate           bool `yaml:"auto_migrate"`
			BackupBeforeMigration bool `yaml:"backup_before_migration"`
			RollbackOnFailure     bool `yaml:"rollback_on_failure"`
		} `yaml:"migration"`
	} `yaml:"storage"`
	// Vocabulary translates other status and priority words into ours on
	// import (`import --from seed`): word -> status, word -> priority.
	// It adds to and overrides the built-in shell-era vocabulary.
	Vocabulary Vocabulary `yaml:"vocabulary"`
}

// Vocabulary is the `vocabulary:` map of storage-config.yaml.
type Vocabulary struct {
	Status   map[string]string `yaml:"status"`
	Priority map[string]string `yaml:"priority"`
}

var (
	statusWords   = []string{"planned", "active", "blocked", "completed", "cancelled"}
	priorityWords = []string{"low", "medium", "high", "critical"}
)

func (v Vocabulary) validate() error {
	check := func(kind string, m map[string]string, allowed []string) error {
		for word, to := range m {
			ok := false
			for _, a := range allowed {
				ok = ok || a == to
			}
			if !ok {
				return fmt.Errorf("vocabulary.%s: %q -> %q: %q is not one of %s", kind, word, to, to, strings.Join(allowed, ", "))
			}
		}
		return nil
	}
	if err := check("status", v.Status, statusWords); err != nil {
		return err
	}
	return check("priority", v.Priority, priorityWords)
}

// DefaultYAML is the file `init` writes: the design note's defaults.
const DefaultYAML = `# git-milestone storage settings (SPEC section 9). Secrets never go here:
# the database URL comes from DATABASE_URL or "git config milestone.databaseUrl".
storage:
  backend: auto  # auto, file, hybrid, database
  thresholds:
    milestone_count:
      file_to_hybrid: 25
      hybrid_to_database: 100
    concurrent_users:
      file_to_hybrid: 5
      hybrid_to_database: 20
  database:
    type: sqlite  # sqlite, postgresql
    url: ""
    pool_size: 10
  performance:
    cache_enabled: false
    cache_ttl: 300
    query_timeout: 30
  migration:
    auto_migrate: true
    backup_before_migration: true
    rollback_on_failure: true
`

// Default returns the settings of DefaultYAML.
func Default() Config {
	c, err := Parse(ConfigPath, []byte(DefaultYAML))
	if err != nil {
		panic("config: default does not parse: " + err.Error())
	}
	return c
}

// MaxSize bounds storage-config.yaml: anything larger is refused unread.
const MaxSize = 1 << 20

// Error is a problem in the config file at a position (1-based; 0 unknown).
type Error struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// field is one typed setting: its kind and, for ints, its bounds.
type field struct {
	kind     string // "int", "bool", "string"
	min, max int64
}

// schema lists the settings the tool reads, by dotted key. Other keys are
// kept (unknown keys are allowed) but not typed.
var schema = map[string]field{
	"storage.backend": {kind: "string"},
	"storage.thresholds.milestone_count.file_to_hybrid":      {kind: "int", min: 1, max: 1_000_000},
	"storage.thresholds.milestone_count.hybrid_to_database":  {kind: "int", min: 1, max: 1_000_000},
	"storage.thresholds.concurrent_users.file_to_hybrid":     {kind: "int", min: 1, max: 1_000_000},
	"storage.thresholds.concurrent_users.hybrid_to_database": {kind: "int", min: 1, max: 1_000_000},
	"storage.database.type":                                  {kind: "string"},
	"storage.database.url":                                   {kind: "string"},
	"storage.database.pool_size":                             {kind: "int", min: 1, max: 1000},
	"storage.database.project_key":                           {kind: "string"},
	"storage.performance.cache_enabled":                      {kind: "bool"},
	"storage.performance.cache_ttl":                          {kind: "int", min: 0, max: 30 * 86400},
	"storage.performance.query_timeout":                      {kind: "int", min: 0, max: 86400},
	"storage.migration.auto_migrate":                         {kind: "bool"},
	"storage.migration.backup_before_migration":              {kind: "bool"},
	"storage.migration.rollback_on_failure":                  {kind: "bool"},
	"vocabulary.status":                                      {kind: "words"},
	"vocabulary.priority":                                    {kind: "words"},
}

// Parse reads a config document over the defaults; path names it in
// errors. The input is bounded (size, alias expansion) and every setting
// the tool reads is type- and range-checked, each problem as an *Error at
// path:line:col.
func Parse(path string, data []byte) (Config, error) {
	var c Config
	if err := yaml.Unmarshal([]byte(DefaultYAML), &c); err != nil {
		return c, err
	}
	if len(data) > MaxSize {
		return c, &Error{Path: path, Msg: fmt.Sprintf("the file is %d bytes, over the limit of %d", len(data), MaxSize)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		return c, syntaxError(path, data, err)
	}
	if len(doc.Content) == 0 {
		return c, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return c, &Error{Path: path, Line: root.Line, Col: root.Column, Msg: "the file must be a mapping (storage: ...)"}
	}
	if err := check(path, "", root, 0); err != nil {
		return c, err
	}
	if err := root.Decode(&c); err != nil {
		return c, &Error{Path: path, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if err := c.validate(); err != nil {
		return c, &Error{Path: path, Line: err.line, Col: err.col, Msg: err.msg}
	}
	return c, nil
}

// check walks the mappings that lead to known settings and checks each
// setting's type and range. Aliases are refused in the settings the tool
// reads (a config file has no need of them; they are how "billion laughs"
// documents grow).
func check(path, prefix string, n *yaml.Node, depth int) error {
	errAt := func(n *yaml.Node, format string, args ...any) error {
		return &Error{Path: path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
	}
	if depth > 8 {
		return errAt(n, "nested too deeply")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		f, known := schema[key]
		parent := false
		for s := range schema {
			if strings.HasPrefix(s, key+".") {
				parent = true
				break
			}
		}
		if !known && !parent {
			continue // an unknown key: kept, not read
		}
		if v.Kind == yaml.AliasNode {
			return errAt(v, "%s: aliases are not allowed here", key)
		}
		if parent {
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return errAt(v, "%s must be a mapping, not %s", key, describe(v))
			}
			if err := check(path, key, v, depth+1); err != nil {
				return err
			}
			continue
		}
		if f.kind == "words" {
			if err := checkWords(key, v, errAt); err != nil {
				return err
			}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return errAt(v, "%s must be %s, not %s", key, want(f.kind), describe(v))
		}
		switch f.kind {
		case "int":
			if v.ShortTag() != "!!int" {
				return errAt(v, "%s must be a whole number, not %q", key, v.Value)
			}
			n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
			if err != nil || n < f.min || n > f.max {
				return errAt(v, "%s %s is out of range (%d to %d)", key, v.Value, f.min, f.max)
			}
		case "bool":
			if v.ShortTag() != "!!bool" {
				return errAt(v, "%s must be true or false, not %q", key, v.Value)
			}
		case "string":
			if t := v.ShortTag(); t != "!!str" && t != "!!null" {
				return errAt(v, "%s must be a string, not %q", key, v.Value)
			}
		}
	}
	return nil
}

// checkWords checks a map of words to words (vocabulary.status): each key
// and value one plain string, no alias.
func checkWords(key string, v *yaml.Node, errAt func(*yaml.Node, string, ...any) error) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return errAt(v, "%s must be a mapping, not %s", key, describe(v))
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		for _, n := range v.Content[i : i+2] {
			if n.Kind == yaml.AliasNode {
				return errAt(n, "%s: aliases are not allowed here", key)
			}
			if n.Kind != yaml.ScalarNode {
				return errAt(n, "%s: each word must be a string, not %s", key, describe(n))
			}
		}
	}
	return nil
}

func want(kind string) string {
	switch kind {
	case "int":
		return "a whole number"
	case "bool":
		return "true or false"
	}
	return "a string"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// syntaxError turns a yaml.v3 parse error of data into an *Error at its
// line and column (format.YAMLSyntax).
func syntaxError(path string, data []byte, err error) error {
	line, col, msg := format.YAMLSyntax(data, err)
	return &Error{Path: path, Line: line, Col: max(col, 1), Msg: msg}
}

type posError struct {
	line, col int
	msg       string
}

func (c *Config) validate() *posError {
	switch c.Storage.Backend {
	case Auto, File, Hybrid, Database:
	default:
		return &posError{msg: fmt.Sprintf("storage.backend %q is not one of auto, file, hybrid, database", c.Storage.Backend)}
	}
	switch c.Storage.Database.Type {
	case "sqlite", "postgresql":
	default:
		return &posError{msg: fmt.Sprintf("storage.database.type %q is not one of sqlite, postgresql", c.Storage.Database.Type)}
	}
	t := c.Storage.Thresholds
	if t.MilestoneCount.FileToHybrid > t.MilestoneCount.HybridToDatabase {
		return &posError{msg: "storage.thresholds.milestone_count: file_to_hybrid is above hybrid_to_database"}
	}
	if t.ConcurrentUsers.FileToHybrid > t.ConcurrentUsers.HybridToDatabase {
		return &posError{msg: "storage.thresholds.concurrent_users: file_to_hybrid is above hybrid_to_database"}
	}
	if err := c.Vocabulary.validate(); err != nil {
		return &posError{msg: err.Error()}
	}
	return nil
}

// Load reads the config of the work tree at root (defaults when absent).
// The file is read through safefs: a link or special file is refused.
func Load(root string) (Config, error) {
	data, err := safefs.WorkTree(root).ReadFileMax(ConfigPath, MaxSize)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if errors.Is(err, safefs.ErrTooLarge) {
		return Config{}, &Error{Path: ConfigPath, Msg: fmt.Sprintf("the file is over the limit of %d bytes", MaxSize)}
	}
	if err != nil {
		return Config{}, fmt.Errorf("read %s: %w", ConfigPath, err)
	}
	return Parse(ConfigPath, data)
}

// QueryTimeout is performance.query_timeout as a duration (0: none).
func (c *Config) QueryTimeout() time.Duration {
	return time.Duration(c.Storage.Performance.QueryTimeout) * time.Second
}

// ReadBackend returns the content of storage-backend.txt under root, or
// "" when the file does not exist (not initialised).
func ReadBackend(root string) (string, error) {
	data, err := safefs.WorkTree(root).ReadFile(BackendPath)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", BackendPath, err)
	}
	b := strings.TrimSpace(string(data))
	switch b {
	case File, Hybrid, Database:
		return b, nil
	}
	return "", fmt.Errorf("%s:1: backend %q is not one of file, hybrid, database", BackendPath, b)
}

// DatabaseSettings resolve the database type and URL from the environment,
// git config and the file, in that order (SPEC section 9).
type DatabaseSettings struct {
	Type   string
	URL    string
	Source string // where the URL came from: "DATABASE_URL", "git config milestone.databaseUrl", ConfigPath
}

// ResolveDatabase applies DATABASE_TYPE / DATABASE_URL, then gitURL (the value
// of `git config milestone.databaseUrl`), then the file. warn is told when
// the committed file holds a password.
func (c *Config) ResolveDatabase(getenv func(string) string, gitURL string, warn func(string)) DatabaseSettings {
	s := DatabaseSettings{Type: c.Storage.Database.Type}
	if t := getenv("DATABASE_TYPE"); t != "" {
		s.Type = t
	}
	switch {
	case getenv("DATABASE_URL") != "":
		s.URL, s.Source = getenv("DATABASE_URL"), "DATABASE_URL"
	case gitURL != "":
		s.URL, s.Source = gitURL, "git config milestone.databaseUrl"
	case c.Storage.Database.URL != "":
		s.URL, s.Source = c.Storage.Database.URL, ConfigPath
		if HasPassword(s.URL) && warn != nil {
			warn(ConfigPath + " holds a database password: it is committed to git; move the URL to DATABASE_URL or `git config milestone.databaseUrl`")
		}
	}
	return s
}

// HasPassword reports whether a database URL carries a password.
func HasPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable (an unescaped @ or % in a password, say): assume the
		// worst when there is a user-info part.
		_, rest, isURL := strings.Cut(raw, "://")
		return strings.Contains(raw, "password=") || (isURL && strings.Contains(rest, "@"))
	}
	_, ok := u.User.Password()
	return ok || strings.Contains(u.RawQuery, "password=")
}
