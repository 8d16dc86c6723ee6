// Package eventlog appends to and reads the storage event log,
// .milestones/logs/storage-events.jsonl: one JSON object a line.
package eventlog

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

// Event names written by the tool.
const (
	MilestoneCreated    = "milestone_created"
	MilestoneUpdated    = "milestone_updated"
	MilestoneClosed     = "milestone_closed"
	MilestoneReopened   = "milestone_reopened"
	MilestoneDeleted    = "milestone_deleted"
	MilestoneRenamed    = "milestone_renamed"
	StorageInitialized  = "storage_initialized"
	PerformanceMetric   = "performance_metric"
	MigrationStarted    = "migration_started"
	MigrationCompleted  = "migration_completed"
	MigrationFailed     = "migration_failed"
	MigrationRolledBack = "migration_rolled_back"
	// MilestonesImported is one import (details: from, created, updated).
	MilestonesImported = "milestones_imported"
)

// Event is one line of the log.
type Event struct {
	Timestamp   time.Time      `json:"timestamp"`
	Event       string         `json:"event"`
	MilestoneID string         `json:"milestone_id,omitempty"`
	Backend     string         `json:"backend,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

// DefaultMaxSize is the size past which the log is rotated to <name>.1.
const DefaultMaxSize = 10 << 20

// Rel is where a repository keeps its log, relative to the work tree.
const Rel = ".milestones/logs/storage-events.jsonl"

// Log is an append-only JSONL file in an untrusted folder: it is opened
// through safefs, so a link at the log or its folder is refused.
type Log struct {
	Tree    safefs.Tree
	Rel     string // the log's path in Tree
	MaxSize int64  // rotate past this many bytes; 0 means DefaultMaxSize
}

// Open returns the log at path (created on first append), its folder
// trusted.
func Open(path string) *Log {
	return &Log{Tree: safefs.New(filepath.Dir(path), ""), Rel: filepath.Base(path)}
}

// ForWorkTree returns the log of the repository whose work tree is dir.
func ForWorkTree(dir string) *Log { return &Log{Tree: safefs.WorkTree(dir), Rel: Rel} }

// Path is the log's absolute path.
func (l *Log) Path() string { return l.Tree.Path(l.Rel) }

// Append writes events, each as one write(2) with O_APPEND so concurrent
// writers never interleave within a line.
func (l *Log) Append(events ...Event) error {
	if err := l.Tree.MkdirAll(filepath.Dir(l.Rel), 0o755); err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	l.rotate()
	f, err := l.Tree.OpenFile(l.Rel, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	defer f.Close()
	for _, e := range events {
		if e.Timestamp.IsZero() {
			e.Timestamp = time.Now()
		}
		e.Timestamp = e.Timestamp.UTC()
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("event log: encode %s: %w", e.Event, err)
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("event log: write %s: %w", l.Tree.Show(l.Rel), err)
		}
	}
	return nil
}

// rotate renames the log to <path>.1 once it is past MaxSize. A race with
// another rotating process is harmless: one rename wins, the other fails.
func (l *Log) rotate() {
	max := l.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	if fi, err := l.Tree.Lstat(l.Rel); err == nil && fi.Mode().IsRegular() && fi.Size() > max {
		_ = l.Tree.Rename(l.Rel, l.Rel+".1")
	}
}

// Tail returns the last n events (all when n <= 0), oldest first. Lines that
// do not parse are returned as errors in bad, with their line numbers.
func (l *Log) Tail(n int) (events []Event, bad []error, err error) {
	f, err := l.Tree.Open(l.Rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("event log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: %w", l.Tree.Show(l.Rel), line, err))
			continue
		}
		events = append(events, e)
		if n > 0 && len(events) > 2*n {
			events = append(events[:0], events[len(events)-n:]...)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, bad, fmt.Errorf("event log: read %s: %w", l.Tree.Show(l.Rel), err)
	}
	if n > 0 && len(events) > n {
		events = events[len(events)-n:]
	}
	return events, bad, nil
}
