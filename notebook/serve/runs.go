package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// acquire waits for a run slot until ctx ends (see slots for the order).
func (s *Server) acquire(ctx context.Context) bool { return s.runs.acquire(ctx) }

func (s *Server) release() { s.runs.release() }

// claim makes ctx's run the only one of page, cancelling the one before,
// and returns what unclaim needs to let it go.
func (s *Server) claim(page string, cancel context.CancelFunc) *pageRun {
	if page == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.pages[page]; ok {
		old.cancel()
	}
	if len(s.pages) >= maxPages+len(s.members) {
		for k, c := range s.pages {
			c.cancel()
			delete(s.pages, k)
			break
		}
	}
	pr := &pageRun{cancel: cancel}
	s.pages[page] = pr
	return pr
}

// pageRun is the run a page claimed.
type pageRun struct{ cancel context.CancelFunc }

// unclaim lets page's run go, unless a newer run of the page claimed it
// since: the old stream's handler ends after the new one begins.
func (s *Server) unclaim(page string, pr *pageRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pages[page] == pr {
		delete(s.pages, page)
	}
}

// exec returns a lesson's run for a request: a finished one from the
// cache, the one under way for an identical request (live then gets its
// updates so far, then the rest), or a new one in a worker, within the
// run limit. A user's new run stops the prewarming run, if any.
func (s *Server) exec(ctx context.Context, l *notebook.Lesson, r request, live func(worker.Update)) (*notebook.Result, error) {
	var busy atomic.Bool
	res := s.cache.do(ctx, runKey(l, r), live, func(fctx context.Context, live func(worker.Update)) (*notebook.Result, bool) {
		if !r.prewarm {
			s.yieldPrewarm()
		}
		res, err := s.start(fctx, l, r, live)
		if errors.Is(err, errBusy) {
			busy.Store(true)
		}
		return res, err != nil || fctx.Err() != nil
	})
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if busy.Load() {
		return nil, errBusy
	}
	if res == nil {
		return nil, errors.New("the run failed; load the page again")
	}
	s.recordAsked(l, r, res)
	return res, nil
}

// start runs a lesson in a worker, within the run limit.
func (s *Server) start(ctx context.Context, l *notebook.Lesson, r request, live func(worker.Update)) (*notebook.Result, error) {
	// A student's run counts from the moment it waits for a slot, so
	// prewarming does not start while students queue.
	if !r.prewarm {
		s.mu.Lock()
		s.users++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.users--
			s.mu.Unlock()
		}()
	}
	if err := s.runs.acquireAs(ctx, r.who(), r.queued); err != nil {
		return nil, err
	}
	defer s.release()
	s.mu.Lock()
	s.active++
	s.peak = max(s.peak, s.active)
	if r.prewarm {
		s.prewarmed++
	} else {
		s.started++
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	return worker.Run(ctx, l, worker.Options{Set: r.set, Seed: r.seed, Variant: r.variant, Limits: s.opt.Limits, Live: live}), nil
}

// defaultLinger is how long the run of a page sent without its outputs
// goes on for the page's stream to take over.
const defaultLinger = 10 * time.Second

// defaultQuiet is how long the server must have had no student's run
// before prewarming starts one.
const defaultQuiet = time.Second

// runOrSkeleton runs a lesson for its page, waiting at most
// Options.FirstByte. A run that takes longer comes back as a Result with
// no cells, and goes on for a while (linger) with nobody waiting: the
// page's script asks for the same run through the stream, joins it, gets
// the cells finished so far and then the rest, so the run is not started
// twice; a page that never asks (no script) lets it stop. The error is
// the page's context's when the browser went away, or says the run
// failed.
func (s *Server) runOrSkeleton(page context.Context, l *notebook.Lesson, req request) (*notebook.Result, error) {
	wait := s.opt.FirstByte
	if wait == 0 {
		wait = firstByte
	}
	if wait < 0 {
		return s.exec(page, l, req, nil)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(page))
	type outcome struct {
		res *notebook.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := s.exec(ctx, l, req, nil)
		done <- outcome{res, err}
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case o := <-done:
		cancel()
		return o.res, o.err
	case <-timer.C:
		time.AfterFunc(s.linger, cancel)
		return &notebook.Result{Lesson: l}, page.Err()
	case <-page.Done():
		cancel()
		return nil, page.Err()
	}
}

// Prewarm runs every lesson at its defaults (seed 1, the standard world)
// into the cache, one at a time, only while no student's run is under
// way: a student's new run stops the prewarming one, which starts again
// once the machine is idle. It returns how many lessons it ran when done
// or when ctx ends; a server that keeps no results prewarms nothing. The live notebook's command calls it as it starts.
func (s *Server) Prewarm(ctx context.Context) int {
	es, err := s.lessons()
	if err != nil || s.cache.maxBytes <= 0 {
		return 0 // a server that keeps no results has nothing to prewarm
	}
	n := 0
	for _, e := range es {
		if e.Err != nil || e.Lesson == nil {
			continue
		}
		req := request{set: map[string]string{}, seed: 1, prewarm: true}
		for ctx.Err() == nil && !s.cache.cached(runKey(e.Lesson, req)) {
			if !s.idle(ctx) {
				return n
			}
			rctx, cancel := context.WithCancel(ctx)
			s.mu.Lock()
			s.prewarming = cancel
			s.mu.Unlock()
			_, err := s.exec(rctx, e.Lesson, req, nil)
			s.mu.Lock()
			s.prewarming = nil
			s.mu.Unlock()
			yielded := rctx.Err() != nil
			cancel()
			if err == nil || !yielded {
				// Kept, or never to be: the lesson stops at its
				// defaults, its result is too large, or the run failed.
				break
			}
		}
		if ctx.Err() != nil {
			return n
		}
		n++
	}
	return n
}

// idle waits until no student's run has been under way or waiting for a
// slot for s.quiet, polling: prewarming is a background chore, and in a
// class's short pauses it would only start runs the next change stops.
func (s *Server) idle(ctx context.Context) bool {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	since := time.Now()
	for {
		s.mu.Lock()
		busy := s.users > 0
		s.mu.Unlock()
		if busy {
			since = time.Now()
		} else if time.Since(since) >= s.quiet {
			return true
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
}

// yieldPrewarm stops the prewarming run, if any, for a student's run.
func (s *Server) yieldPrewarm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prewarming != nil {
		s.prewarming()
	}
}

// busyMessage says why a run was refused when the queue is full.
const busyMessage = "the server is busy: too many runs are waiting for the machine. Change a value in a moment to try again."

// streamWriteTimeout is the default Options.StreamTimeout.
const streamWriteTimeout = 10 * time.Second

// liveBuffer is how many live updates wait for a slow client before more
// are dropped (the finished page still shows everything).
const liveBuffer = 1024

// stream writes server-sent events to one client, each within timeout.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// send writes one server-sent event with a JSON payload, and reports
// whether the client took it in time.
func (st stream) send(name string, v any) bool {
	b, _ := json.Marshal(v)
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.timeout))
	if _, err := fmt.Fprintf(st.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return false
	}
	return st.rc.Flush() == nil
}

// run streams a lesson run as server-sent events: "start" when a cell
// starts, "item" with each piece of output rendered as the page shows
// it, then "done" with the whole page, "broken" with the page that says
// why a lesson that does not compile does not load, or "failure" with a
// message. The runner never waits for the client: updates a slow client
// has not taken are dropped (with a "dropped" event once it catches up),
// and a client that stops reading loses its run and its slot.
func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	e, prev, next, ok := s.found(w, r)
	if !ok {
		return
	}
	if e.Err != nil {
		deny(w, http.StatusBadRequest, "%v", e.Err)
		return
	}
	req, err := s.parse(e.Lesson, fixed(r, r.URL.Query()))
	if err != nil {
		deny(w, http.StatusBadRequest, "%s", err)
		return
	}
	req.member = isMember(r)
	if req.member && s.siteLessons[e.ID] {
		// The class runs this lesson in the students' browsers.
		deny(w, http.StatusForbidden, "this lesson runs in your browser: open /site/%s.html", e.ID)
		return
	}
	if m := memberOf(r); m != nil && !samePerson(r.URL.Query().Get("student"), m) {
		otherPerson(w, r.URL.Query().Get("student"), m)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// One run at a time per page, and per class member: a student's
	// newer change cancels their older run, in any tab.
	claim := req.page
	if req.member {
		claim = "member\x00" + req.student + "\x00" + e.ID
	}
	defer s.unclaim(claim, s.claim(claim, cancel))
	// The latest place only: an older one waiting to be sent is
	// replaced.
	positions := make(chan int, 1)
	req.queued = func(p int) {
		for {
			select {
			case positions <- p:
				return
			default:
				select {
				case <-positions:
				default:
				}
			}
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := stream{w: w, rc: http.NewResponseController(w), timeout: s.opt.StreamTimeout}
	if st.timeout <= 0 {
		st.timeout = streamWriteTimeout
	}
	if !st.send("queued", map[string]any{}) {
		return
	}
	updates := make(chan worker.Update, liveBuffer)
	done := make(chan *notebook.Result, 1)
	var dropped atomic.Int64
	var runErr error
	go func() {
		res, err := s.exec(ctx, e.Lesson, req, func(u worker.Update) {
			select {
			case updates <- u:
			default:
				dropped.Add(1) // never hold up the runner for a client
			}
		})
		if err != nil || ctx.Err() != nil {
			res = nil // cancelled: nothing to show
		}
		runErr = err
		done <- res
		close(updates)
	}()
	relay(st, updates, positions, &dropped, cancel)
	res := <-done
	if errors.Is(runErr, errBusy) {
		st.send("failure", map[string]any{"message": busyMessage})
		return
	}
	if res == nil {
		return // cancelled: a newer run took over, the page closed or stopped reading
	}
	if re := new(notebook.RunError); errors.As(res.Err, &re) && (re.Kind == notebook.StopCheck || re.Kind == notebook.StopCompile) {
		// A page sent before its run learns only now that the lesson
		// does not load: it becomes the page that says why.
		st.send("broken", map[string]any{"html": string(s.brokenHTML(entry{ID: e.ID, File: e.File, Source: e.Source, Err: re.Err}))})
		return
	}
	b, err := s.page(res, prev, next, req)
	if err != nil {
		st.send("failure", map[string]any{"message": err.Error()})
		return
	}
	status := fmt.Sprintf("Up to date: %d of %d self-checks pass.", res.Checks-res.FailedChecks, res.Checks)
	if res.Err != nil {
		status = "The lesson stopped: " + res.Err.Error()
	}
	st.send("done", map[string]any{"html": string(b), "status": status})
}

// check says whether a run's values are acceptable, and if not which
// field is wrong and why, as the live page's controls need it: a refused
// EventSource cannot read the reason.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	e, _, _, ok := s.found(w, r)
	if !ok {
		return
	}
	out := map[string]string{}
	if m := memberOf(r); m != nil && !samePerson(r.URL.Query().Get("student"), m) {
		out["error"] = fmt.Sprintf("this page is %.100s's, and this browser is now signed in as %s: open your own link again", r.URL.Query().Get("student"), m.name)
	} else if e.Err != nil {
		out["error"] = fmt.Sprint(e.Err)
	} else if _, err := s.parse(e.Lesson, fixed(r, r.URL.Query())); err != nil {
		out["error"] = err.Error()
		for k := range r.URL.Query() {
			if strings.Contains(out["error"], k) && (out["field"] == "" || len(k) > len(out["field"])) {
				out["field"] = k
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// relay sends the run's updates to the client as they come, and cancels
// the run when the client stops taking them, which frees its slot (the
// runner never blocks on updates, so none need draining).
func relay(st stream, updates <-chan worker.Update, positions <-chan int, dropped *atomic.Int64, cancel context.CancelFunc) {
	for {
		var u worker.Update
		var ok bool
		select {
		case p := <-positions:
			if !st.send("queued", map[string]any{"position": p}) {
				cancel()
				return
			}
			continue
		case u, ok = <-updates:
		}
		if !ok {
			return
		}
		if n := dropped.Swap(0); n > 0 {
			if !st.send("dropped", map[string]any{"updates": n}) {
				cancel()
				break
			}
		}
		if u.Start {
			if !st.send("start", map[string]any{"cell": u.Cell}) {
				cancel()
				break
			}
			continue
		}
		var b bytes.Buffer
		if err := render.ItemHTML(&b, u.Item); err != nil || b.Len() == 0 {
			continue
		}
		if !st.send("item", map[string]any{"cell": u.Cell, "html": b.String()}) {
			cancel() // the client stopped reading: free its slot
			break
		}
	}
}

// version answers with a digest of a lesson's source, which the page polls
// to reload when an instructor edits the file.
func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	e, _, _, ok := s.found(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"version": sourceVersion(e.Source)})
}
