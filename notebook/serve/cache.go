package serve

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log"
	"sort"
	"sync"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// defaultCacheBytes is Options.CacheBytes when it is zero. A lesson's
// result (its text, tables and figures as SVG and PNG) is tens of
// kilobytes to a few megabytes, so this keeps a classroom's worth of
// settings: every lesson at its defaults and a few hundred variations.
const defaultCacheBytes = 256 << 20

// results keeps finished runs by everything that determines them (the
// lesson's source, the parameters, the seed and the student), least
// recently used first out within a memory bound, and lets a request for a
// run already under way join it rather than start its own: thirty
// students loading the same lesson at the same settings cost one run.
//
// A run under way (a flight) belongs to no request. It runs under its own
// context, counts the requests waiting for it, and stops only when the
// last of them goes away, so the student who happened to ask first can
// close the tab without taking the run from the other twenty-nine. Each
// request waiting for it gets its live updates, the ones before it joined
// first.
type results struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // of *cachedRun, the most recently used first
	byKey    map[string]*list.Element
	flights  map[string]*flight
	// runs counts the runs started through the cache and served the
	// requests answered without one, for the tests and the log.
	runs, served int
}

type cachedRun struct {
	key  string
	res  *notebook.Result
	size int64
	// pages are the run's rendered pages, by what else a page shows
	// (its neighbours in the course), counted in size.
	pages map[string][]byte
}

// flight is a run under way. Its fields past done are guarded by
// results.mu.
type flight struct {
	cancel context.CancelFunc
	done   chan struct{}
	// res is the run's result once done is closed; nil when the run was
	// cancelled or failed.
	res *notebook.Result

	waiters int
	updates []worker.Update // every live update so far, for late joiners
	subs    map[*func(worker.Update)]bool
}

// runner makes a run under ctx, sending its live updates to live. It
// reports cancelled when the run was stopped, so its result is neither
// kept nor handed to anyone.
type runner func(ctx context.Context, live func(worker.Update)) (res *notebook.Result, cancelled bool)

func newResults(maxBytes int64) *results {
	return &results{maxBytes: maxBytes, order: list.New(), byKey: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// runKey is what determines a run of l for request r. Parameters are
// keyed by their canonical values with the defaults filled in, so the
// first page load (no parameters) and the live page's stream (every
// control's value) find the same run.
func runKey(l *notebook.Lesson, r request) string {
	set := map[string]string{}
	for k, v := range r.set {
		set[k] = v
	}
	for _, p := range l.Params {
		if v, ok := set[p.Name]; ok {
			if c, err := p.Parse(v); err == nil {
				set[p.Name] = c
			}
		} else if p.Default != "" {
			if c, err := p.Parse(p.Default); err == nil {
				set[p.Name] = c
			}
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs [][2]string
	for _, k := range keys {
		pairs = append(pairs, [2]string{k, set[k]})
	}
	b, _ := json.Marshal(struct {
		File    string
		Source  []byte
		Set     [][2]string
		Seed    uint64
		Variant any
	}{l.File, l.Source, pairs, r.seed, r.variant})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// resultSize estimates the memory a result holds: its text, tables and
// figures, plus a little per item.
func resultSize(res *notebook.Result) int64 {
	n := int64(1024)
	for _, c := range res.Cells {
		n += int64(len(c.Err)) + 64
		for _, it := range c.Items {
			n += int64(len(it.Text)) + 64
			if e := it.Event; e != nil {
				n += int64(len(e.Text)+len(e.SVG)+len(e.PNG)+len(e.Hint)+len(e.Explanation)+len(e.Alt)) + 256
				for _, o := range e.Options {
					n += int64(len(o)) + 16
				}
				for _, h := range e.Headers {
					n += int64(len(h)) + 16
				}
				for _, row := range e.Rows {
					for _, v := range row {
						n += int64(len(v)) + 16
					}
				}
			}
		}
	}
	return n
}

// do returns the result for key: from the cache, from a run under way, or
// from a new run made by run. live, if not nil, gets the run's updates
// (none when the result comes from the cache); it must not block. do
// returns nil when ctx ends first or the run failed.
//
// A run whose lesson stopped (a time limit, a panic in the lesson) is
// handed to those waiting but not kept: a time limit can stop a run on a
// busy machine that finishes on an idle one.
func (c *results) do(ctx context.Context, key string, live func(worker.Update), run runner) *notebook.Result {
	for {
		c.mu.Lock()
		if e, ok := c.byKey[key]; ok {
			c.order.MoveToFront(e)
			c.served++
			c.mu.Unlock()
			return e.Value.(*cachedRun).res
		}
		f, joined := c.flights[key]
		if !joined {
			fctx, cancel := context.WithCancel(context.Background())
			f = &flight{cancel: cancel, done: make(chan struct{}), subs: map[*func(worker.Update)]bool{}}
			c.flights[key] = f
			c.runs++
			go c.lead(fctx, key, f, run)
		}
		f.waiters++
		var sub *func(worker.Update)
		if live != nil {
			for _, u := range f.updates {
				live(u)
			}
			sub = &live
			f.subs[sub] = true
		}
		c.mu.Unlock()

		select {
		case <-f.done:
			c.mu.Lock()
			delete(f.subs, sub)
			if f.res != nil && joined {
				c.served++
			}
			c.mu.Unlock()
			if f.res == nil && ctx.Err() == nil && joined {
				continue // the run failed for its first requester: make our own
			}
			return f.res
		case <-ctx.Done():
			c.leave(key, f, sub)
			return nil
		}
	}
}

// leave takes a request off flight f, and stops the run when no request
// waits for it any more.
func (c *results) leave(key string, f *flight, sub *func(worker.Update)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(f.subs, sub)
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if c.flights[key] == f {
			delete(c.flights, key) // the next request starts afresh
		}
	}
}

// lead makes the run of flight f, keeps its result as do says, and lets
// the requests waiting for it go, even if the run panics.
func (c *results) lead(ctx context.Context, key string, f *flight, run runner) {
	var res *notebook.Result
	cancelled := true
	defer func() {
		if p := recover(); p != nil {
			log.Printf("rlhfsim serve: a run panicked: %v", p)
		}
		f.cancel()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		if !cancelled && res != nil {
			f.res = res
			c.keep(key, res)
		}
		f.updates = nil
		close(f.done)
	}()
	res, cancelled = run(ctx, func(u worker.Update) {
		c.mu.Lock()
		defer c.mu.Unlock()
		f.updates = append(f.updates, u)
		for s := range f.subs {
			(*s)(u)
		}
	})
}

// keep caches a finished run unless its lesson stopped, dropping the
// least recently used runs to stay within the bound. c.mu is held.
func (c *results) keep(key string, res *notebook.Result) {
	size := resultSize(res)
	if res.Err != nil || c.maxBytes <= 0 || size > c.maxBytes/4 {
		return
	}
	if e, ok := c.byKey[key]; ok {
		c.bytes -= e.Value.(*cachedRun).size
		c.order.Remove(e)
	}
	c.byKey[key] = c.order.PushFront(&cachedRun{key: key, res: res, size: size})
	c.bytes += size
	c.evict()
}

// page returns the page of key's run that render writes, kept with the
// run while it is cached: rendering (the prose, the highlighted code,
// the figures) is most of what a request the cache answers costs, and
// thirty students asking for the same settings get the same page.
//
// A page is kept only with the very result it shows: a run stopped by a
// time limit is handed to its waiters but not kept, and the page such a
// waiter renders must not be kept with the finished run of the same key
// that came later.
func (c *results) page(key string, res *notebook.Result, extra string, render func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.byKey[key]
	ok = ok && e.Value.(*cachedRun).res == res
	if ok {
		if b, ok := e.Value.(*cachedRun).pages[extra]; ok {
			c.mu.Unlock()
			return b, nil
		}
	}
	c.mu.Unlock()
	b, err := render()
	if err != nil || !ok {
		return b, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok && e.Value.(*cachedRun).res == res && int64(len(b)) < c.maxBytes/8 {
		cr := e.Value.(*cachedRun)
		if cr.pages == nil {
			cr.pages = map[string][]byte{}
		}
		if _, dup := cr.pages[extra]; !dup {
			cr.pages[extra] = b
			cr.size += int64(len(b))
			c.bytes += int64(len(b))
			c.evict()
		}
	}
	return b, nil
}

// evict drops the least recently used runs until the cache is within its
// bound. c.mu is held.
func (c *results) evict() {
	for c.bytes > c.maxBytes && c.order.Len() > 0 {
		old := c.order.Remove(c.order.Back()).(*cachedRun)
		delete(c.byKey, old.key)
		c.bytes -= old.size
	}
}

// cached reports whether key's run is in the cache.
func (c *results) cached(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byKey[key]
	return ok
}
