package serve

import (
	"context"
	"errors"
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
	// limit bounds the queue: a request that finds limit waiting is
	// refused (errBusy) rather than queued for minutes; zero means no
	// bound.
	limit int
	// perWho bounds each named student's waiting runs the same way;
	// zero means no bound. Runs of no one in particular ("") share limit.
	perWho int
	// served is when each student last got a slot, for the round-robin.
	served map[string]time.Time
}

// errBusy refuses a run when the queue is full.
var errBusy = errors.New("the server is busy")

type waiter struct {
	since   time.Time
	who     string        // whose run: a class member's name, or ""
	granted chan struct{} // closed when the slot is handed over
}

func newSlots(n int, patience time.Duration) *slots {
	return &slots{free: n, patience: patience, served: map[string]time.Time{}}
}

// acquire waits for a slot until ctx ends, and reports whether it got one.
func (q *slots) acquire(ctx context.Context) bool {
	return q.acquireAs(ctx, "", nil) == nil
}

// acquireAs waits for a slot for who's run until ctx ends; while it
// waits, onWait (if not nil) hears its place in the queue, 1 first, each
// time it changes. The error is ctx's, or errBusy when the queue is full.
func (q *slots) acquireAs(ctx context.Context, who string, onWait func(position int)) error {
	q.mu.Lock()
	if q.free > 0 {
		q.free--
		q.served[who] = time.Now()
		q.mu.Unlock()
		return nil
	}
	if q.limit > 0 && len(q.waiting) >= q.limit {
		q.mu.Unlock()
		return errBusy
	}
	if q.perWho > 0 && who != "" {
		n := 0
		for _, w := range q.waiting {
			if w.who == who {
				n++
			}
		}
		if n >= q.perWho {
			q.mu.Unlock()
			return errBusy
		}
	}
	w := &waiter{since: time.Now(), who: who, granted: make(chan struct{})}
	q.waiting = append(q.waiting, w)
	q.mu.Unlock()
	var tick <-chan time.Time
	last := 0
	tell := func() {}
	if onWait != nil {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		tick = t.C
		tell = func() {
			if p := q.position(w); p > 0 && p != last {
				last = p
				onWait(p)
			}
		}
		tell()
	}
	for {
		select {
		case <-w.granted:
			return nil
		case <-tick:
			tell()
		case <-ctx.Done():
			q.mu.Lock()
			defer q.mu.Unlock()
			for i, x := range q.waiting {
				if x == w {
					q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
					return ctx.Err()
				}
			}
			// Handed over as ctx ended: pass it on.
			q.releaseLocked()
			return ctx.Err()
		}
	}
}

// release frees a slot: to a waiting request, or for the next.
func (q *slots) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.releaseLocked()
}

// before says whether a goes before b: one that has waited past
// patience first (the oldest of those first); then the run of the
// student served longest ago (round-robin: a student who changes values
// fast does not take every slot from one who waits); then the newest.
func (q *slots) before(a, b *waiter, now time.Time) bool {
	pa, pb := now.Sub(a.since) > q.patience, now.Sub(b.since) > q.patience
	switch {
	case pa != pb:
		return pa
	case pa:
		return a.since.Before(b.since)
	}
	if sa, sb := q.served[a.who], q.served[b.who]; !sa.Equal(sb) {
		return sa.Before(sb)
	}
	return a.since.After(b.since)
}

// position is w's place in the queue, 1 next; 0 when it left.
func (q *slots) position(w *waiter) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	in, ahead := false, 0
	for _, x := range q.waiting {
		if x == w {
			in = true
		} else if q.before(x, w, now) {
			ahead++
		}
	}
	if !in {
		return 0
	}
	return ahead + 1
}

func (q *slots) releaseLocked() {
	if len(q.waiting) == 0 {
		q.free++
		return
	}
	now := time.Now()
	i := 0
	for j := range q.waiting {
		if q.before(q.waiting[j], q.waiting[i], now) {
			i = j
		}
	}
	w := q.waiting[i]
	q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
	q.served[w.who] = now
	if len(q.served) > 100000 {
		q.served = map[string]time.Time{}
	}
	close(w.granted)
}
