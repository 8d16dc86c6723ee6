// Package storage defines the one interface every backend (file, hybrid,
// database) implements, and the query semantics they share.
package storage

import (
	"context"
	"errors"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Errors a backend returns; test with errors.Is / errors.As.
var (
	// ErrExists is returned by Tx.Create when the id is taken.
	ErrExists = errors.New("milestone already exists")
	// ErrConflict is returned when a concurrent writer changed the data and
	// retrying did not help.
	ErrConflict = errors.New("concurrent update conflict")
)

// Record is one stored milestone.
type Record struct {
	Milestone milestone.Milestone
	// Source is the YAML document exactly as stored (comments, key order and
	// unknown keys included). Every backend keeps it byte for byte.
	Source []byte
	// Path is the repository-relative file path (".milestones/active/x.yaml")
	// in file and hybrid mode, empty in database mode.
	Path string
}

// Problem is a document that could not be read. Queries skip it and
// return it so the caller can warn; it is never skipped silently.
type Problem struct {
	Path string // file path, or "id" in database mode
	Err  error  // names file:line:col where it can
}

func (p Problem) Error() string { return p.Err.Error() }

// Query selects milestones. The zero Query selects every open milestone, by id.
type Query struct {
	Statuses   []milestone.Status   // any of these; empty means open ones (or all with All)
	All        bool                 // include closed milestones when Statuses is empty
	Priorities []milestone.Priority // any of these
	Labels     []string             // all of these
	Owner      string
	DueBefore  string // YYYY-MM-DD, exclusive
	Overdue    bool   // open and due before Today
	Today      string // YYYY-MM-DD, used by Overdue
	Text       string // search query: every term in the id, title, description, labels or owner (see SearchText)
	Sort       string // one of SortKeys; "" is "id"
	Limit      int    // 0 means no limit
	// Brief asks only for what a table of milestones shows: a backend may
	// then leave out each record's Description, unknown keys (Extra) and
	// Source, and skip reading them. It selects the same milestones, in
	// the same order; a backend may ignore it and return whole records.
	Brief bool
}

// Reader answers queries.
type Reader interface {
	// Get returns the milestone with exactly this id, or a
	// *milestone.NotFoundError.
	Get(ctx context.Context, id string) (Record, error)
	// IDs returns every milestone id, open and closed, for prefix resolution.
	IDs(ctx context.Context) ([]string, error)
	// List returns the milestones q selects, filtered, sorted and limited as
	// Match, Less and Limit define, plus the documents it could not read.
	List(ctx context.Context, q Query) ([]Record, []Problem, error)
}

// Tx is the view of the store inside one Update. Reads see the state under
// the update's locks, including earlier writes of the same Tx.
type Tx interface {
	Get(id string) (Record, error)
	// All returns every milestone (for reference rewrites and uniqueness).
	All() ([]Record, []Problem, error)
	// Put writes a milestone: src is its full YAML document and m its parsed
	// form (m.ID names it; m.Status decides the folder in file modes).
	Put(m milestone.Milestone, src []byte) error
	// Create is Put that fails with ErrExists if the id is taken.
	Create(m milestone.Milestone, src []byte) error
	// Delete removes a milestone; a *milestone.NotFoundError if absent.
	Delete(id string) error
}

// UpdateOptions describe one mutation.
type UpdateOptions struct {
	// Lock names the milestones to lock (per-milestone locks) for the update.
	Lock []string
	// Message is the commit message (file modes) or event detail.
	Message string
	// NoCommit writes the work tree only (file modes).
	NoCommit bool
	// Sign asks for a signed commit (file modes): "" follows git's
	// commit.gpgSign, "-" never signs, "*" signs with the configured key,
	// anything else is the key id to sign with.
	Sign string
	// Signoff adds the committer's Signed-off-by trailer (file modes).
	Signoff bool
}

// Result says what an Update did.
type Result struct {
	Commit   string // new commit id in file modes, "" otherwise
	Branch   string // branch moved, "" when HEAD was detached
	Detached bool   // the commit was made on a detached HEAD
}

// Backend is a milestone store.
type Backend interface {
	Reader
	// Update runs fn under the store's locks and applies its writes
	// atomically (one commit in file modes, one transaction in database
	// mode). fn may be called again if a concurrent writer forced a retry,
	// so it must only read through tx. If fn returns an error nothing is
	// written.
	Update(ctx context.Context, opts UpdateOptions, fn func(tx Tx) error) (Result, error)
	// Name is "file", "hybrid" or "database".
	Name() string
	// Close releases connections and files.
	Close() error
}
