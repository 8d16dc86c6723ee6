package migrate

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"

	"github.com/git-milestone/git-milestone/internal/gcstart"
)

// memoryFloor is the soft memory limit of a migration whose live heap is
// small: below it the garbage collector runs as it always does (GOGC).
// A variable for the tests.
var memoryFloor int64 = 256 << 20

// limitMemory bounds the memory of a migration and returns what undoes it.
// Reading 100,000 documents keeps ~200 MB live for a moment; the collector
// lets the heap grow to twice the live heap (GOGC=100) before it runs, so
// the process peaked at ~450 MB. A soft limit of the larger of
// memoryFloor and 1.5 times the live heap, recomputed after every
// collection, makes it collect earlier only when the heap is large: at
// most as often as GOGC=50 would, so a live heap larger than the floor
// raises the limit instead of making the collector run without end. A
// limit or GOGC set in the environment is left alone.
func limitMemory() func() {
	gcstart.End() // the start-up setting would hide the program's limit
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 {
		return func() {} // set by the program: not ours to change
	}
	t := &memoryTuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	if !t.adjust() {
		return func() {}
	}
	runtime.SetFinalizer(&gcSentinel{t: t}, (*gcSentinel).collected)
	return func() {
		t.stopped.Store(true)
		debug.SetMemoryLimit(prev)
	}
}

// memoryTuner sets the memory limit from the live heap.
type memoryTuner struct {
	stopped atomic.Bool
	sample  []metrics.Sample
}

// adjust sets the limit from the live heap the last collection marked;
// false when the runtime does not report it.
func (t *memoryTuner) adjust() bool {
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return false
	}
	live := t.sample[0].Value.Uint64()
	debug.SetMemoryLimit(max(memoryFloor, int64(min(live+live/2, math.MaxInt64/2))))
	return true
}

// gcSentinel is garbage as soon as it is made: its finalizer runs after
// each collection, adjusts the limit and sets itself again (it is alive
// until the next collection), until the tuner stops.
type gcSentinel struct{ t *memoryTuner }

func (s *gcSentinel) collected() {
	if s.t.stopped.Load() {
		return
	}
	s.t.adjust()
	runtime.SetFinalizer(s, (*gcSentinel).collected)
}
