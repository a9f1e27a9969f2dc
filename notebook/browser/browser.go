//go:build js

package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Request is what the page asks the runner for: one run of a lesson.
type Request struct {
	// ID is echoed in every message about this run.
	ID     int               `json:"id"`
	Lesson Source            `json:"lesson"`
	Set    map[string]string `json:"set"`
	Seed   uint64            `json:"seed"`
	// Student names the student: the variant of the world comes from
	// the name alone (world.PublicCode), unless Variant gives it.
	Student string `json:"student"`
	// Variant is the student's variant code, from a class's server
	// (rlhfsim serve --class --site), which draws it from the course
	// secret; empty means the name's public variant.
	Variant string `json:"variant"`
	// Edited says the source is not the one the page shows: the page
	// gets a new skeleton first, since cells may have come or gone.
	Edited bool `json:"edited"`
	// CellLimit and LessonLimit are the time limits in seconds; zero
	// means package worker's defaults. The page has them from rlhfsim
	// site.
	CellLimit   float64 `json:"cellLimit"`
	LessonLimit float64 `json:"lessonLimit"`
	PrevLink    *Link   `json:"prev"`
	NextLink    *Link   `json:"next"`
}

// Source is a lesson as the page holds it.
type Source struct {
	ID     string `json:"id"`
	File   string `json:"file"`
	Source string `json:"source"`
}

// Link is a neighbouring lesson, for the page's navigation.
type Link struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// limits are the run's limits: the native defaults but for the time
// limits the page gives (rlhfsim site sets them; see site.BrowserLimits).
func (r *Request) limits() worker.Limits {
	return worker.Limits{Cell: time.Duration(r.CellLimit * float64(time.Second)), Lesson: time.Duration(r.LessonLimit * float64(time.Second))}
}

// Serve makes this program the page's runner: it defines
// rlhfsimRun(request) and rlhfsimCancel() for the runner's script, posts
// every message through rlhfsimPost(message), both as JSON, and never
// returns.
func Serve() {
	r := &runner{post: js.Global().Get("rlhfsimPost")}
	js.Global().Set("rlhfsimRun", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			r.start(args[0].String())
		}
		return nil
	}))
	js.Global().Set("rlhfsimCancel", js.FuncOf(func(_ js.Value, _ []js.Value) any {
		r.cancel()
		return nil
	}))
	js.Global().Call("rlhfsimReady")
	select {}
}

type runner struct {
	post js.Value

	mu   sync.Mutex
	stop context.CancelFunc
}

// send posts one message to the page.
func (r *runner) send(id int, kind string, fields map[string]any) {
	m := map[string]any{"id": id, "type": kind}
	for k, v := range fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	r.post.Invoke(string(b))
}

func (r *runner) cancel() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// start cancels the run under way and starts req's: JavaScript's
// callback must not wait for it.
func (r *runner) start(raw string) {
	var req Request
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		// Answer the request the page waits for, if its ID can be read.
		var id struct {
			ID int `json:"id"`
		}
		json.Unmarshal([]byte(raw), &id)
		r.send(id.ID, "failure", map[string]any{"message": "the page sent a request the runner cannot read: " + err.Error()})
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	if r.stop != nil {
		r.stop()
	}
	r.stop = cancel
	r.mu.Unlock()
	go func() {
		defer cancel()
		r.run(ctx, &req)
	}()
}

// run runs one request and posts what happens.
func (r *runner) run(ctx context.Context, req *Request) {
	defer func() {
		if p := recover(); p != nil {
			r.send(req.ID, "failure", map[string]any{"message": fmt.Sprintf("the runner failed: %v", p)})
		}
	}()
	src := req.Lesson
	l, err := notebook.Parse(src.ID, src.File, []byte(src.Source))
	if err != nil {
		r.broken(req, src, err)
		return
	}
	if errs := l.Check(); errs != nil {
		r.broken(req, src, errs)
		return
	}
	var v world.Variant
	if name := strings.TrimSpace(req.Student); name != "" {
		code, err := world.PublicCode(name)
		if req.Variant != "" {
			code = req.Variant
		}
		if err == nil {
			v, err = world.Student(name, code)
		}
		if err != nil {
			r.send(req.ID, "invalid", map[string]any{"field": "student", "message": err.Error()})
			return
		}
	}
	// Values for parameters an edited lesson no longer declares are
	// dropped: the page's controls are the course's.
	for name := range req.Set {
		if !l.Declares(name) {
			delete(req.Set, name)
		}
	}
	if e := l.CheckSet(req.Set); e != nil {
		r.send(req.ID, "invalid", map[string]any{"field": fieldOf(e.Msg, req.Set), "message": e.Error()})
		return
	}
	if req.Seed == 0 {
		req.Seed = 1
	}
	prev, next := meta(req.PrevLink), meta(req.NextLink)
	live := &render.Live{Seed: req.Seed, Student: v.Student, Code: v.Code, Site: true, Fixed: req.Variant != ""}
	if req.Edited {
		sk := &notebook.Result{Lesson: l, Cells: make([]notebook.CellResult, len(l.Cells)), Seed: req.Seed, Student: v.Student, Code: v.Code}
		live.Params, live.Pending = l.Declared(req.Set), true
		var b bytes.Buffer
		if err := render.HTMLLive(&b, sk, prev, next, live); err == nil {
			r.send(req.ID, "skeleton", map[string]any{"html": b.String()})
		}
		live.Pending = false
	}
	start := time.Now()
	res := worker.Run(ctx, l, worker.Options{Set: req.Set, Seed: req.Seed, Variant: v, Limits: req.limits(), Live: func(u worker.Update) {
		if u.Start {
			r.send(req.ID, "start", map[string]any{"cell": u.Cell})
			return
		}
		var b bytes.Buffer
		if render.ItemHTML(&b, u.Item) == nil && b.Len() > 0 {
			r.send(req.ID, "item", map[string]any{"cell": u.Cell, "html": b.String()})
		}
	}})
	if ctx.Err() != nil {
		return // a newer run took over
	}
	if re := new(notebook.RunError); errors.As(res.Err, &re) && (re.Kind == notebook.StopCheck || re.Kind == notebook.StopCompile) {
		r.broken(req, src, re.Err)
		return
	}
	live.Params = res.Params
	if len(live.Params) == 0 {
		live.Params = l.Declared(req.Set)
	}
	var b bytes.Buffer
	if err := render.HTMLLive(&b, res, prev, next, live); err != nil {
		r.send(req.ID, "failure", map[string]any{"message": "rendering the page: " + err.Error()})
		return
	}
	status := fmt.Sprintf("Up to date: %d of %d self-checks pass (ran in this browser in %.1f s).", res.Checks-res.FailedChecks, res.Checks, time.Since(start).Seconds())
	if res.Err != nil {
		status = "The lesson stopped: " + res.Err.Error()
	}
	r.send(req.ID, "done", map[string]any{"html": b.String(), "status": status, "checks": res.Checks, "failed": res.FailedChecks, "stopped": res.Err != nil})
}

// broken tells the page that the lesson does not load: the file, the
// line and why, for the editor to point at.
func (r *runner) broken(req *Request, src Source, err error) {
	line, msg := 1, err.Error()
	var ne *notebook.Error
	var list notebook.ErrorList
	switch {
	case errors.As(err, &list) && len(list) > 0:
		line, msg = list[0].Line, list[0].Msg
		if len(list) > 1 {
			msg = fmt.Sprintf("%s (and %d more problems)", msg, len(list)-1)
		}
	case errors.As(err, &ne):
		line, msg = ne.Line, ne.Msg
	}
	r.send(req.ID, "broken", map[string]any{"file": src.File, "line": line, "message": msg})
}

// fieldOf picks the parameter an error is about: the longest name set
// that the message mentions, as the live notebook's check does.
func fieldOf(msg string, set map[string]string) string {
	f := ""
	for k := range set {
		if strings.Contains(msg, k) && len(k) > len(f) {
			f = k
		}
	}
	return f
}

func meta(l *Link) *notebook.Meta {
	if l == nil {
		return nil
	}
	return &notebook.Meta{ID: l.ID, Title: l.Title}
}
