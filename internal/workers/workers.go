package workers

import (
	"runtime"
	"sync"
)

// Each calls job(i) for i in [0, n) on the given number of goroutines
// (zero or less means runtime.NumCPU). progress, if not nil, is called
// after each job, one call at a time, with the number finished so far.
// After a job fails no new job starts; Each returns the lowest index that
// failed and its error, or -1 and nil.
func Each(n, workers int, job func(i int) error, progress func(done, total int)) (int, error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, failed := 0, false
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = job(i)
				mu.Lock()
				done++
				failed = failed || errs[i] != nil
				if progress != nil {
					progress(done, n)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := failed
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return i, err
		}
	}
	return -1, nil
}
