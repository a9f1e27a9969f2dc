package serve

import (
	"context"
	"testing"
	"time"
)

// queue starts waiters named by names, one after another, on a full q,
// and returns a channel that yields each name as it gets its slot.
func queue(t *testing.T, q *slots, names ...string) (<-chan string, []context.CancelFunc) {
	t.Helper()
	got := make(chan string, len(names))
	var cancels []context.CancelFunc
	for i, n := range names {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		go func() {
			if q.acquire(ctx) {
				got <- n
			}
		}()
		waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == i+1 })
	}
	return got, cancels
}

// TestFreedSlotsGoToTheNewest: a freed slot goes to the newest waiting
// request; one that has waited past patience goes first; a request that
// gives up leaves the queue, and a slot handed to it as it gave up is
// passed on, so none is lost.
func TestFreedSlotsGoToTheNewest(t *testing.T) {
	q := newSlots(1, time.Hour)
	if !q.acquire(context.Background()) {
		t.Fatal("no free slot")
	}
	got, cancels := queue(t, q, "a", "b", "c")
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	var order string
	for i := 0; i < 3; i++ {
		q.release()
		order += <-got
	}
	if order != "cba" {
		t.Errorf("slots went to %s, want the newest first: cba", order)
	}

	patient := newSlots(1, 0)
	patient.acquire(context.Background())
	got, cancels = queue(t, patient, "a", "b")
	defer cancels[0]()
	defer cancels[1]()
	time.Sleep(time.Millisecond)
	patient.release()
	if n := <-got; n != "a" {
		t.Errorf("with no patience left the slot went to %s, want the oldest, a", n)
	}

	q = newSlots(1, time.Hour)
	q.acquire(context.Background())
	_, cancels = queue(t, q, "gives up")
	cancels[0]()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 0 })
	q.release()
	if !q.acquire(context.Background()) || q.free != 0 {
		t.Errorf("after a waiter gave up and the slot was freed, %d free", q.free)
	}
	q.release()
	q.mu.Lock()
	free := q.free
	q.mu.Unlock()
	if free != 1 {
		t.Errorf("%d free slots at the end, want 1", free)
	}
}

// TestASlotHandedToAWaiterThatGivesUpIsPassedOn: a waiter's context
// ending just as a slot is handed to it, many times over, loses no slot
// and grants none twice.
func TestASlotHandedToAWaiterThatGivesUpIsPassedOn(t *testing.T) {
	q := newSlots(1, time.Hour)
	for i := 0; i < 2000; i++ {
		q.acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan bool)
		go func() { got <- q.acquire(ctx) }()
		waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == 1 })
		go cancel()
		q.release()
		if <-got {
			q.release() // it got the slot before its context ended
		}
		q.mu.Lock()
		free, waiting := q.free, len(q.waiting)
		q.mu.Unlock()
		if free != 1 || waiting != 0 {
			t.Fatalf("round %d: %d free and %d waiting, want 1 and 0", i, free, waiting)
		}
	}
}
