package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Options configure a Server. The zero value serves the embedded course
// with the default lesson limits and as many runs at once as there are
// cores.
type Options struct {
	// Dir, if set, serves the lessons in that directory (an exported and
	// edited course: one subdirectory per lesson, each with a main.go),
	// read again on every request, so an edit shows on the next load.
	Dir string
	// Limits bound every lesson run.
	Limits worker.Limits
	// MaxRuns is the most lesson runs at once; zero means the number of
	// cores.
	MaxRuns int
	// Token is the secret every request must carry; empty means a random
	// one (Jupyter's scheme: it is in the printed URL, then in a cookie).
	Token string
	// StreamTimeout is how long one live update may take to reach a
	// client before the client counts as gone, its run is cancelled and
	// its run slot freed; zero means 10 s.
	StreamTimeout time.Duration
	// FirstByte is how long a lesson page waits for its run before it
	// sends the page without outputs, which then fills in cell by cell as
	// the run streams: a slow lesson shows its prose and controls at once
	// instead of a blank tab. A run that finishes in time is sent whole,
	// so fast lessons need no script. Zero means 300 ms; negative means
	// always wait for the whole run.
	FirstByte time.Duration
}

// firstByte is the default Options.FirstByte: about the time after which
// a page load stops feeling instant.
const firstByte = 300 * time.Millisecond

// Limits on what a request may ask, checked before anything runs.
const (
	maxParams     = 64
	maxValueBytes = 256
	maxPages      = 256
	cookieName    = "rlhfsim_token"
)

// Server serves the live notebook. Its zero value is not usable: call New.
type Server struct {
	opt   Options
	token string
	runs  chan struct{} // a slot per concurrent run
	addr  string        // host:port of the listener, once it listens

	mu    sync.Mutex
	pages map[string]context.CancelFunc // the run of each open page
	// active counts the runs in progress and peak the most at once, for
	// the tests and the log.
	active, peak int

	// parsed keeps each lesson file's parse with the file's identity, so
	// that the index and pages polling every few seconds re-read only
	// what changed.
	parsedMu sync.Mutex
	parsed   map[string]parsedFile
}

// parsedFile is one lesson file's read and parse, and the file it came
// from: the same file (device and inode), size and modification time mean
// the same bytes.
type parsedFile struct {
	info os.FileInfo
	e    entry
}

// New returns a server, or an error when Dir holds no lessons.
func New(o Options) (*Server, error) {
	if o.MaxRuns <= 0 {
		o.MaxRuns = runtime.NumCPU()
	}
	s := &Server{opt: o, token: o.Token, runs: make(chan struct{}, o.MaxRuns), pages: map[string]context.CancelFunc{}}
	if s.token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		s.token = hex.EncodeToString(b)
	}
	if o.Dir != "" {
		ls, _ := s.lessons()
		if len(ls) == 0 {
			return nil, fmt.Errorf("%s holds no lessons (want one directory per lesson, each with %s; see rlhfsim export)", o.Dir, notebook.LessonFile)
		}
	}
	return s, nil
}

// Token returns the secret the URL carries.
func (s *Server) Token() string { return s.token }

// Listen listens on addr (127.0.0.1:0 when empty) and returns the
// listener and the URL to open, with the token.
func (s *Server) Listen(addr string) (net.Listener, string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	s.addr = ln.Addr().String()
	host := s.addr
	if h, p, err := net.SplitHostPort(s.addr); err == nil && (h == "0.0.0.0" || h == "::") {
		host = net.JoinHostPort("127.0.0.1", p)
	}
	return ln, "http://" + host + "/?token=" + s.token, nil
}

// Loopback reports whether addr is a loopback address, so the command can
// warn when another interface is asked for.
func Loopback(addr string) bool {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the server's routes behind its guard.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /lesson/{id}", s.lesson)
	mux.HandleFunc("GET /api/run/{id}", s.run)
	mux.HandleFunc("GET /api/version/{id}", s.version)
	mux.HandleFunc("GET /api/check/{id}", s.check)
	return s.guard(mux)
}

// deny answers a refused request with a one-line reason.
func deny(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}

// hostOK accepts the listener's own host:port and its loopback names, so
// that a page of another site cannot reach the server through a name it
// controls (DNS rebinding).
func (s *Server) hostOK(host string) bool {
	if host == s.addr {
		return true
	}
	_, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		return false
	}
	for _, h := range []string{"127.0.0.1", "localhost", "[::1]"} {
		if host == h+":"+port {
			return true
		}
	}
	return false
}

// guard checks Host, Origin and the token on every request, and sets the
// headers every answer carries.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostOK(r.Host) {
			deny(w, http.StatusForbidden, "forbidden: the Host %q is not this server's; open the URL rlhfsim serve printed", r.Host)
			return
		}
		if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
			deny(w, http.StatusForbidden, "forbidden: requests from %q are not accepted", o)
			return
		}
		// Browsers send loopback cookies to every port, so a page served on
		// another local port is "same-site" and could start runs with an
		// <img>: only this server's own pages, or the user typing the URL,
		// may ask for anything.
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			deny(w, http.StatusForbidden, "forbidden: a %s request; open the URL rlhfsim serve printed", site)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			deny(w, http.StatusMethodNotAllowed, "only GET is served")
			return
		}
		if t := r.URL.Query().Get("token"); t != "" {
			if subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) != 1 {
				deny(w, http.StatusForbidden, "forbidden: wrong token; open the URL rlhfsim serve printed")
				return
			}
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		c, err := r.Cookie(cookieName)
		if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.token)) != 1 {
			deny(w, http.StatusForbidden, "forbidden: no token; open the URL rlhfsim serve printed (it carries one)")
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// entry is one lesson of the course, or the error that stops it loading.
type entry struct {
	ID     string
	Lesson *notebook.Lesson
	Err    error
	Source []byte
	File   string
}

// lessons returns the course: the embedded lessons, or those in Dir,
// read now.
func (s *Server) lessons() ([]entry, error) {
	if s.opt.Dir == "" {
		c, err := course.Embedded()
		if err != nil {
			return nil, err
		}
		out := make([]entry, len(c.Lessons))
		for i, l := range c.Lessons {
			out[i] = entry{ID: l.Meta.ID, Lesson: l, Source: l.Source, File: l.File}
		}
		return out, nil
	}
	des, err := os.ReadDir(s.opt.Dir)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, d := range des {
		if !d.IsDir() || d.Name() == notebook.TemplateDir {
			continue
		}
		e, ok := s.read(d.Name())
		if ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// read returns the lesson of directory name in Dir, from the cache when
// its file has not changed, and false when the directory holds no
// lesson file. A file that cannot be read safely is an entry with an
// error, shown as a broken lesson.
func (s *Server) read(name string) (entry, bool) {
	file := filepath.Join(s.opt.Dir, name, notebook.LessonFile)
	info, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false // not a lesson directory
	}
	s.parsedMu.Lock()
	c, hit := s.parsed[file]
	s.parsedMu.Unlock()
	if err == nil && hit && os.SameFile(c.info, info) && c.info.Size() == info.Size() && c.info.ModTime().Equal(info.ModTime()) {
		return c.e, true
	}
	src, err := notebook.ReadLessonFile(s.opt.Dir, filepath.Join(name, notebook.LessonFile))
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false
	}
	if err != nil {
		return entry{ID: name, Err: err, File: file}, true
	}
	l, err := notebook.Parse(name, file, src)
	e := entry{ID: name, Lesson: l, Err: err, Source: src, File: file}
	if info != nil {
		s.parsedMu.Lock()
		if s.parsed == nil {
			s.parsed = map[string]parsedFile{}
		}
		s.parsed[file] = parsedFile{info: info, e: e}
		s.parsedMu.Unlock()
	}
	return e, true
}

// find returns the lesson called id, its neighbours, or false. The id is
// only ever compared with the course's own names, never used as a path.
func (s *Server) find(id string) (e entry, prev, next *notebook.Meta, ok bool) {
	ls, err := s.lessons()
	if err != nil {
		return entry{}, nil, nil, false
	}
	for i, x := range ls {
		if x.ID != id {
			continue
		}
		if i > 0 && ls[i-1].Lesson != nil {
			prev = &ls[i-1].Lesson.Meta
		}
		if i+1 < len(ls) && ls[i+1].Lesson != nil {
			next = &ls[i+1].Lesson.Meta
		}
		return x, prev, next, true
	}
	return entry{}, nil, nil, false
}

// request is a run's parameters, read from the query and checked with
// the rules of --set.
type request struct {
	set     map[string]string
	seed    uint64
	page    string
	student string
	code    string
	variant world.Variant
}

func (s *Server) parse(l *notebook.Lesson, q url.Values) (request, error) {
	r := request{set: map[string]string{}, seed: 1}
	if len(q) > maxParams {
		return r, fmt.Errorf("too many parameters (%d; at most %d)", len(q), maxParams)
	}
	for k, vs := range q {
		if len(vs) != 1 || len(vs[0]) > maxValueBytes || len(k) > maxValueBytes {
			return r, fmt.Errorf("parameter %.40q: give one value of at most %d bytes", k, maxValueBytes)
		}
		v := vs[0]
		switch k {
		case "seed":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 1_000_000 {
				return r, fmt.Errorf("seed %.40q: want a whole number from 1 to 1000000", v)
			}
			r.seed = n
		case "page":
			r.page = v
		case "student":
			r.student = strings.TrimSpace(v)
		case "variant":
			r.code = strings.TrimSpace(v)
		default:
			r.set[k] = v
		}
	}
	switch {
	case r.student != "":
		v, err := world.Student(r.student, r.code)
		if err != nil {
			return r, fmt.Errorf("student: %v", err)
		}
		r.variant = v
	case r.code != "":
		return r, errors.New("a variant code needs the name it was given for: fill in student too")
	}
	if e := l.CheckSet(r.set); e != nil {
		return r, errors.New(e.Msg)
	}
	return r, nil
}

// acquire waits for a run slot until ctx ends.
func (s *Server) acquire(ctx context.Context) bool {
	select {
	case s.runs <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) release() { <-s.runs }

// claim makes ctx's run the only one of page, cancelling the one before.
func (s *Server) claim(page string, cancel context.CancelFunc) {
	if page == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.pages[page]; ok {
		old()
	}
	if len(s.pages) >= maxPages {
		for k, c := range s.pages {
			c()
			delete(s.pages, k)
			break
		}
	}
	s.pages[page] = cancel
}

func (s *Server) unclaim(page string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pages, page)
}

// exec runs a lesson in a worker, within the run limit.
func (s *Server) exec(ctx context.Context, l *notebook.Lesson, r request, live func(worker.Update)) (*notebook.Result, error) {
	if !s.acquire(ctx) {
		return nil, ctx.Err()
	}
	defer s.release()
	s.mu.Lock()
	s.active++
	s.peak = max(s.peak, s.active)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	return worker.Run(ctx, l, worker.Options{Set: r.set, Seed: r.seed, Variant: r.variant, Limits: s.opt.Limits, Live: live}), nil
}

// runOrSkeleton runs a lesson for its page, waiting at most
// Options.FirstByte. A run that takes longer is cancelled (the page runs
// it again through the stream, which shows each cell as it finishes) and
// comes back as a Result with no cells. ok is false when the browser went
// away.
func (s *Server) runOrSkeleton(page context.Context, l *notebook.Lesson, req request) (res *notebook.Result, ok bool) {
	wait := s.opt.FirstByte
	if wait == 0 {
		wait = firstByte
	}
	if wait < 0 {
		res, err := s.exec(page, l, req, nil)
		return res, err == nil
	}
	ctx, cancel := context.WithCancel(page)
	defer cancel()
	done := make(chan *notebook.Result, 1)
	go func() {
		res, err := s.exec(ctx, l, req, nil)
		if err != nil {
			res = nil
		}
		done <- res
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case res := <-done:
		return res, res != nil
	case <-timer.C:
		cancel()
		<-done // the worker has stopped and freed its slot
		return &notebook.Result{Lesson: l}, page.Err() == nil
	case <-page.Done():
		return nil, false
	}
}

// skeleton renders a lesson page before its run: prose, code and
// controls, with every cell waiting for the stream the page starts.
func (s *Server) skeleton(l *notebook.Lesson, prev, next *notebook.Meta, r request) ([]byte, error) {
	res := &notebook.Result{Lesson: l, Cells: make([]notebook.CellResult, len(l.Cells)), Seed: r.seed, Student: r.student, Code: r.code}
	var b bytes.Buffer
	err := render.HTMLLive(&b, res, prev, next, &render.Live{Params: s.declared(l, r), Seed: r.seed, Student: r.student, Code: r.code, Script: liveScript(s.opt.Dir != "", l.Source), Pending: true})
	return b.Bytes(), err
}

// declared is a lesson's parameters with the values a request asks for,
// for a page whose run has not reached its parameters.
func (s *Server) declared(l *notebook.Lesson, r request) []notebook.ParamSpec {
	var params []notebook.ParamSpec
	for _, p := range l.Params {
		p.Value = p.Default
		if v, ok := r.set[p.Name]; ok {
			p.Value = v
		}
		params = append(params, p)
	}
	return params
}

// page renders a finished run as the live page.
func (s *Server) page(res *notebook.Result, prev, next *notebook.Meta, r request, watch bool) ([]byte, error) {
	params := res.Params
	if len(params) == 0 {
		// The run stopped before its parameters ran.
		params = s.declared(res.Lesson, r)
	}
	var b bytes.Buffer
	err := render.HTMLLive(&b, res, prev, next, &render.Live{Params: params, Seed: r.seed, Student: r.student, Code: r.code, Script: liveScript(watch, res.Lesson.Source)})
	return b.Bytes(), err
}

func (s *Server) lesson(w http.ResponseWriter, r *http.Request) {
	e, prev, next, ok := s.find(r.PathValue("id"))
	if !ok {
		deny(w, http.StatusNotFound, "no lesson %.60q in this course", r.PathValue("id"))
		return
	}
	if e.Err != nil {
		s.brokenPage(w, e)
		return
	}
	req, err := s.parse(e.Lesson, r.URL.Query())
	if err != nil {
		deny(w, http.StatusBadRequest, "%s", err)
		return
	}
	res, ok := s.runOrSkeleton(r.Context(), e.Lesson, req)
	if !ok {
		return // the browser went away
	}
	if re := new(notebook.RunError); errors.As(res.Err, &re) && (re.Kind == notebook.StopCheck || re.Kind == notebook.StopCompile) {
		s.brokenPage(w, entry{ID: e.ID, File: e.File, Source: e.Source, Err: re.Err})
		return
	}
	var b []byte
	if res.Cells == nil {
		b, err = s.skeleton(e.Lesson, prev, next, req)
	} else {
		b, err = s.page(res, prev, next, req, s.opt.Dir != "")
	}
	if err != nil {
		deny(w, http.StatusInternalServerError, "rendering %s: %v", e.ID, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

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
// it, then "done" with the whole page, or "failure" with a message. The
// runner never waits for the client: updates a slow client has not taken
// are dropped (with a "dropped" event once it catches up), and a client
// that stops reading loses its run and its slot.
func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	e, prev, next, ok := s.find(r.PathValue("id"))
	if !ok {
		deny(w, http.StatusNotFound, "no lesson %.60q in this course", r.PathValue("id"))
		return
	}
	if e.Err != nil {
		deny(w, http.StatusBadRequest, "%v", e.Err)
		return
	}
	req, err := s.parse(e.Lesson, r.URL.Query())
	if err != nil {
		deny(w, http.StatusBadRequest, "%s", err)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	s.claim(req.page, cancel)
	defer s.unclaim(req.page)
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
		done <- res
		close(updates)
	}()
	var res *notebook.Result
	for u := range updates {
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
	res = <-done
	if res == nil {
		return // cancelled: a newer run took over, the page closed or stopped reading
	}
	b, err := s.page(res, prev, next, req, s.opt.Dir != "")
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

// version answers with a digest of a lesson's source, which the page polls
// to reload when an instructor edits the file.
// check says whether a run's values are acceptable, and if not which
// field is wrong and why, as the live page's controls need it: a refused
// EventSource cannot read the reason.
func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	e, _, _, ok := s.find(r.PathValue("id"))
	if !ok {
		deny(w, http.StatusNotFound, "no lesson %.60q in this course", r.PathValue("id"))
		return
	}
	out := map[string]string{}
	if e.Err != nil {
		out["error"] = fmt.Sprint(e.Err)
	} else if _, err := s.parse(e.Lesson, r.URL.Query()); err != nil {
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

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	e, _, _, ok := s.find(r.PathValue("id"))
	if !ok {
		deny(w, http.StatusNotFound, "no lesson %.60q in this course", r.PathValue("id"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"version": sourceVersion(e.Source)})
}

// brokenPage shows why a lesson does not load: file, line and the source
// around it, instead of a blank page.
func (s *Server) brokenPage(w http.ResponseWriter, e entry) {
	var ne *notebook.Error
	line := 0
	msg := fmt.Sprint(e.Err)
	if errors.As(e.Err, &ne) {
		line = ne.Line
	} else if el, ok := e.Err.(notebook.ErrorList); ok && len(el) > 0 {
		line = el[0].Line
	}
	type srcLine struct {
		N    int
		Text string
		Here bool
	}
	var excerpt []srcLine
	for i, t := range strings.Split(string(e.Source), "\n") {
		if n := i + 1; line > 0 && n >= line-3 && n <= line+3 {
			excerpt = append(excerpt, srcLine{N: n, Text: t, Here: n == line})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnprocessableEntity)
	// One problem per line: the parser reports each with its position.
	if e.File != "" {
		msg = strings.ReplaceAll(msg, " "+e.File+":", "\n"+e.File+":")
	}
	brokenTmpl.Execute(w, map[string]any{"ID": e.ID, "File": e.File, "Msg": msg, "Excerpt": excerpt, "Script": liveScript(s.opt.Dir != "", e.Source)})
}

var brokenTmpl = template.Must(template.New("broken").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.ID}} does not load · rlhfsim</title>
<style>body{font-family:Arial,sans-serif;max-width:52rem;margin:0 auto;padding:1.5rem}pre{background:#f6f8fa;padding:.6rem;white-space:pre-wrap}.here{background:#fbece3;font-weight:bold}.error{color:#D55E00}</style></head>
<body><nav><a href="/">← course map</a></nav><h1>{{.ID}} does not load</h1>
<pre class="error" role="alert">{{.Msg}}</pre><p>{{.File}}</p>
{{if .Excerpt}}<pre>{{range .Excerpt}}<span{{if .Here}} class="here"{{end}}>{{printf "%4d" .N}}  {{.Text}}</span>
{{end}}</pre>{{end}}
<p>Fix the file and save it: this page reloads by itself.</p>
<form id="controls" data-lesson="{{.ID}}" data-broken="1" hidden></form>
{{.Script}}
</body></html>`))

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ls, err := s.lessons()
	if err != nil {
		deny(w, http.StatusInternalServerError, "reading the course: %v", err)
		return
	}
	type row struct {
		ID, Title, Summary string
		Minutes            int
		Before             string
		Err                error
	}
	var rows []row
	for _, e := range ls {
		if e.Lesson == nil {
			rows = append(rows, row{ID: e.ID, Title: e.ID, Err: e.Err})
			continue
		}
		m := e.Lesson.Meta
		rows = append(rows, row{ID: m.ID, Title: m.Title, Summary: m.Summary, Minutes: m.Minutes, Before: strings.Join(m.LearnBefore, ", ")})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexTmpl.Execute(w, map[string]any{"Rows": rows, "Script": template.HTML("<script>" + progressJS + "</script>"), "Download": render.Download})
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>rlhfsim · the course</title>
<style>body{font-family:"Liberation Sans",Arial,sans-serif;line-height:1.5;max-width:52rem;margin:0 auto;padding:1.5rem}
h1{border-bottom:2px solid #0072B2}li{margin:.7rem 0}.meta{color:#666;font-size:.92rem}.done{color:#009E73;font-weight:bold}.error{color:#D55E00}</style></head>
<body><h1>How the reward model of RLHF works</h1>
<p>Each lesson runs on this machine; change a parameter and the lesson runs again. Your answers and progress stay in this browser.</p>
<main><ol id="lessons">{{range .Rows}}<li data-lesson="{{.ID}}"><a href="/lesson/{{.ID}}">{{.Title}}</a> <span class="done" hidden>✓ done</span>
{{if .Err}}<div class="error">does not load: {{.Err}}</div>{{else}}<div class="meta">{{.ID}} · {{.Minutes}} minutes{{with .Before}} · after {{.}}{{end}}</div><div>{{.Summary}}</div>{{end}}</li>
{{end}}</ol>
{{.Download}}</main>
{{.Script}}
</body></html>`))

// progressJS marks the lessons whose questions were all answered, from the
// browser's local storage.
const progressJS = `
document.querySelectorAll('#lessons li').forEach(function(li){
  if(localStorage.getItem('rlhfsim:done:'+li.dataset.lesson)==='1'){
    li.querySelector('.done').hidden=false;
  }
});`

// liveScript is the lesson page's script: controls rerun the lesson
// (debounced, a newer change cancelling the older run), cells fill as
// output arrives, quiz answers and progress persist in local storage,
// and, when serving a directory, the page reloads when its file changes.
//
// The page carries the version of the source it was made from: it
// reloads when the file's version differs from its own, not from the
// first version it polled, which a second save during a reload had
// already moved past (the page then kept the older edit for good).
func liveScript(watch bool, source []byte) template.HTML {
	w := "false"
	if watch {
		w = "true"
	}
	return template.HTML("<script>var rlhfsimWatch=" + w + ", rlhfsimVersion=\"" + sourceVersion(source) + "\";" + liveJS + "</script>")
}

// sourceVersion names a lesson file's content: the first 8 bytes of its
// SHA-256, in hex.
func sourceVersion(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:8])
}
