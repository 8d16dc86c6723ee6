package gcstart

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// The collector is off until the limit, and the first collection hands it
// back to its usual settings.
func TestDeferUntilFirstCollection(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	Defer(1 << 40)
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent while deferring = %d, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("memory limit while deferring = %d, want %d", got, int64(1<<40))
	}
	runtime.GC()
	deadline := time.Now().Add(10 * time.Second)
	for deferring.Load() {
		if time.Now().After(deadline) {
			t.Fatal("still deferring 10 s after a collection: the sentinel's finalizer did not run")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Errorf("GC percent after the first collection = %d, want 100", got)
	}
	debug.SetGCPercent(100)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit after the first collection = %d, want none", got)
	}
}

// End hands the collector back at once, and only once.
func TestEnd(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	Defer(1 << 40)
	End()
	if deferring.Load() {
		t.Fatal("End left Defer's settings in force")
	}
	if got := debug.SetGCPercent(-1); got != 100 {
		t.Errorf("GC percent after End = %d, want 100", got)
	}
	debug.SetGCPercent(55)
	End() // no longer deferring: leaves a later setting alone
	if got := debug.SetGCPercent(100); got != 55 {
		t.Errorf("a second End changed the GC percent to %d", got)
	}
}

// The environment's settings win.
func TestEnvironmentWins(t *testing.T) {
	t.Setenv("GOGC", "200")
	Defer(1 << 40)
	if deferring.Load() {
		End()
		t.Fatal("Defer took over although GOGC is set")
	}
}
