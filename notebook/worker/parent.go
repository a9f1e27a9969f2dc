package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// The default limits of a lesson run.
const (
	DefaultCellTimeout   = 10 * time.Second
	DefaultLessonTimeout = 5 * time.Minute
	DefaultMemory        = 2 << 30
	DefaultMaxOutput     = 1 << 20
	DefaultMaxStack      = 64 << 20
)

// Limits bound a lesson run from outside its worker process: the runner
// kills a worker that runs past a time limit, so compiled work stops too.
// The zero value of each field means its default.
type Limits struct {
	// Cell limits each cell's running time, and the time to start the
	// worker and compile the lesson; default 10 s.
	Cell time.Duration
	// Lesson limits the whole run; default 5 minutes.
	Lesson time.Duration
	// Memory limits the worker's memory in bytes; default 2 GiB.
	Memory int64
	// Output caps what one cell may print, in bytes; default 1 MiB.
	Output int
	// Stack caps the lesson's stack, in bytes; default 64 MiB.
	Stack int
}

// cpuLimit is the processor time a worker may use: the whole lesson's
// wall-clock limit on every core, and at least a minute. The runner's
// clocks stop a worker first; this stops one the runner cannot.
func cpuLimit(l Limits) int64 {
	return max(60, int64(l.Lesson.Seconds())*int64(runtime.NumCPU()))
}

func (l Limits) withDefaults() Limits {
	if l.Cell <= 0 {
		l.Cell = DefaultCellTimeout
	}
	if l.Lesson <= 0 {
		l.Lesson = DefaultLessonTimeout
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.Output <= 0 {
		l.Output = DefaultMaxOutput
	}
	if l.Stack <= 0 {
		l.Stack = DefaultMaxStack
	}
	return l
}

// Options configure a run. The zero value runs with seed 1, the
// parameter defaults and the default limits.
type Options struct {
	// Set overrides parameters by name ("--set name=value").
	Set map[string]string
	// Seed is what nb.Seed returns; zero means 1.
	Seed uint64
	// Variant is the student's variant of the hidden world the lesson runs
	// in (world.Student); the zero Variant is the standard world.
	Variant world.Variant
	// Limits bound the run.
	Limits Limits
	// PNG renders every figure as PNG too.
	PNG bool
	// Live, if not nil, receives the lesson's output as it arrives, for a
	// page that shows a long cell's progress while it runs. It is called
	// from the goroutine that reads the worker, in order.
	Live func(Update)
}

// Update is one piece of a running lesson's output.
type Update struct {
	// Cell is the index of the cell it belongs to.
	Cell int
	// Start says the cell starts; Item is then empty.
	Start bool
	// Item is printed text, as it was printed, or an event.
	Item notebook.Item
}

// Run runs a lesson in a worker process and collects every cell's output.
// It never panics and nothing the lesson does can stop the caller: compile
// errors, panics, runtime errors, time limits, memory exhaustion, stack
// overflows and interpreter crashes come back in Result.Err, naming the
// file, the cell and the line, with the cells after the failing one
// marked not run. Cancelling ctx kills the worker.
func Run(ctx context.Context, l *notebook.Lesson, o Options) *notebook.Result {
	return run(ctx, l, o, nil)
}

// Compile has a worker parse, type-check and compile the lesson without
// running it, under the same limits as a run (type-checking can be made
// to exhaust memory too), and returns every problem the checks found, or
// the one that stopped the compiler, or nil.
func Compile(ctx context.Context, l *notebook.Lesson, o Options) notebook.ErrorList {
	var problems notebook.ErrorList
	res := run(ctx, l, o, &problems)
	if len(problems) > 0 {
		return problems
	}
	var re *notebook.RunError
	if errors.As(res.Err, &re) {
		return notebook.ErrorList{re.Err}
	}
	return nil
}

// maxProblems caps the problems a check reports, against a worker that
// sends without end.
const maxProblems = 1000

// assembly builds a Result from a worker's messages.
type assembly struct {
	live    func(Update)
	res     *notebook.Result
	cell    int // running cell, -1 before the first
	line    int // running top-level statement, 0 if none yet
	text    strings.Builder
	stopped bool
	done    bool
	// problems collects a check's problems, when it is asked for them.
	problems *notebook.ErrorList
}

func (a *assembly) flush() {
	if a.text.Len() == 0 {
		return
	}
	c := &a.res.Cells[max(a.cell, 0)]
	c.Items = append(c.Items, notebook.Item{Text: a.text.String()})
	a.text.Reset()
}

func (a *assembly) apply(m Message) {
	switch m.Type {
	case msgCell:
		if m.Cell <= a.cell || m.Cell >= len(a.res.Cells) {
			return
		}
		a.flush()
		a.cell, a.line = m.Cell, 0
		a.res.Cells[m.Cell].Status = notebook.Done
		if a.live != nil {
			a.live(Update{Cell: m.Cell, Start: true})
		}
	case msgLine:
		a.line = m.Line
	case msgOutput:
		a.text.WriteString(m.Text)
		if a.live != nil {
			a.live(Update{Cell: max(a.cell, 0), Item: notebook.Item{Text: m.Text}})
		}
	case msgEvent:
		if m.Event == nil {
			return
		}
		a.flush()
		e := m.Event
		switch e.Kind {
		case notebook.Param:
			a.res.Params = append(a.res.Params, e.Param)
		case notebook.Check:
			a.res.Checks++
			if !e.Pass {
				a.res.FailedChecks++
			}
		}
		c := &a.res.Cells[max(a.cell, 0)]
		c.Items = append(c.Items, notebook.Item{Event: e})
		if a.live != nil {
			a.live(Update{Cell: max(a.cell, 0), Item: notebook.Item{Event: e}})
		}
	case msgStop:
		if m.Err == nil || a.stopped {
			return
		}
		a.stop(m.Kind, m.Err, a.cell)
	case msgProblem:
		if a.problems != nil && m.Err != nil && len(*a.problems) < maxProblems {
			*a.problems = append(*a.problems, m.Err)
		}
	case msgDone:
		a.done = true
	}
}

// stop records why the lesson stopped, failing cell and marking the cells
// after it not run.
func (a *assembly) stop(kind notebook.StopKind, e *notebook.Error, cell int) {
	a.flush()
	a.stopped = true
	re := &notebook.RunError{Kind: kind, Err: e}
	a.res.Err = re
	if kind == notebook.StopCompile {
		cell = cellAt(a.res.Lesson, e.Line)
	}
	if kind == notebook.StopCheck || kind == notebook.StopParameter || cell < 0 || cell >= len(a.res.Cells) {
		return
	}
	a.res.Cells[cell].Status = notebook.Failed
	a.res.Cells[cell].Err = re.Error()
	for j := cell + 1; j < len(a.res.Cells); j++ {
		a.res.Cells[j].Status = notebook.NotRun
	}
}

// cellAt returns the index of the cell holding line, or 0.
func cellAt(l *notebook.Lesson, line int) int {
	c := 0
	for i, cell := range l.Cells {
		if cell.Marker <= line {
			c = i
		}
	}
	return c
}

// run runs or, when problems is not nil, only checks and compiles l,
// collecting the check's problems there.
func run(ctx context.Context, l *notebook.Lesson, o Options, problems *notebook.ErrorList) *notebook.Result {
	compileOnly := problems != nil
	start := time.Now()
	lim := o.Limits.withDefaults()
	if o.Seed == 0 {
		o.Seed = 1
	}
	a := &assembly{live: o.Live, res: &notebook.Result{Lesson: l, Cells: make([]notebook.CellResult, len(l.Cells)), Seed: o.Seed, Student: o.Variant.Student, Code: o.Variant.Code}, cell: -1, problems: problems}
	defer func() { a.res.Duration = time.Since(start) }()
	req := Request{ID: l.Meta.ID, File: l.File, Source: l.Source, Set: o.Set, Seed: o.Seed, Student: o.Variant.Student, Code: o.Variant.Code, PNG: o.PNG,
		CompileOnly: compileOnly, Memory: lim.Memory, MaxOutput: lim.Output, MaxStack: lim.Stack,
		CPU: cpuLimit(lim)}
	w, err := startWorker(req)
	if err != nil {
		a.stop(notebook.StopCrash, &notebook.Error{File: l.File, Line: 1, Msg: "cannot start a lesson worker: " + err.Error()}, -1)
		return a.res
	}
	defer w.close()
	killed := w.supervise(ctx, a, start, lim)
	waitErr := w.wait()
	a.flush()
	if a.stopped || (a.done && killed == "") {
		return a.res
	}
	kind, what := death(killed, w.last.String(), waitErr, lim)
	a.died(kind, what, compileOnly)
	return a.res
}

// died stops the run of a worker that ended without finishing: why, in
// which cell, and at which line.
func (a *assembly) died(kind notebook.StopKind, what string, compileOnly bool) {
	l := a.res.Lesson
	line := a.line
	where := ""
	if a.cell >= 0 {
		where = fmt.Sprintf(" in the cell at line %d", l.Cells[a.cell].Marker)
		if line == 0 {
			line = l.Cells[a.cell].Marker
		}
	}
	if line == 0 {
		line = 1
	}
	msg := what + where
	if !compileOnly && kind != notebook.StopCompile {
		msg += "; the rest of the lesson was not run"
	}
	if kind == notebook.StopCompile {
		a.stop(kind, &notebook.Error{File: l.File, Line: 1, Msg: msg}, -1)
	} else {
		a.stop(kind, &notebook.Error{File: l.File, Line: line, Msg: msg}, a.cell)
	}
}
