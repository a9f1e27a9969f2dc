package notebook

import (
	"strings"
	"time"
)

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
	Event *Event
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
	Params []ParamSpec
	// Err is why the lesson stopped early (a *RunError), or nil.
	Err error
	// Checks and FailedChecks count the self-checks.
	Checks, FailedChecks int
	Seed                 uint64
	Duration             time.Duration
	// Student and Code name the student and the variant code of the
	// hidden world the run used; no code is the standard world.
	Student, Code string
}

// StopKind names a way a lesson run can stop.
type StopKind string

// The ways a lesson run can stop, as RunError.Kind spells them.
const (
	StopCheck     StopKind = "check"     // the checker rejected the source
	StopParameter StopKind = "parameter" // a --set value is not valid
	StopCompile   StopKind = "compile"   // the interpreter rejected the source, or compiling took too long
	StopPanic     StopKind = "panic"     // a panic or runtime error in the lesson
	StopTimeout   StopKind = "timeout"   // a cell, or the whole lesson, ran past its time limit
	StopMemory    StopKind = "memory"    // the lesson used more memory than allowed
	StopStack     StopKind = "stack"     // unbounded recursion
	StopCrash     StopKind = "crash"     // the worker died for another reason
)

// RunError is a lesson that stopped: it names the file and line.
type RunError struct {
	Err  *Error
	Kind StopKind
}

func (e *RunError) Error() string { return e.Err.Error() }

// PlainText is the lesson's output as the lesson itself printed it:
// printed text and the plain-text form of every event, in order, without
// prose or code. A lesson compiled with "go run" prints exactly this.
func (r *Result) PlainText() string {
	var b strings.Builder
	for _, c := range r.Cells {
		for _, it := range c.Items {
			if it.Event != nil {
				b.WriteString(it.Event.PlainText())
			} else {
				b.WriteString(it.Text)
			}
		}
	}
	return b.String()
}

// Events returns the run's events of kind k, in order.
func (r *Result) Events(k Kind) []*Event {
	var es []*Event
	for _, c := range r.Cells {
		for _, it := range c.Items {
			if it.Event != nil && it.Event.Kind == k {
				es = append(es, it.Event)
			}
		}
	}
	return es
}
