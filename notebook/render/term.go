package render

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/glamour"

	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/notebook"
)

// TermOptions configure the terminal renderer.
type TermOptions struct {
	// Width wraps prose; zero means 80.
	Width int
	// Style colours the output with ANSI escapes for a "dark" or a
	// "light" background; "" is plain text.
	Style string
	// Interactive asks quizzes and predictions on In before revealing
	// their answers.
	Interactive bool
	In          io.Reader
	// Reveal shows every answer, and what follows a prediction, without
	// asking. With neither Interactive nor Reveal, answers stay hidden and
	// the rest of a cell after a prediction is held back.
	Reveal bool
	// Answered, if not nil, is told each answer given on In, with the run
	// it belongs to: the chosen option's text, or the number as typed.
	Answered func(res *notebook.Result, e *notebook.Event, answer string)
	// Figures maps a figure event to the file it was saved to.
	Figures map[*notebook.Event]string
	// ShowCode prints each code cell's source before its output.
	ShowCode bool
}

// Terminal writes a lesson run for reading in a terminal.
func Terminal(w io.Writer, res *notebook.Result, o TermOptions) error {
	if o.Width == 0 {
		o.Width = 80
	}
	style := "notty"
	if o.Style == "dark" || o.Style == "light" {
		style = o.Style
	}
	// Preserved newlines: authors wrap prose in the source, and glamour's own
	// wrapping mishandles soft line breaks.
	md, err := glamour.NewTermRenderer(glamour.WithStandardStyle(style), glamour.WithWordWrap(o.Width), glamour.WithPreservedNewLines())
	if err != nil {
		return err
	}
	var in *bufio.Reader
	if o.Interactive && o.In != nil {
		in = bufio.NewReader(o.In)
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	termHeader(bw, res, o.Width)
	for i, c := range res.Lesson.Cells {
		switch c.Kind {
		case notebook.Markdown:
			out, err := md.Render(safe(c.Source))
			if err != nil {
				return err
			}
			for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				bw.WriteString(strings.TrimRight(line, " ") + "\n")
			}
		case notebook.Tests:
			// hidden tests
		default:
			termCode(bw, res.Lesson.File, c, o)
			termOutputs(bw, res, res.Cells[i], o, in)
		}
	}
	fmt.Fprintln(bw)
	if res.Err != nil {
		fmt.Fprintf(bw, "✗ the lesson stopped: %s\n", safe(res.Err.Error()))
	}
	fmt.Fprintf(bw, "checks: %d passed, %d failed\n", res.Checks-res.FailedChecks, res.FailedChecks)
	return nil
}

// termHeader writes the lesson's title rule, summary, prerequisites and
// parameters.
func termHeader(bw *bufio.Writer, res *notebook.Result, width int) {
	m := res.Lesson.Meta
	rule := strings.Repeat("═", max(0, width-len(m.ID)-len(m.Title)-14))
	fmt.Fprintf(bw, "══ %s · %s (%d min) %s\n", safe(m.ID), safe(m.Title), m.Minutes, rule)
	fmt.Fprintf(bw, "%s\n", safe(m.Summary))
	if len(m.LearnBefore) > 0 {
		fmt.Fprintf(bw, "learn before: %s\n", safe(strings.Join(m.LearnBefore, ", ")))
	}
	if len(res.Params) > 0 {
		var ps []string
		for _, p := range res.Params {
			ps = append(ps, p.Name+"="+p.Value)
		}
		fmt.Fprintf(bw, "parameters: %s  (change with --set name=value)\n", safe(strings.Join(ps, " ")))
	}
}

// termCode writes a code cell's source in a box, its long lines wrapped,
// with --code; otherwise a blank line.
func termCode(bw *bufio.Writer, file string, c notebook.Cell, o TermOptions) {
	if !o.ShowCode {
		fmt.Fprintln(bw)
		return
	}
	label := "code"
	if c.Kind == notebook.Exercise {
		label = "exercise " + c.Name + " (write the part that stops with \"not written yet\" in your copy)"
	}
	fmt.Fprintf(bw, "\n  ┌─ %s, %s:%d\n", safe(label), safe(file), c.Marker+1)
	for _, line := range strings.Split(c.Shown, "\n") {
		for i, part := range wrap(safe(strings.ReplaceAll(line, "\t", "    ")), o.Width-4) {
			mark := "│"
			if i > 0 {
				mark = "┆" // a continued line
			}
			fmt.Fprintf(bw, "  %s %s\n", mark, part)
		}
	}
	fmt.Fprintln(bw, "  └─")
}

// termOutputs writes a code cell's outputs. Without answers on In or
// --reveal, what follows a prediction is held back, and said to be.
func termOutputs(bw *bufio.Writer, res *notebook.Result, cr notebook.CellResult, o TermOptions, in *bufio.Reader) {
	if cr.Status == notebook.NotRun {
		fmt.Fprintln(bw, "  (not run)")
		return
	}
	held := 0
	for _, it := range cr.Items {
		if held > 0 {
			held++
			continue
		}
		if it.Event == nil {
			writeIndented(bw, it.Text, "  ")
			continue
		}
		bw.Flush()
		termEvent(bw, res, it.Event, o, in)
		if it.Event.Kind == notebook.Predict && in == nil && !o.Reveal {
			held = 1
		}
	}
	if held > 1 {
		fmt.Fprintf(bw, "  (%d more outputs of this cell answer the prediction, so they are held back: rerun with --interactive to answer first, or --reveal)\n", held-1)
	}
	if cr.Status == notebook.Failed {
		fmt.Fprintf(bw, "  ✗ error: %s\n", safe(fmt.Sprint(cr.Err)))
	}
}

// safe shows the control characters of lesson-supplied text as escapes,
// so that a print cannot move the cursor or overwrite what was printed.
func safe(s string) string { return termsafe.String(s) }

func writeIndented(w io.Writer, text, indent string) {
	text = safe(strings.TrimSuffix(text, "\n"))
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "%s%s\n", indent, line)
	}
}

func termEvent(w *bufio.Writer, res *notebook.Result, e *notebook.Event, o TermOptions, in *bufio.Reader) {
	switch e.Kind {
	case notebook.Param:
		// Shown once, in the header.
	case notebook.Figure:
		path := o.Figures[e]
		if path == "" {
			path = "(not saved)"
		}
		fmt.Fprintf(w, "  ▣ figure %d: %s\n    → %s\n", e.N, safe(e.Text), safe(path))
	case notebook.Table:
		writeIndented(w, e.PlainText(), "  ")
	case notebook.Check:
		if e.Pass {
			fmt.Fprintf(w, "  %s %s\n", paint(o, "32", "✓"), safe(e.Text))
		} else {
			fmt.Fprintf(w, "  %s %s\n    hint: %s\n", paint(o, "31", "✗"), safe(e.Text), safe(e.Hint))
		}
	case notebook.Quiz, notebook.Predict:
		termChoice(w, res, e, o, in)
	case notebook.Number:
		termNumber(w, res, e, o, in)
	}
}

// termChoice asks a quiz or a prediction on in, if there is one, and
// reveals its answer unless it is graded later.
func termChoice(w *bufio.Writer, res *notebook.Result, e *notebook.Event, o TermOptions, in *bufio.Reader) {
	label := "Quiz"
	if e.Kind == notebook.Predict {
		label = "Predict before you read on"
	}
	fmt.Fprintf(w, "\n  ? %s %d: %s\n", label, e.N, safe(e.Text))
	for i, opt := range e.Options {
		fmt.Fprintf(w, "    %c) %s\n", 'a'+i, safe(opt))
	}
	graded := e.Answer == notebook.Graded
	if in == nil && (!o.Reveal || graded) {
		fmt.Fprintln(w, "    (answer it with --interactive; --reveal shows the answer)")
		return
	}
	if in != nil {
		line := ask(w, in, fmt.Sprintf("    your answer (a-%c, Enter to skip): ", 'a'+len(e.Options)-1), func(s string) bool {
			s = strings.ToLower(s)
			return len(s) == 1 && s[0] >= 'a' && int(s[0]-'a') < len(e.Options)
		})
		line = strings.ToLower(line)
		if line == "" && o.Answered != nil {
			fmt.Fprintln(w, "    skipped: the answer stays hidden until you give one.")
			return
		}
		if line != "" {
			choice := int(line[0] - 'a')
			switch {
			case graded:
				fmt.Fprintln(w, "    saved: it is graded later.")
			case choice == e.Answer:
				fmt.Fprintln(w, "    ✓ right.")
			default:
				fmt.Fprintln(w, "    ✗ not quite.")
			}
			if o.Answered != nil {
				o.Answered(res, e, e.Options[choice])
			}
		}
	}
	if graded {
		return
	}
	fmt.Fprintf(w, "    answer: %c) %s\n", 'a'+e.Answer, safe(e.Options[e.Answer]))
	writeIndented(w, e.Explanation, "    ")
}

// termNumber asks a numeric question on in, if there is one, and
// reveals its answer.
func termNumber(w *bufio.Writer, res *notebook.Result, e *notebook.Event, o TermOptions, in *bufio.Reader) {
	fmt.Fprintf(w, "\n  ? Number %d: %s\n", e.N, safe(e.Text))
	if in == nil && !o.Reveal {
		fmt.Fprintln(w, "    (answer it with --interactive; --reveal shows the answer)")
		return
	}
	if in != nil {
		line := ask(w, in, "    your answer (a number, Enter to skip): ", func(s string) bool {
			x, err := strconv.ParseFloat(s, 64)
			return err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
		})
		if line == "" && o.Answered != nil {
			fmt.Fprintln(w, "    skipped: the answer stays hidden until you give one.")
			return
		}
		if x, err := strconv.ParseFloat(line, 64); err == nil {
			if e.Right(x) {
				fmt.Fprintln(w, "    ✓ right.")
			} else {
				fmt.Fprintf(w, "    ✗ not within %g%%.\n", 100*e.Tol)
			}
			if o.Answered != nil {
				o.Answered(res, e, line)
			}
		}
	}
	fmt.Fprintf(w, "    answer: %.4g (within %g%%)\n", e.Value, 100*e.Tol)
	writeIndented(w, e.Explanation, "    ")
}

// ask prompts until the reply is valid or empty (skip), at most three
// times; a reply it cannot use is a skip. End of input is a skip.
func ask(w *bufio.Writer, in *bufio.Reader, prompt string, valid func(string) bool) string {
	for range 3 {
		fmt.Fprint(w, prompt)
		w.Flush()
		line, err := in.ReadString('\n')
		line = strings.TrimSpace(line)
		if line == "" || valid(line) {
			return line
		}
		if err != nil {
			return ""
		}
		fmt.Fprintf(w, "    %q is not one of the answers.\n", safe(line))
	}
	return ""
}

// paint colours s with an ANSI SGR code when the output is styled.
func paint(o TermOptions, code, s string) string {
	if o.Style == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// wrap cuts a line of code into pieces of at most width runes, at spaces
// where it can; a piece after the first continues the line.
func wrap(line string, width int) []string {
	width = max(width, 20)
	var out []string
	r := []rune(line)
	for len(r) > width {
		cut := width
		for i := width; i > width/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}
