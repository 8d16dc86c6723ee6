package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Journal records a migration in progress, so that one killed half-way
// (kill -9, power loss) can be finished or undone by the next migrate or
// by fsck --repair. It is local state of one clone (the CLI keeps it in the
// git directory), written before the first step and removed after the last.
type Journal struct {
	From       string `json:"from"`
	FromType   string `json:"from_type,omitempty"` // database type of the source
	To         string `json:"to"`
	ToType     string `json:"to_type,omitempty"` // database type of the target
	KeepSource bool   `json:"keep_source,omitempty"`
	Rollback   bool   `json:"rollback"` // migration.rollback_on_failure
	Started    string `json:"started"`
}

// Describe names a backend with its database type: "database (postgresql)".
func Describe(kind, dbType string) string {
	if kind == config.Database && dbType != "" {
		return kind + " (" + dbType + ")"
	}
	return kind
}

func (j *Journal) String() string {
	return fmt.Sprintf("migration from %s to %s started %s", Describe(j.From, j.FromType), Describe(j.To, j.ToType), j.Started)
}

// Write stores the journal at path durably (written aside, synced, renamed;
// never through a symbolic link).
func (j *Journal) Write(path string) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return safefs.WriteFile(path, append(data, '\n'), safefs.FileOptions{Perm: 0o644})
}

// ReadJournal returns the journal at path, or nil when there is none.
func ReadJournal(path string) (*Journal, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 64<<10 {
		return nil, fmt.Errorf("%s is not a migration journal (not a small regular file): remove it", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it if no migration was interrupted)", path, err)
	}
	for _, k := range []string{j.From, j.To} {
		switch k {
		case config.File, config.Hybrid, config.Database:
		default:
			return nil, fmt.Errorf("%s: backend %q is not one of file, hybrid, database", path, k)
		}
	}
	return &j, nil
}

// Recovery is what finishes or undoes an interrupted migration.
type Recovery struct {
	// Landed: the switch commit is in (the live backend is the target);
	// the steps after it are done.
	Landed             bool
	RemoveOldIndex     bool // landed: the source was hybrid, its index is no longer used
	ClearSource        bool // landed: the source was PostgreSQL and --keep-source was not given
	BuildIndex         bool // landed: the target is hybrid
	ClearTarget        bool // not landed: remove what was copied into the target database
	RemovePartialIndex bool // not landed: remove the index built for a move to hybrid
}

// Recovery decides, from the live backend (kind and database type as the
// work tree says after git's own recovery), how to finish or undo j.
// Before the switch the old backend is live and the copy is undone (when
// rollback_on_failure); after it, the remaining steps are done.
func (j *Journal) Recovery(liveKind, liveType string) Recovery {
	landed := liveKind == j.To && (j.To != config.Database || j.ToType == "" || liveType == j.ToType)
	if landed {
		return Recovery{
			Landed:         true,
			RemoveOldIndex: j.From == config.Hybrid && j.To != config.Hybrid,
			ClearSource:    j.From == config.Database && j.FromType == "postgresql" && !j.KeepSource && (j.To != config.Database || j.ToType != "postgresql"),
			BuildIndex:     j.To == config.Hybrid,
		}
	}
	if !j.Rollback || liveKind != j.From {
		return Recovery{}
	}
	switch j.To {
	case config.Database:
		// The target is not the live store (a move between two databases
		// of the same type never starts).
		return Recovery{ClearTarget: j.From != config.Database || j.FromType != j.ToType}
	case config.Hybrid:
		return Recovery{RemovePartialIndex: true}
	}
	return Recovery{}
}
