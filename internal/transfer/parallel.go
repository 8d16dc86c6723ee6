package transfer

import (
	"runtime"
	"sync"
)

// eachParallel calls fn(i) for every i in [0, n), on every CPU, and
// returns the error of the lowest i that failed: what a loop in order that
// stops at its first error would return. Calls are independent: fn writes
// only what belongs to its i.
func eachParallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), 1+n/256)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
