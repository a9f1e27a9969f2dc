package serve

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlotsTakeTurnsAndBoundTheQueue: a freed slot goes to the student
// served longest ago, not to the newest request of one just served; a
// waiter hears its place; a full queue refuses at once.
func TestSlotsTakeTurnsAndBoundTheQueue(t *testing.T) {
	q := newSlots(1, time.Hour)
	q.limit = 3
	if q.acquireAs(t.Context(), "ada", nil) != nil {
		t.Fatal("no free slot")
	}
	got := make(chan string, 3)
	places := make(chan int, 16)
	for i, who := range []string{"bob", "cy", "ada"} {
		go func() {
			var hear func(int)
			if who == "bob" {
				hear = func(p int) { places <- p }
			}
			if q.acquireAs(t.Context(), who, hear) == nil {
				got <- who
			}
		}()
		waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiting) == i+1 })
	}
	if err := q.acquireAs(t.Context(), "dan", nil); err != errBusy {
		t.Errorf("a fourth waiter with room for three: %v, want errBusy", err)
	}
	// One student's share of the queue is bounded too.
	each := newSlots(1, time.Hour)
	each.perWho = 2
	each.acquireAs(t.Context(), "eve", nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for i := range 2 {
		go each.acquireAs(ctx, "eve", nil)
		waitFor(t, func() bool { each.mu.Lock(); defer each.mu.Unlock(); return len(each.waiting) == i+1 })
	}
	if err := each.acquireAs(ctx, "eve", nil); err != errBusy {
		t.Errorf("Eve's third waiting run with room for two each: %v, want errBusy", err)
	}
	go each.acquireAs(ctx, "fay", nil)
	waitFor(t, func() bool { each.mu.Lock(); defer each.mu.Unlock(); return len(each.waiting) == 3 })
	// Bob hears he is behind Cy at the next tick of his wait.
	waitFor(t, func() bool { return len(places) >= 2 })
	var order []string
	for range 3 {
		q.release()
		order = append(order, <-got)
	}
	// Bob and Cy were never served: the newer, Cy, first; Ada, served
	// last, after both though she asked last.
	if strings.Join(order, ",") != "cy,bob,ada" {
		t.Errorf("slots went to %v, want cy,bob,ada", order)
	}
	// Bob heard 1 alone, then 2 once Cy came, at the next tick.
	close(places)
	var heard []int
	for p := range places {
		heard = append(heard, p)
	}
	if len(heard) < 2 || heard[0] != 1 || heard[1] != 2 {
		t.Errorf("Bob heard his places %v, want 1 then 2 (behind Cy)", heard)
	}
}

// sse follows a run stream in the background and reports each event's
// name, with its data, as it comes; a request that fails is an "error".
func sse(t testing.TB, c *http.Client, u string) <-chan [2]string {
	out := make(chan [2]string, 64)
	go func() {
		defer close(out)
		resp, err := c.Get(u)
		if err != nil {
			out <- [2]string{"error", err.Error()}
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			out <- [2]string{"error", resp.Status}
			return
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		name := ""
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = n
			} else if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- [2]string{name, d}
			}
		}
	}()
	return out
}

// TestAClassTakesTurns runs a class on one slot: a student's newer run
// cancels their older one, the freed slot goes to the students who wait
// before the one who was just served, a waiting student's page hears its
// place in the queue, and with the queue full a run is refused at once
// with "busy" instead of waiting.
func TestAClassTakesTurns(t *testing.T) {
	dir := lessonDir(t, map[string]string{"hold": "\tfor i := 0; i < 40; i++ {\n\t\tsum := 0\n\t\tfor j := 0; j < 200000; j++ {\n\t\t\tsum += j\n\t\t}\n\t\t_ = sum\n\t}"})
	class := &Class{Secret: []byte("a course secret of some length"), Students: []string{"Ada", "Bob", "Cy", "Dan"}}
	serve := func(queue int) (*Server, string, []*http.Client, func(int)) {
		s, err := New(Options{Dir: dir, MaxRuns: 1, MaxQueue: queue, FirstByte: -1, CacheBytes: -1, Class: class})
		if err != nil {
			t.Fatal(err)
		}
		base := start(t, s)
		var who []*http.Client
		for _, l := range s.Links(base) {
			who = append(who, signIn(t, l.URL))
		}
		return s, base, who, func(n int) {
			waitFor(t, func() bool { s.runs.mu.Lock(); defer s.runs.mu.Unlock(); return len(s.runs.waiting) == n })
		}
	}
	// With room for one waiting run, the third student is told at once.
	s, base, who, waiting := serve(1)
	held := sse(t, who[0], base+"/api/run/hold?page=a")
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.active == 1 })
	queued := sse(t, who[1], base+"/api/run/hold?page=b")
	waiting(1)
	var cys []string
	for e := range sse(t, who[2], base+"/api/run/hold?page=c") {
		cys = append(cys, e[0]+" "+e[1])
	}
	if last := cys[len(cys)-1]; !strings.HasPrefix(last, "failure") || !strings.Contains(last, "busy") {
		t.Errorf("Cy's run with the queue full: %q, want a failure that says busy", cys)
	}
	for range held {
	}
	for range queued {
	}

	s, base, who, waiting = serve(0)
	ada, bob, cy := who[0], who[1], who[2]
	first := sse(t, ada, base+"/api/run/hold?page=a1")
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.active == 1 })
	var mu sync.Mutex
	var order []string
	follow := func(name string, c *http.Client, page string) <-chan [2]string {
		ev := sse(t, c, base+"/api/run/hold?page="+page)
		mirror := make(chan [2]string, 64)
		go func() {
			defer close(mirror)
			for e := range ev {
				if e[0] == "start" {
					mu.Lock()
					if len(order) == 0 || order[len(order)-1] != name {
						order = append(order, name)
					}
					mu.Unlock()
				}
				mirror <- e
			}
		}()
		return mirror
	}
	b := follow("Bob", bob, "b")
	waiting(1)
	c := follow("Cy", cy, "c")
	waiting(2)
	// Ada changes a value: her first run stops, and her new one waits
	// behind Bob and Cy, who have not had a turn.
	a := follow("Ada", ada, "a2&seed=2")
	for range first {
	}
	var bobs []string
	for _, ch := range []<-chan [2]string{b, c, a} {
		for e := range ch {
			if ch == b {
				bobs = append(bobs, e[0]+" "+e[1])
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 3 || order[2] != "Ada" {
		t.Errorf("runs started in the order %v, want Ada's second after Bob's and Cy's", order)
	}
	if !strings.Contains(strings.Join(bobs, "\n"), `queued {"position":`) {
		t.Errorf("Bob's page never heard its place in the queue: %q", bobs)
	}
}
