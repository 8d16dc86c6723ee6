package migrate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// Steps of a migration, in order: Pipeline.Step is called after each.
const (
	StepRead   = 1 // the source was read (the journal is written)
	StepBackup = 2 // the backup was written
	StepCopy   = 3 // the target holds the copy
	StepVerify = 4 // the copy was verified
	StepSwitch = 5 // the switch was committed
)

// Mover is one direction of a migration (into a database, out of one,
// between the two file modes): what Run orders.
type Mover interface {
	// Copy puts recs into the target, replacing what an interrupted
	// attempt left there. The source stays the live store.
	Copy(ctx context.Context, recs []storage.Record) error
	// ReadBack passes what the target holds to v, to be verified against
	// the source: in pages (v.Check), or as a store v reads (v.Read).
	ReadBack(ctx context.Context, v *Verifier) error
	// Undo removes the copy after a failure before the switch
	// (rollback_on_failure).
	Undo(ctx context.Context)
	// Switch makes the target the live store: one commit. On error no
	// commit was made.
	Switch(ctx context.Context) (storage.Result, error)
	// After does what follows the switch (checks, clean-up of the source).
	After(ctx context.Context) error
	// Revert undoes the switch commit after After failed
	// (rollback_on_failure); false when the move has nothing to revert with.
	Revert(ctx context.Context) (bool, error)
}

// Pipeline is one migration to run.
type Pipeline struct {
	Mover Mover
	// Records is the source, read under the migration lock. Run releases
	// it once copied (it keeps fingerprints to verify the copy): the
	// caller should not hold it either.
	Records []storage.Record
	// Backup writes the backup of the records it is given; nil when there
	// is none (backup_before_migration: false).
	Backup func(recs []storage.Record) error
	// Rollback is migration.rollback_on_failure.
	Rollback bool
	// Journal is written to JournalPath before the first step and removed
	// after the last, so that a killed migration can be finished or undone
	// (Journal.Recovery).
	Journal     Journal
	JournalPath string
	// Step, when set, is called after each step (StepRead...StepSwitch).
	Step func(step int)
}

// FailedError is a migration that failed before its switch: the source is
// still the live store (and the copy was undone when Rolled).
type FailedError struct {
	Err    error
	Rolled bool
}

func (e *FailedError) Error() string { return e.Err.Error() }
func (e *FailedError) Unwrap() error { return e.Err }

// SwitchedError is a migration whose switch landed, and a step after it
// failed. Reverted: a second commit made the source live again.
type SwitchedError struct {
	Err       error
	Reverted  bool
	RevertErr error
}

func (e *SwitchedError) Error() string {
	if e.RevertErr != nil {
		return fmt.Sprintf("%v (reverting the switch failed too: %v)", e.Err, e.RevertErr)
	}
	return e.Err.Error()
}
func (e *SwitchedError) Unwrap() error { return e.Err }

// Run runs a migration: journal, backup, copy, verify, switch, the steps
// after it; on a failure before the switch the copy is undone
// (rollback_on_failure) and the source stays live; on a failure after it
// the switch is reverted (rollback_on_failure). The result is the switch
// commit. Errors are *FailedError or *SwitchedError, or the journal's.
func Run(ctx context.Context, p Pipeline) (storage.Result, error) {
	step := func(n int) {
		if p.Step != nil {
			p.Step(n)
		}
	}
	if err := p.Journal.Write(p.JournalPath); err != nil {
		return storage.Result{}, err
	}
	defer os.Remove(p.JournalPath)
	fail := func(err error, undo bool) (storage.Result, error) {
		if undo && p.Rollback {
			p.Mover.Undo(ctx)
		}
		return storage.Result{}, &FailedError{Err: err, Rolled: p.Rollback}
	}
	step(StepRead)
	verifier := NewVerifier(p.Records)
	if p.Backup != nil {
		if err := p.Backup(p.Records); err != nil {
			return fail(err, false)
		}
	}
	step(StepBackup)
	// From here on only the mover holds the records, for as long as it
	// needs them: at 100,000 milestones they are ~100 MB.
	recs := p.Records
	p.Records = nil
	if err := p.Mover.Copy(ctx, recs); err != nil {
		return fail(err, true)
	}
	step(StepCopy)
	err := p.Mover.ReadBack(ctx, verifier)
	if err == nil {
		err = verifier.Err()
	}
	if err != nil {
		return fail(err, true)
	}
	step(StepVerify)
	res, err := p.Mover.Switch(ctx)
	if err != nil {
		return fail(err, true)
	}
	step(StepSwitch)
	if err := p.Mover.After(ctx); err != nil {
		se := &SwitchedError{Err: err}
		if p.Rollback {
			ok, rerr := p.Mover.Revert(ctx)
			se.Reverted, se.RevertErr = ok && rerr == nil, rerr
		}
		return res, se
	}
	return res, nil
}

// IsFailed reports whether err is a failure before the switch.
func IsFailed(err error) bool {
	var f *FailedError
	return errors.As(err, &f)
}
