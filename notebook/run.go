package notebook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/rlhfsim/rlhfsim/internal/nbcell"
	"github.com/rlhfsim/rlhfsim/internal/nbrt"
	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/notebook/symbols"
)

// Options configure a run. The zero value runs with seed 1, the parameter
// defaults and a 10-second limit per cell.
type Options struct {
	// Set overrides parameters by name ("--set name=value").
	Set map[string]string
	// Seed is what nb.Seed returns; zero means 1.
	Seed uint64
	// Timeout limits each cell's running time; zero means 10 s.
	Timeout time.Duration
}

// Status is what became of a cell.
type Status int

// The cell statuses.
const (
	NotRun Status = iota
	Done
	Failed
)

// Item is one piece of a cell's output: printed text or an event.
type Item struct {
	Text  string
	Event *nbrt.Event
}

// CellResult is the output of one cell.
type CellResult struct {
	Status Status
	Items  []Item
	// Err explains a failed cell.
	Err string
}

// Result is a lesson run.
type Result struct {
	Lesson *Lesson
	Cells  []CellResult
	Params []nbrt.ParamInfo
	// Err is why the lesson stopped early, or nil.
	Err error
	// Checks and FailedChecks count the self-checks.
	Checks, FailedChecks int
	Seed                 uint64
	Duration             time.Duration
}

// RunError is a lesson that stopped: it names the file and line.
type RunError struct {
	Err  *Error
	Kind string // "compile", "panic", "timeout", "check", "parameter"
}

func (e *RunError) Error() string { return e.Err.Error() }

// session receives a lesson's output while it runs.
type session struct {
	mu        sync.Mutex
	res       *Result
	cell      int // index into res.Cells
	line      int // line of the top-level statement running
	cellStart time.Time
	set       map[string]string
	seed      uint64
}

func (s *session) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.res.Cells[s.cell]
	if n := len(c.Items); n > 0 && c.Items[n-1].Event == nil {
		c.Items[n-1].Text += string(p)
	} else {
		c.Items = append(c.Items, Item{Text: string(p)})
	}
	return len(p), nil
}

func (s *session) Event(e nbrt.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The plain text of the event was written just before it; drop it
	// from the text so renderers show the event their own way.
	c := &s.res.Cells[s.cell]
	if n := len(c.Items); n > 0 && c.Items[n-1].Event == nil {
		c.Items[n-1].Text = strings.TrimSuffix(c.Items[n-1].Text, nbrt.PlainText(e))
		if c.Items[n-1].Text == "" {
			c.Items = c.Items[:n-1]
		}
	}
	switch e.Kind {
	case nbrt.Param:
		s.res.Params = append(s.res.Params, e.Param)
	case nbrt.Check:
		s.res.Checks++
		if !e.Pass {
			s.res.FailedChecks++
		}
	}
	c.Items = append(c.Items, Item{Event: &e})
}

func (s *session) Override(name string) (string, bool) {
	v, ok := s.set[name]
	return v, ok
}

func (s *session) Seed() uint64 { return s.seed }

func (s *session) onCell(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cell >= 0 && s.cell < len(s.res.Cells) && s.res.Cells[s.cell].Status == NotRun {
		s.res.Cells[s.cell].Status = Done
	}
	s.cell = n
	s.res.Cells[n].Status = Done
	s.cellStart = time.Now()
}

func (s *session) onLine(n int) {
	s.mu.Lock()
	s.line = n
	s.mu.Unlock()
}

// runMu serialises runs: the lesson API reaches the runtime through one
// package-level sink.
var runMu sync.Mutex

// Run executes a lesson under the interpreter and collects every cell's
// output. It never panics: compile errors, panics, runtime errors and
// timeouts come back in Result.Err, naming the file and line, with the
// cells after the failing one marked not run.
func Run(l *Lesson, o Options) (res *Result) {
	runMu.Lock()
	defer runMu.Unlock()
	start := time.Now()
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	res = &Result{Lesson: l, Cells: make([]CellResult, len(l.Cells)), Seed: o.Seed}
	defer func() {
		if r := recover(); r != nil {
			res.Err = &RunError{Kind: "panic", Err: &Error{File: l.File, Line: 1, Msg: fmt.Sprintf("the interpreter failed: %v", r)}}
		}
		res.Duration = time.Since(start)
	}()
	if errs := l.Check(); errs != nil {
		res.Err = &RunError{Kind: "check", Err: errs[0]}
		if len(errs) > 1 {
			res.Err = &RunError{Kind: "check", Err: &Error{File: errs[0].File, Line: errs[0].Line, Col: errs[0].Col,
				Msg: fmt.Sprintf("%s (and %d more problems: run rlhfsim check)", errs[0].Msg, len(errs)-1)}}
		}
		return res
	}
	if err := l.CheckSet(o.Set); err != nil {
		res.Err = &RunError{Kind: "parameter", Err: err}
		return res
	}
	src, shifts := l.instrument()
	s := &session{res: res, set: o.Set, seed: o.Seed, cellStart: time.Now()}
	var stderr bytes.Buffer
	i := interp.New(interp.Options{Stdout: s, Stderr: &stderr})
	if err := i.Use(exports()); err != nil {
		res.Err = &RunError{Kind: "compile", Err: &Error{File: l.File, Line: 1, Msg: err.Error()}}
		return res
	}
	nb.Reset()
	nbrt.Current = s
	nbcell.OnCell, nbcell.OnLine = s.onCell, s.onLine
	defer func() { nbrt.Current, nbcell.OnCell, nbcell.OnLine = nil, nil, nil }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	timedOut := make(chan int, 1)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.mu.Lock()
				over := time.Since(s.cellStart) > o.Timeout
				cell := s.cell
				s.mu.Unlock()
				if over {
					timedOut <- cell
					cancel()
					return
				}
			}
		}
	}()
	_, err := i.EvalWithContext(ctx, src)
	close(stop)
	if err == nil {
		return res
	}
	s.mu.Lock()
	cell, line := s.cell, s.line
	s.mu.Unlock()
	var rerr *RunError
	var p interp.Panic
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		c := <-timedOut
		rerr = &RunError{Kind: "timeout", Err: &Error{File: l.File, Line: l.Cells[c].Marker,
			Msg: fmt.Sprintf("the cell did not finish within %v (an endless loop?); the rest of the lesson was not run. If it is only slow, raise --timeout", o.Timeout)}}
		cell = c
	case errors.As(err, &p):
		msg := fmt.Sprintf("panic: %v", p.Value)
		if strings.Contains(msg, "nil type") {
			msg += " (the interpreter fails like this on a range over an integer: write for i := 0; i < n; i++)"
		}
		if fn := innerFrame(stderr.String()); fn != "" {
			msg += " (inside " + fn + ")"
		}
		if line == 0 {
			line = l.Cells[cell].Marker
		}
		rerr = &RunError{Kind: "panic", Err: &Error{File: l.File, Line: line, Msg: msg + "; the rest of the lesson was not run"}}
	default:
		e := compileError(l.File, err.Error(), shifts)
		rerr = &RunError{Kind: "compile", Err: e}
		cell = l.cellAt(e.Line)
	}
	res.Err = rerr
	if cell >= 0 && cell < len(res.Cells) {
		res.Cells[cell].Status = Failed
		res.Cells[cell].Err = rerr.Error()
		for j := cell + 1; j < len(res.Cells); j++ {
			res.Cells[j].Status = NotRun
		}
	}
	return res
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

// compileError turns an interpreter error into a file:line:col error,
// undoing the column shift of the planted line hooks.
func compileError(file, msg string, shifts map[int][2]int) *Error {
	first := strings.SplitN(msg, "\n", 2)[0]
	m := posPat.FindStringSubmatch(first)
	if m == nil {
		return &Error{File: file, Line: 1, Msg: first}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	if sh, ok := shifts[line]; ok && col > sh[0] {
		col -= sh[1]
	}
	return &Error{File: file, Line: line, Col: col, Msg: m[3]}
}

// cellAt returns the index of the cell holding line, or 0.
func (l *Lesson) cellAt(line int) int {
	c := 0
	for i, cell := range l.Cells {
		if cell.Marker <= line {
			c = i
		}
	}
	return c
}

const hookPkg = "github.com/rlhfsim/rlhfsim/internal/nbcell"

// instrument returns the lesson's source with the cell and line hooks
// planted without moving any line: the hook import joins the package
// clause's line, each marker comment becomes a Cell call, and each
// top-level statement of main starts with a Line call. shifts records, per
// line, the column of the planted call and its length, to correct the
// columns of error messages.
func (l *Lesson) instrument() (string, map[int][2]int) {
	lines := append([]string(nil), l.lines...)
	shifts := map[int][2]int{}
	pk := l.fset.Position(l.ast.Name.End())
	lines[pk.Line-1] = lines[pk.Line-1][:pk.Column-1] + `; import __nbcell "` + hookPkg + `"` + lines[pk.Line-1][pk.Column-1:]
	for i, c := range l.Cells {
		lines[c.Marker-1] = fmt.Sprintf("__nbcell.Cell(%d)", i)
	}
	var main *ast.FuncDecl
	for _, d := range l.ast.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			main = fd
		}
	}
	for _, st := range main.Body.List {
		p := l.fset.Position(st.Pos())
		if _, ok := shifts[p.Line]; ok {
			continue // two statements on one line: one hook is enough
		}
		hook := fmt.Sprintf("__nbcell.Line(%d); ", p.Line)
		s := lines[p.Line-1]
		lines[p.Line-1] = s[:p.Column-1] + hook + s[p.Column-1:]
		shifts[p.Line] = [2]int{p.Column, len(hook)}
	}
	return strings.Join(lines, "\n"), shifts
}

// exports returns the interpreter's symbols: the allowed standard packages
// (with "." so that fmt's printing goes to the captured output), the
// extracted rlhfsim and gonum/plot packages, and the runtime's hooks.
func exports() interp.Exports {
	ex := interp.Exports{".": stdlib.Symbols["."]}
	for _, p := range Allowed {
		key := p + "/" + pkgName(p)
		if v, ok := stdlib.Symbols[key]; ok {
			ex[key] = v
		} else if v, ok := symbols.Symbols[key]; ok {
			ex[key] = v
		}
	}
	ex[hookPkg+"/nbcell"] = map[string]reflect.Value{
		"Cell": reflect.ValueOf(nbcell.Cell),
		"Line": reflect.ValueOf(nbcell.Line),
	}
	return ex
}

var majorVersion = regexp.MustCompile(`^v\d+$`)

// pkgName is the package name of import path p: its last element, or the
// one before a major-version suffix such as /v2.
func pkgName(p string) string {
	parts := strings.Split(p, "/")
	n := parts[len(parts)-1]
	if len(parts) > 1 && majorVersion.MatchString(n) {
		n = parts[len(parts)-2]
	}
	return n
}

// CheckSet checks --set values against the parameters the lesson declares
// with literal names, before anything runs. Errors list the parameters.
func (l *Lesson) CheckSet(set map[string]string) *Error {
	if len(set) == 0 {
		return nil
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := set[k]
		var spec *ParamSpec
		for i := range l.Params {
			if l.Params[i].Name == k {
				spec = &l.Params[i]
			}
		}
		if spec == nil {
			return &Error{File: l.File, Line: 1, Msg: fmt.Sprintf("--set %s: no such parameter. %s", k, l.ParamList())}
		}
		if msg := spec.validate(v); msg != "" {
			return &Error{File: l.File, Line: spec.Line, Msg: fmt.Sprintf("--set %s=%s: %s. %s", k, v, msg, l.ParamList())}
		}
	}
	return nil
}

func (p *ParamSpec) validate(v string) string {
	switch p.Type {
	case "float", "int":
		var x float64
		var err error
		if p.Type == "int" {
			var n int
			n, err = strconv.Atoi(v)
			x = float64(n)
		} else {
			x, err = strconv.ParseFloat(v, 64)
		}
		if err != nil {
			return "not " + map[string]string{"float": "a number", "int": "a whole number"}[p.Type]
		}
		lo, e1 := strconv.ParseFloat(p.Min, 64)
		hi, e2 := strconv.ParseFloat(p.Max, 64)
		if e1 == nil && e2 == nil && !(x >= lo && x <= hi) {
			return fmt.Sprintf("out of bounds, want %s to %s", p.Min, p.Max)
		}
	case "bool":
		if _, err := strconv.ParseBool(v); err != nil {
			return "want true or false"
		}
	case "choice":
		for _, o := range p.Options {
			if o == v {
				return ""
			}
		}
		if len(p.Options) > 0 {
			return "want one of " + strings.Join(p.Options, ", ")
		}
	}
	return ""
}

// ParamList describes the lesson's parameters in one sentence.
func (l *Lesson) ParamList() string {
	if len(l.Params) == 0 {
		return fmt.Sprintf("Lesson %s has no parameters.", l.Meta.ID)
	}
	var ps []string
	for _, p := range l.Params {
		s := fmt.Sprintf("%s (%s, default %s", p.Name, p.Type, p.Default)
		if p.Min != "" {
			s += fmt.Sprintf(", %s to %s", p.Min, p.Max)
		}
		if len(p.Options) > 0 {
			s += ", one of " + strings.Join(p.Options, "/")
		}
		ps = append(ps, s+"): "+p.Help)
	}
	return fmt.Sprintf("Lesson %s's parameters: %s.", l.Meta.ID, strings.Join(ps, "; "))
}
