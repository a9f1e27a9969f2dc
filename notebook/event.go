package notebook

import (
	"fmt"
	"math"
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
	Number  Kind = "number"
)

// Graded is the Answer of a question whose answer is not in the lesson
// (nb.Ask): the student's choice is graded later.
const Graded = -1

// Right reports whether a number answers a Number event: within the
// event's relative tolerance of its value (an absolute 1e-12 for a value
// of zero).
func (e *Event) Right(x float64) bool {
	return math.Abs(x-e.Value) <= max(e.Tol*math.Abs(e.Value), 1e-12)
}

// Event is one thing a lesson showed besides printed text. Events travel
// from the lesson's worker process to the runner as JSON, so a figure
// arrives rendered: SVG always, PNG when the run asked for it.
type Event struct {
	Kind Kind `json:"kind"`
	// N numbers figures, checks, quizzes and predictions within a lesson,
	// each kind from 1.
	N int `json:"n,omitempty"`
	// Text is a figure's caption, a check's name, a quiz question or a
	// prediction prompt.
	Text string `json:"text,omitempty"`
	// Plot is the figure as the lesson built it. It exists only inside
	// the process that ran the lesson and is never sent.
	Plot *plot.Plot `json:"-"`
	// SVG and PNG are the figure, rendered at slide size.
	SVG         []byte     `json:"svg,omitempty"`
	PNG         []byte     `json:"png,omitempty"`
	Headers     []string   `json:"headers,omitempty"`
	Rows        [][]string `json:"rows,omitempty"`
	Param       ParamSpec  `json:"param,omitzero"`
	Pass        bool       `json:"pass,omitempty"`
	Hint        string     `json:"hint,omitempty"`
	Options     []string   `json:"options,omitempty"`
	Answer      int        `json:"answer,omitempty"` // index of the right option, or Graded
	Explanation string     `json:"explanation,omitempty"`
	// Alt says in words what a figure shows (plots.Describe), for readers
	// who cannot see it.
	Alt string `json:"alt,omitempty"`
	// Value and Tol are a Number's true value and relative tolerance.
	Value float64 `json:"value,omitempty"`
	Tol   float64 `json:"tol,omitempty"`
}

// PlainText is an event as a lesson prints it in plain text. Compiled and
// interpreted runs print exactly this, so their outputs can be compared.
func (e *Event) PlainText() string {
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
		if e.Answer >= 0 && e.Answer < len(e.Options) {
			fmt.Fprintf(&b, "  answer: %c) %s\n  %s\n", 'a'+e.Answer, e.Options[e.Answer], e.Explanation)
		}
	case Number:
		fmt.Fprintf(&b, "Number %d: %s\n  answer: %.4g (within %g%%)\n  %s\n", e.N, e.Text, e.Value, 100*e.Tol, e.Explanation)
	}
	return b.String()
}
