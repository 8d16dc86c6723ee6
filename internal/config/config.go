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
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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

// Parse reads a config document over the defaults; path names it in errors.
func Parse(path string, data []byte) (Config, error) {
	var c Config
	if err := yaml.Unmarshal([]byte(DefaultYAML), &c); err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

func (c *Config) validate() error {
	switch c.Storage.Backend {
	case Auto, File, Hybrid, Database:
	default:
		return fmt.Errorf("storage.backend %q is not one of auto, file, hybrid, database", c.Storage.Backend)
	}
	switch c.Storage.Database.Type {
	case "sqlite", "postgresql":
	default:
		return fmt.Errorf("storage.database.type %q is not one of sqlite, postgresql", c.Storage.Database.Type)
	}
	return c.Vocabulary.validate()
}

// Load reads the config of the work tree at root (defaults when absent).
func Load(root string) (Config, error) {
	data, err := os.ReadFile(filepath.Join(root, ConfigPath))
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
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
	data, err := os.ReadFile(filepath.Join(root, BackendPath))
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
		return strings.Contains(raw, "password=")
	}
	_, ok := u.User.Password()
	return ok || strings.Contains(u.RawQuery, "password=")
}
