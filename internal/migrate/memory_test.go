package migrate

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestLimitMemory(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Skipf("the test process has a memory limit (%d)", l)
	}
	floor := memoryFloor
	defer func() { memoryFloor = floor }()
	memoryFloor = 4 << 20 // a live heap above it is easy to make

	restore := limitMemory()
	// A live heap larger than the floor raises the limit after the next
	// collections instead of keeping the collector running.
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	var limit int64
	for i := 0; i < 100; i++ {
		runtime.GC()
		runtime.Gosched()
		if limit = debug.SetMemoryLimit(-1); limit >= 64<<20 {
			break
		}
	}
	if limit < 64<<20+32<<20 {
		t.Errorf("limit %d MiB with 64 MiB live, want at least 1.5 times the live heap", limit>>20)
	}
	runtime.KeepAlive(live)
	restore()
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("limit %d left after the migration", l)
	}

	// A limit the user set is left alone.
	t.Setenv("GOMEMLIMIT", "1GiB")
	restore = limitMemory()
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("limit %d set though GOMEMLIMIT is", l)
	}
	restore()
}
