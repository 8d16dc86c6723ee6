// Package gcstart spares a short command the garbage collector: most
// commands allocate a few megabytes and exit, and collecting them (the
// first collection comes at a 4 MB heap) costs a tenth of a query's CPU
// while freeing nothing the process still needs. The collector stays off
// until the heap reaches a limit; from the first collection on, it runs
// as it always does.
package gcstart

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync/atomic"
)

// deferring is true while Defer's setting is in force. The collector's
// settings belong to the process, so this does too.
var deferring atomic.Bool

// Defer turns the collector off until the runtime's memory reaches limit
// bytes. The collection that limit triggers ends it: GOGC=100 and no
// memory limit again, as if Defer had not been called. GOGC or GOMEMLIMIT
// in the environment leaves the collector as they say.
func Defer(limit int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || !deferring.CompareAndSwap(false, true) {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(limit)
	// Garbage at once: its finalizer runs after the first collection.
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) { End() })
}

// End restores the collector's usual settings if Defer's are still in
// force, for work that manages memory itself (a migration of 100,000
// milestones sets its own limit).
func End() {
	if deferring.CompareAndSwap(true, false) {
		debug.SetMemoryLimit(math.MaxInt64)
		debug.SetGCPercent(100)
	}
}

// sentinel holds a pointer so that it is never combined with other tiny
// objects (whose lifetime would then decide when its finalizer runs).
type sentinel struct{ _ *int }
