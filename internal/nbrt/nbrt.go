package nbrt

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
)

// Kind names an event.
type Kind string

// The events a lesson can emit.
const (
	Figure  Kind = "figure"
	Table   Kind = "table"
	Param   Kind = "param"
	Check   Kind = "check"
	Quiz    Kind = "quiz"
	Predict Kind = "predict"
)

// ParamInfo describes one lesson parameter and the value it took.
type ParamInfo struct {
	Name, Type, Help string
	Default, Value   string
	Min, Max         string   // bounds of numeric parameters
	Options          []string // choices of a choice parameter
}

// Event is one thing a lesson showed besides printed text.
type Event struct {
	Kind Kind
	// N numbers figures, checks, quizzes and predictions within a lesson,
	// each kind from 1.
	N int
	// Text is a figure's caption, a check's name, a quiz question or a
	// prediction prompt.
	Text        string
	Plot        *plot.Plot
	Headers     []string
	Rows        [][]string
	Param       ParamInfo
	Pass        bool
	Hint        string
	Options     []string
	Answer      int // index of the right option
	Explanation string
}

// Sink receives a lesson's output.
type Sink interface {
	io.Writer
	Event(e Event)
	// Override returns the value a parameter was set to from outside.
	Override(name string) (string, bool)
	// Seed returns the run's seed.
	Seed() uint64
}

// Current is the sink of the lesson being run, or nil.
var Current Sink

// PlainText is an event as a lesson prints it in plain text. Compiled and
// interpreted runs print exactly this, so their outputs can be compared.
func PlainText(e Event) string {
	var b strings.Builder
	switch e.Kind {
	case Figure:
		fmt.Fprintf(&b, "[figure %d: %s]\n", e.N, e.Text)
	case Table:
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(e.Headers, "\t"))
		for _, r := range e.Rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		tw.Flush()
	case Param:
		fmt.Fprintf(&b, "[parameter %s = %s]\n", e.Param.Name, e.Param.Value)
	case Check:
		if e.Pass {
			fmt.Fprintf(&b, "✓ %s\n", e.Text)
		} else {
			fmt.Fprintf(&b, "✗ %s\n  hint: %s\n", e.Text, e.Hint)
		}
	case Quiz, Predict:
		label := "Quiz"
		if e.Kind == Predict {
			label = "Predict"
		}
		fmt.Fprintf(&b, "%s %d: %s\n", label, e.N, e.Text)
		for i, o := range e.Options {
			fmt.Fprintf(&b, "  %c) %s\n", 'a'+i, o)
		}
		fmt.Fprintf(&b, "  answer: %c) %s\n  %s\n", 'a'+e.Answer, e.Options[e.Answer], e.Explanation)
	}
	return b.String()
}
