package storage

import (
	"context"
	"time"
)

// What a caller needs beyond Backend is declared here as small optional
// interfaces. A caller discovers them by asserting the interface on the
// Backend it holds (never a concrete backend type): a backend that lacks
// one does not have that feature.

// Change is one file a commit of the file modes writes or removes.
type Change struct {
	Path    string // repository-relative, slash-separated
	Content []byte // the new content (ignored when Delete)
	Delete  bool   // remove the file
}

// Committer is one tool commit in progress (init, import into files, a
// migration's switch): it holds the repository's locks from its start to
// Close, so reads made meanwhile see what the commit will be made on.
type Committer interface {
	// Commit makes one commit of changes with message.
	Commit(message string, changes []Change) (Result, error)
	// Close releases the locks; it may be called more than once.
	Close() error
}

// Event is one row of a database's event log.
type Event struct {
	Timestamp   time.Time // zero means now
	Event       string    // milestone_created, milestone_updated, ...
	MilestoneID string
	Backend     string
	Actor       string // who did it ("" for the tool's own events)
	Details     map[string]any
}

// EventStore is a backend that keeps the event log itself (the database).
type EventStore interface {
	AppendEvents(ctx context.Context, evs ...Event) error
	// Events returns the last tail events (all when tail <= 0), oldest first.
	Events(ctx context.Context, tail int) ([]Event, error)
	// Actors counts the distinct actors of events since a time.
	Actors(ctx context.Context, since time.Time) (int, error)
}

// Database is a backend that is a database: it names its type and holds
// rows of this project (and maybe of others).
type Database interface {
	// Type is "sqlite" or "postgresql".
	Type() string
	// ProjectKey scopes this repository's rows in a shared database.
	ProjectKey() string
	// HasProject reports whether the database holds anything of this project.
	HasProject(ctx context.Context) (bool, error)
	// DeleteAll removes this project's milestones; it returns how many.
	DeleteAll(ctx context.Context) (int, error)
	// DeleteProject removes every row of this project; it returns how
	// many milestones went.
	DeleteProject(ctx context.Context) (int, error)
}

// BulkImporter is a backend that takes many new milestones at once (COPY
// on PostgreSQL); the import fails as a whole if any id is taken.
type BulkImporter interface {
	Import(ctx context.Context, recs []Record, progress func(done int)) error
}

// Project is one project of a shared database.
type Project struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// ProjectCatalog is a shared database that knows every project it holds.
type ProjectCatalog interface {
	// SetProjectName records the human name of this project.
	SetProjectName(ctx context.Context, name string) error
	// Projects lists the projects of the database.
	Projects(ctx context.Context) ([]Project, error)
	// ProjectReader reads the milestones of the project with this key.
	ProjectReader(key string) Reader
}

// IndexStatus describes how an index compares with the work tree.
type IndexStatus struct {
	Path          string // the index file
	SchemaVersion int
	Fresh         bool // every document is indexed as it is in the work tree
	Rescan        bool // a folder changed since it was last listed
	// Added, Changed and Removed name the document files that are new,
	// modified and gone since they were indexed.
	Added, Changed, Removed []string
	Racy                    int       // entries re-checked by content
	Files                   int       // document files indexed
	Milestones              int       // milestones indexed
	Problems                []Problem // documents that cannot be indexed
}

// IndexReport says what a refresh of an index changed.
type IndexReport struct {
	Added, Updated, Removed []string // document paths
}

// Indexed is a backend that keeps an index beside its files (hybrid).
type Indexed interface {
	// IndexFile is the index, relative to the work tree.
	IndexFile() string
	// CheckIndex opens the index, or says why it cannot be used.
	CheckIndex(ctx context.Context) error
	IndexStatus(ctx context.Context) (IndexStatus, error)
	RefreshIndex(ctx context.Context) (IndexReport, error)
	// RefreshIndexPaths re-reads just these document paths.
	RefreshIndexPaths(ctx context.Context, paths []string) error
	RebuildIndex(ctx context.Context, progress func(done, total int)) error
	// IndexReader answers queries from the index alone.
	IndexReader(ctx context.Context) (Reader, error)
}

// DocFile is one document file of the file modes.
type DocFile struct {
	ID   string
	Path string // repository-relative
}

// Files is a backend that keeps the milestones as YAML files (file,
// hybrid): it lists and reads them directly.
type Files interface {
	// Scan lists the document files; links and duplicates are problems.
	Scan() ([]DocFile, []Problem, error)
	// LoadAll reads every document.
	LoadAll(ctx context.Context) ([]Record, []Problem, error)
	// ReadFile reads one document file by its repository-relative path.
	ReadFile(rel string) ([]byte, error)
}

// IDChecker is a backend that tells cheaply whether one id is taken (the
// file backends: two lstat calls), instead of listing every id.
type IDChecker interface {
	Taken(ctx context.Context, id string) (bool, error)
}

// PrefixResolver is a reader that turns an id prefix into the one id it
// names by reading only the ids under the prefix.
type PrefixResolver interface {
	ResolveID(ctx context.Context, prefix string) (string, error)
}

// OpenCounter is a backend that counts its open milestones more cheaply
// than its statistics: the automatic backend switch asks after every
// change, which must stay O(changed files).
type OpenCounter interface {
	OpenCount(ctx context.Context) (int, error)
}

// StagedImporter is a database that bulk-loads a store that is not yet
// live (a migration's target, whose undo is Database.DeleteAll) faster
// than Import, by committing the rows before their secondary indexes are
// built (dbstore.Store.ImportNew).
type StagedImporter interface {
	ImportNew(ctx context.Context, recs []Record, progress func(done int)) error
}
