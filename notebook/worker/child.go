package worker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"

	"github.com/rlhfsim/rlhfsim/internal/nbcell"
	"github.com/rlhfsim/rlhfsim/internal/nbrt"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// envWorker marks a process started as a lesson worker.
const envWorker = "RLHFSIM_LESSON_WORKER"

// The worker's pipes: the request comes in on fd 3, messages go out on
// fd 4. Standard input is closed, so a lesson can never read the
// terminal; standard error carries only the Go runtime's last words.
const (
	requestFD = 3
	reportFD  = 4
)

// Main turns this process into a lesson worker when the runner started it
// as one: it runs the lesson it is sent and exits. Otherwise it returns at
// once. Call it first thing in main, and in TestMain of any test binary
// that runs lessons, since the runner starts its own executable again.
func Main() {
	if os.Getenv(envWorker) != "1" {
		return
	}
	req := os.NewFile(requestFD, "request")
	rep := os.NewFile(reportFD, "report")
	if req == nil || rep == nil {
		fmt.Fprintln(os.Stderr, "rlhfsim: started as a lesson worker without its pipes")
		os.Exit(3)
	}
	var r Request
	if err := json.NewDecoder(req).Decode(&r); err != nil {
		fmt.Fprintln(os.Stderr, "rlhfsim: lesson worker: reading the request:", err)
		os.Exit(3)
	}
	// The runner keeps the request pipe open while it watches the worker:
	// end of file means the runner is gone (killed, even with -9), and a
	// worker must not outlive it, whatever the lesson is doing.
	go func() {
		_, _ = io.Copy(io.Discard, req)
		os.Exit(3)
	}()
	w := bufio.NewWriter(rep)
	serve(&r, w)
	w.Flush()
	os.Exit(0)
}

// reporter sends messages to the runner, one JSON line each, flushed at
// once: a worker may be killed at any moment, and what it said until then
// must have arrived.
type reporter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder
}

func (r *reporter) send(m Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.enc.Encode(m)
	_ = r.w.Flush()
}

// serve runs one request and reports on w.
func serve(r *Request, w *bufio.Writer) {
	rep := &reporter{w: w, enc: json.NewEncoder(w)}
	defer rep.send(Message{Type: msgDone})
	applyLimits(r)
	stop := func(kind notebook.StopKind, e *notebook.Error) { rep.send(Message{Type: msgStop, Kind: kind, Err: e}) }

	l, err := notebook.Parse(r.ID, r.File, r.Source)
	if err != nil {
		stop(notebook.StopCheck, firstError(r.File, err))
		return
	}
	if errs := l.Check(); errs != nil {
		if r.CompileOnly {
			for _, e := range errs {
				rep.send(Message{Type: msgProblem, Err: e})
			}
		}
		e := *errs[0]
		if len(errs) > 1 {
			e.Msg = fmt.Sprintf("%s (and %d more problems: run rlhfsim check)", e.Msg, len(errs)-1)
		}
		stop(notebook.StopCheck, &e)
		return
	}
	if e := l.CheckSet(r.Set); e != nil {
		stop(notebook.StopParameter, e)
		return
	}
	var v world.Variant
	if r.Student != "" {
		var err error
		if v, err = world.Student(r.Student, r.Code); err != nil {
			stop(notebook.StopParameter, &notebook.Error{File: r.File, Line: 1, Msg: "--student: " + err.Error()})
			return
		}
	}
	src, shifts := instrument(l)
	s := &session{rep: rep, req: r, cell: -1, variant: v}
	var stderr bytes.Buffer
	i := interp.New(interp.Options{Stdout: s, Stderr: &capped{w: &stderr, n: 1 << 16}})
	if err := i.Use(ExportsFor(v)); err != nil {
		stop(notebook.StopCompile, &notebook.Error{File: r.File, Line: 1, Msg: err.Error()})
		return
	}
	rep.send(Message{Type: msgCompiling})
	prog, err := compile(i, src)
	if err != nil {
		stop(notebook.StopCompile, compileError(r.File, err.Error(), shifts))
		return
	}
	rep.send(Message{Type: msgCompiled})
	if r.CompileOnly {
		return
	}
	nbrt.Current = s
	nbcell.OnCell, nbcell.OnLine = s.onCell, s.onLine
	_, err = i.Execute(prog)
	if err == nil {
		return
	}
	var p interp.Panic
	if errors.As(err, &p) {
		msg := fmt.Sprintf("panic: %v", p.Value)
		if strings.Contains(msg, "nil type") {
			msg += " (the interpreter fails like this on a range over an integer: write for i := 0; i < n; i++)"
		}
		if fn := innerFrame(stderr.String()); fn != "" {
			msg += " (inside " + fn + ")"
		}
		line := s.line
		if line == 0 && s.cell >= 0 {
			line = l.Cells[s.cell].Marker
		}
		stop(notebook.StopPanic, &notebook.Error{File: r.File, Line: line, Msg: msg + "; the rest of the lesson was not run"})
		return
	}
	stop(notebook.StopCompile, compileError(r.File, err.Error(), shifts))
}

// compile compiles the instrumented source; the interpreter can panic on
// source it mishandles, which comes back as an error.
func compile(i *interp.Interpreter, src string) (prog *interp.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("1:1: the interpreter failed: %v", r)
		}
	}()
	return i.Compile(src)
}

func firstError(file string, err error) *notebook.Error {
	var list notebook.ErrorList
	var e *notebook.Error
	switch {
	case errors.As(err, &list) && len(list) > 0:
		return list[0]
	case errors.As(err, &e):
		return e
	}
	return &notebook.Error{File: file, Line: 1, Msg: err.Error()}
}

// session is the sink of the lesson running in this worker: it forwards
// output and events to the runner as they happen.
type session struct {
	rep     *reporter
	req     *Request
	variant world.Variant // the student's world; zero is the standard one

	mu        sync.Mutex
	cell      int // the running cell, -1 before the first
	line      int // the running top-level statement
	printed   int // bytes the running cell printed
	total     int // bytes the whole lesson printed
	truncated bool
	exhausted bool // the lesson's budget for printed text is spent, and was announced
	events    int  // events sent
	sent      int  // bytes of events sent
}

// Bounds on what one lesson may emit, so that the runner's memory (which
// holds every output in up to four formats) stays bounded whatever a
// lesson does: a figure that renders to more than maxFigure bytes of SVG,
// another event (a table, a check, a quiz) of more than maxEvent bytes,
// or more than maxEvents events or maxEventBytes of them in all, stop the
// lesson with a message. Printed text is cut off past the cell's cap
// (Request.MaxOutput) or maxLessonOutput for the whole lesson.
const (
	maxFigure       = 16 << 20
	maxEvent        = 2 << 20
	maxEvents       = 10000
	maxEventBytes   = 64 << 20
	maxLessonOutput = 8 << 20
)

// size is about how many bytes an event takes.
func size(e *notebook.Event) int {
	n := len(e.Text) + len(e.Hint) + len(e.Explanation) + len(e.Alt) + len(e.SVG) + len(e.PNG) + 64
	for _, h := range e.Headers {
		n += len(h)
	}
	for _, r := range e.Rows {
		for _, c := range r {
			n += len(c) + 4
		}
	}
	for _, o := range e.Options {
		n += len(o)
	}
	return n
}

var _ nbrt.Sink = (*session)(nil)

// Write forwards printed text, up to the cell's output cap.
func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cell, lesson := max(0, s.req.MaxOutput-s.printed), max(0, maxLessonOutput-s.total)
	q := p[:min(len(p), cell, lesson)]
	if len(q) > 0 {
		s.printed += len(q)
		s.total += len(q)
		s.rep.send(Message{Type: msgOutput, Text: string(q)})
	}
	if len(q) < len(p) && !s.truncated && !s.exhausted {
		s.truncated = true
		what := fmt.Sprintf("this cell printed more than %s", byteSize(int64(s.req.MaxOutput)))
		if lesson < cell {
			s.exhausted = true
			what = fmt.Sprintf("this lesson printed more than %s in all", byteSize(maxLessonOutput))
		}
		s.rep.send(Message{Type: msgOutput, Text: fmt.Sprintf("\n… output truncated: %s; print less, or sum it up in a table or a figure\n", what)})
	}
	return len(p), nil
}

// Event forwards an event; a figure is rendered here, while the cell that
// made it runs, so a plot that fails to draw fails at its own line.
func (s *session) Event(e notebook.Event) {
	if e.Kind == notebook.Figure && e.Plot != nil {
		svg, err := plots.Render(e.Plot, plots.Slide(), "svg")
		if err != nil {
			panic(fmt.Sprintf("nb.Figure: drawing the figure: %v", err))
		}
		e.SVG = svg
		e.Alt = plots.Describe(e.Plot)
		if s.req.PNG {
			if e.PNG, err = plots.Render(e.Plot, plots.Slide(), "png"); err != nil {
				panic(fmt.Sprintf("nb.Figure: drawing the figure: %v", err))
			}
		}
		e.Plot = nil
		if len(e.SVG) > maxFigure {
			panic(fmt.Sprintf("nb.Figure: the figure draws to %s of SVG, more than %s; plot fewer points", byteSize(int64(len(e.SVG))), byteSize(maxFigure)))
		}
	}
	if n := size(&e); e.Kind != notebook.Figure && n > maxEvent {
		panic(fmt.Sprintf("nb: this %s is %s, more than %s: show fewer rows or shorter text", e.Kind, byteSize(int64(n)), byteSize(maxEvent)))
	}
	s.mu.Lock()
	s.events++
	s.sent += size(&e)
	over := s.events > maxEvents || s.sent > maxEventBytes
	s.mu.Unlock()
	if over {
		panic(fmt.Sprintf("nb: more than %d figures, tables, checks and quizzes, or more than %s of them: a lesson shows a few of each", maxEvents, byteSize(maxEventBytes)))
	}
	s.rep.send(Message{Type: msgEvent, Event: &e})
}

func (s *session) Override(name string) (string, bool) {
	v, ok := s.req.Set[name]
	return v, ok
}

func (s *session) Seed() uint64 { return s.req.Seed }

func (s *session) Student() string { return s.variant.Student }

// onCell receives the hook at cell n's marker. Cells only move forward.
func (s *session) onCell(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= s.cell {
		return
	}
	s.cell, s.line, s.printed, s.truncated = n, 0, 0, false
	s.rep.send(Message{Type: msgCell, Cell: n})
}

// onLine receives the hook before the top-level statement on line n.
func (s *session) onLine(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.line = n
	s.rep.send(Message{Type: msgLine, Line: n})
}

// capped keeps the first n bytes written to it.
type capped struct {
	w io.Writer
	n int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.n > 0 {
		q := p
		if len(q) > c.n {
			q = q[:c.n]
		}
		c.n -= len(q)
		c.w.Write(q)
	}
	return len(p), nil
}

var framePat = regexp.MustCompile(`panic: main\.(\w+)\(`)

// innerFrame names the innermost lesson function a panic passed through,
// when that is not main itself.
func innerFrame(stderr string) string {
	m := framePat.FindStringSubmatch(stderr)
	if m == nil || m[1] == "main" {
		return ""
	}
	return m[1]
}

var posPat = regexp.MustCompile(`^(?:_\.go:)?(\d+):(\d+): (.*)$`)

// compileError turns an interpreter error into a file:line:col error in
// the lesson's own coordinates, undoing the column shift of the planted
// hooks.
func compileError(file, msg string, shifts map[int][2]int) *notebook.Error {
	first := strings.SplitN(msg, "\n", 2)[0]
	m := posPat.FindStringSubmatch(first)
	if m == nil {
		return &notebook.Error{File: file, Line: 1, Msg: first}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	if sh, ok := shifts[line]; ok && col > sh[0] {
		col -= sh[1]
	}
	return &notebook.Error{File: file, Line: line, Col: col, Msg: m[3]}
}

// applyLimits sets what the worker may use: a soft memory limit that
// makes the collector work hard before the hard limit (set per operating
// system by setHardMemoryLimit) kills the process, and a small stack, so
// unbounded recursion dies in milliseconds rather than after a gigabyte.
func applyLimits(r *Request) {
	if r.Memory > 0 {
		debug.SetMemoryLimit(r.Memory / 10 * 9)
		setHardMemoryLimit(r.Memory)
	}
	if r.MaxStack > 0 {
		debug.SetMaxStack(r.MaxStack)
	}
	if r.CPU > 0 {
		setCPULimit(r.CPU)
	}
	// A lesson run yields the processor to the program that started it:
	// a classroom server saturated by its students' runs still answers
	// page loads and answer saves at once (BenchmarkClassSession).
	lowerPriority()
	if r.MaxOutput <= 0 {
		r.MaxOutput = DefaultMaxOutput
	}
}

// byteSize writes n bytes for people: 1 MB, 2 GiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
