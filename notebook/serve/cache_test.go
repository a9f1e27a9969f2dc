package serve

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// fakeRun is a run the test steers: it sends one update, then waits for
// finish or for its context, and records whether it was stopped.
type fakeRun struct {
	finish  chan struct{}
	started chan struct{}
	mu      sync.Mutex
	stopped bool
	text    string
}

func newFakeRun(text string) *fakeRun {
	return &fakeRun{finish: make(chan struct{}), started: make(chan struct{}), text: text}
}

func (f *fakeRun) run(ctx context.Context, live func(worker.Update)) (*notebook.Result, bool) {
	live(worker.Update{Cell: 0, Item: notebook.Item{Text: "first"}})
	close(f.started)
	select {
	case <-f.finish:
		live(worker.Update{Cell: 0, Item: notebook.Item{Text: "second"}})
		return &notebook.Result{Cells: []notebook.CellResult{{Items: []notebook.Item{{Text: f.text}}}}}, false
	case <-ctx.Done():
		f.mu.Lock()
		f.stopped = true
		f.mu.Unlock()
		return nil, true
	}
}

// collect gathers live updates as a request's handler would.
type collect struct {
	mu    sync.Mutex
	items []string
}

func (c *collect) live(u worker.Update) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = append(c.items, u.Item.Text)
}

func (c *collect) got() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.items, ",")
}

// TestASharedRunOutlivesItsFirstRequester: the request that started a
// run can leave; the run goes on for the one that joined, which got the
// updates sent before it came, then the rest, and the result is kept.
func TestASharedRunOutlivesItsFirstRequester(t *testing.T) {
	c := newResults(1 << 20)
	f := newFakeRun("done")
	first, cancelFirst := context.WithCancel(context.Background())
	firstGot := make(chan *notebook.Result)
	go func() { firstGot <- c.do(first, "k", nil, f.run) }()
	<-f.started
	var late collect
	lateGot := make(chan *notebook.Result)
	go func() { lateGot <- c.do(context.Background(), "k", late.live, f.run) }()
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.flights["k"] != nil && c.flights["k"].waiters == 2
	})
	cancelFirst()
	if res := <-firstGot; res != nil {
		t.Error("a request that left got a result")
	}
	close(f.finish)
	res := <-lateGot
	if res == nil || res.Cells[0].Items[0].Text != "done" {
		t.Fatalf("the request that stayed got %+v", res)
	}
	if f.stopped {
		t.Error("the run stopped when its first requester left")
	}
	if got := late.got(); got != "first,second" {
		t.Errorf("the late request's live updates: %q, want first,second", got)
	}
	if !c.cached("k") || c.runs != 1 || c.served != 1 {
		t.Errorf("cached %v, runs %d, served %d; want true, 1, 1", c.cached("k"), c.runs, c.served)
	}
}

// TestTheLastRequesterToLeaveStopsTheRun: when nobody waits any more the
// run is stopped, nothing is kept, and the next request starts afresh.
func TestTheLastRequesterToLeaveStopsTheRun(t *testing.T) {
	c := newResults(1 << 20)
	f := newFakeRun("done")
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan *notebook.Result)
	go func() { got <- c.do(ctx, "k", nil, f.run) }()
	<-f.started
	cancel()
	if res := <-got; res != nil {
		t.Error("a request that left got a result")
	}
	waitFor(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.stopped })
	if c.cached("k") {
		t.Error("a stopped run was kept")
	}
	again := newFakeRun("again")
	close(again.finish)
	if res := c.do(context.Background(), "k", nil, again.run); res == nil || res.Cells[0].Items[0].Text != "again" || c.runs != 2 {
		t.Errorf("the next request got %+v after %d runs, want its own run (2)", res, c.runs)
	}
}

// TestTheCacheStaysWithinItsBytes: results are dropped least recently
// used first once their estimated size passes the bound; a result larger
// than a quarter of it is not kept at all, nor one whose lesson stopped.
func TestTheCacheStaysWithinItsBytes(t *testing.T) {
	big := func(n int) *notebook.Result {
		return &notebook.Result{Cells: []notebook.CellResult{{Items: []notebook.Item{{Event: &notebook.Event{SVG: make([]byte, n)}}}}}}
	}
	// resultSize's overheads: 1,024 for the result, 64 for the cell, 64
	// for the item and 256 for its event, beside the SVG's 10,000 bytes.
	size := resultSize(big(10000))
	if size != 10000+1024+64+64+256 {
		t.Fatalf("a 10,000-byte figure's result is estimated at %d bytes", size)
	}
	c := newResults(5 * size) // room for five
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.keep(k, big(10000))
	}
	c.order.MoveToFront(c.byKey["a"]) // a is now the most recently used...
	c.keep("f", big(10000))           // ...so b goes
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "f": true} {
		if c.cached(k) != want {
			t.Errorf("after a sixth result, %s cached: %v, want %v", k, !want, want)
		}
	}
	if c.bytes > c.maxBytes || c.order.Len() != 5 {
		t.Errorf("%d bytes in %d results, bound %d", c.bytes, c.order.Len(), c.maxBytes)
	}
	c.keep("huge", big(int(2*size)))
	stopped := big(10)
	stopped.Err = &notebook.RunError{Kind: notebook.StopTimeout}
	c.keep("stopped", stopped)
	if c.cached("huge") || c.cached("stopped") {
		t.Error("kept a result over a quarter of the bound, or one whose lesson stopped")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	// A hang, not a speed, is what this catches: the conditions hold
	// within milliseconds on an idle machine.
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out after 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPagesAreKeptWithTheirRun: a cached run's rendered page is rendered
// once per neighbourhood, counted in the cache's bytes and dropped with
// the run; a run not in the cache is rendered every time.
func TestPagesAreKeptWithTheirRun(t *testing.T) {
	c := newResults(1 << 20)
	renders := 0
	render := func() ([]byte, error) { renders++; return make([]byte, 1000), nil }
	for i := 0; i < 3; i++ {
		c.page("absent", nil, "", render)
	}
	if renders != 3 {
		t.Errorf("a run not in the cache rendered %d times for 3 requests", renders)
	}
	kept, stopped := &notebook.Result{}, &notebook.Result{}
	c.keep("k", kept)
	before := c.bytes
	renders = 0
	for i := 0; i < 3; i++ {
		c.page("k", kept, "a", render)
		c.page("k", kept, "b", render)
	}
	if renders != 2 || c.bytes != before+2000 {
		t.Errorf("two neighbourhoods × three requests rendered %d times and added %d bytes, want 2 and 2000", renders, c.bytes-before)
	}
	// A stopped run of the same key, handed to its waiters but not kept,
	// renders its own page and leaves the kept run's alone.
	stoppedPage := func() ([]byte, error) { return []byte("stopped"), nil }
	if b, _ := c.page("k", stopped, "c", stoppedPage); string(b) != "stopped" || len(c.byKey["k"].Value.(*cachedRun).pages) != 2 {
		t.Error("the page of a run that was not kept was kept with another run of its key")
	}
	c.maxBytes = before // room for the run alone: its pages push it out
	c.evict()
	if c.cached("k") || c.bytes != 0 {
		t.Errorf("over the bound: cached %v, %d bytes", c.cached("k"), c.bytes)
	}
}
