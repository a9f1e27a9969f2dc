package serve

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"sync"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// defaultCacheRuns is Options.CacheRuns when it is zero: a result holds a
// lesson's text and figures (tens to a few hundred kilobytes), so 64 of
// them stay within tens of megabytes.
const defaultCacheRuns = 64

// results keeps finished runs by everything that determines them (the
// lesson's source, the parameters, the seed and the student), least
// recently used first out, and lets a request for a run already under way
// wait for it rather than start its own: thirty students loading the same
// lesson at the same settings cost one run.
type results struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cachedRun, the most recently used first
	byKey   map[string]*list.Element
	flights map[string]*flight
	// runs counts the runs started through the cache and served the
	// requests answered without one, for the tests and the log.
	runs, served int
}

type cachedRun struct {
	key string
	res *notebook.Result
}

// flight is a run under way that other requests wait for. res is nil
// when the run was cancelled: a waiting request then runs it itself.
type flight struct {
	done chan struct{}
	res  *notebook.Result
}

func newResults(max int) *results {
	return &results{max: max, order: list.New(), byKey: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// runKey is what determines a run of l for request r.
func runKey(l *notebook.Lesson, r request) string {
	keys := make([]string, 0, len(r.set))
	for k := range r.set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var set [][2]string
	for _, k := range keys {
		set = append(set, [2]string{k, r.set[k]})
	}
	b, _ := json.Marshal(struct {
		File    string
		Source  []byte
		Set     [][2]string
		Seed    uint64
		Variant any
	}{l.File, l.Source, set, r.seed, r.variant})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// do returns the result for key: from the cache, from a run under way, or
// from run, which it calls with no other run of key under way. cancelled
// reports whether run's result came from a run that was stopped (it is
// neither kept nor handed to the requests waiting for it). A run whose
// lesson stopped is handed to those waiting but not kept: a time limit
// can stop a run on a busy machine that finishes on an idle one.
func (c *results) do(ctx context.Context, key string, run func() (res *notebook.Result, cancelled bool)) *notebook.Result {
	for {
		c.mu.Lock()
		if e, ok := c.byKey[key]; ok {
			c.order.MoveToFront(e)
			c.served++
			c.mu.Unlock()
			return e.Value.(*cachedRun).res
		}
		if f, ok := c.flights[key]; ok {
			c.mu.Unlock()
			select {
			case <-f.done:
				if f.res != nil {
					c.mu.Lock()
					c.served++
					c.mu.Unlock()
					return f.res
				}
				continue // the run was cancelled: try again
			case <-ctx.Done():
				return nil
			}
		}
		f := &flight{done: make(chan struct{})}
		c.flights[key] = f
		c.runs++
		c.mu.Unlock()
		return c.lead(key, f, run)
	}
}

// lead makes the run of flight f, keeps its result as do says, and lets
// the requests waiting for it go, even if run panics.
func (c *results) lead(key string, f *flight, run func() (*notebook.Result, bool)) (res *notebook.Result) {
	cancelled := true
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.flights, key)
		if !cancelled && res != nil {
			f.res = res
			if res.Err == nil && c.max > 0 {
				c.byKey[key] = c.order.PushFront(&cachedRun{key: key, res: res})
				for c.order.Len() > c.max {
					old := c.order.Remove(c.order.Back()).(*cachedRun)
					delete(c.byKey, old.key)
				}
			}
		}
		close(f.done)
	}()
	res, cancelled = run()
	return res
}
