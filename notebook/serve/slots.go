package serve

import (
	"context"
	"sync"
	"time"
)

// slots hands out the server's run slots. When all are taken, a freed
// slot goes to the newest request waiting, unless one has waited longer
// than patience, which then goes first (the oldest of those first).
//
// Why newest first: in a class, a student who changes a slider again
// before the last run started no longer wants it (the page's newer run
// cancels it), so under a load the machine cannot keep up with, a queue
// served oldest first hands every slot to a run that is about to be
// abandoned, and nobody sees a result: the class load test measured 180
// of 238 changes replaced before they finished. Served newest first, the
// latest changes run while their students still wait for them; patience
// keeps a student who changed one value and waits from being passed over
// for ever.
type slots struct {
	mu       sync.Mutex
	free     int
	waiting  []*waiter // in arrival order
	patience time.Duration
}

type waiter struct {
	since   time.Time
	granted chan struct{} // closed when the slot is handed over
}

func newSlots(n int, patience time.Duration) *slots {
	return &slots{free: n, patience: patience}
}

// acquire waits for a slot until ctx ends, and reports whether it got one.
func (q *slots) acquire(ctx context.Context) bool {
	q.mu.Lock()
	if q.free > 0 {
		q.free--
		q.mu.Unlock()
		return true
	}
	w := &waiter{since: time.Now(), granted: make(chan struct{})}
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
	select {
	case <-w.granted:
		return true
	case <-ctx.Done():
		q.mu.Lock()
		defer q.mu.Unlock()
		for i, x := range q.waiting {
			if x == w {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				return false
			}
		}
		// Handed over as ctx ended: pass it on.
		q.releaseLocked()
		return false
	}
}

// release frees a slot: to a waiting request, or for the next.
func (q *slots) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.releaseLocked()
}

func (q *slots) releaseLocked() {
	if len(q.waiting) == 0 {
		q.free++
		return
	}
	i := len(q.waiting) - 1 // the newest
	if time.Since(q.waiting[0].since) > q.patience {
		i = 0 // the oldest has waited long enough
	}
	w := q.waiting[i]
	q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
	close(w.granted)
}
