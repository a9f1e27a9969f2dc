package notebook

import (
	"bytes"
	"fmt"
	"go/ast"
	"sort"
	"strings"
)

// edit replaces src[from:to] with text.
type edit struct {
	from, to int
	text     string
}

// apply makes the edits; an edit inside another (a question in a tests
// cell that goes) is dropped.
func apply(src []byte, edits []edit) []byte {
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].from != edits[j].from {
			return edits[i].from < edits[j].from
		}
		return edits[i].to > edits[j].to
	})
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		if e.from < at {
			continue
		}
		b.Write(src[at:e.from])
		b.WriteString(e.text)
		at = e.to
	}
	b.Write(src[at:])
	return b.Bytes()
}

// lineOffset is the byte offset of the start of line n (1-based).
func (l *Lesson) lineOffset(n int) int {
	off := 0
	for i := 0; i < n-1 && i < len(l.lines); i++ {
		off += len(l.lines[i]) + 1
	}
	return off
}

// cellEnd is the line after the last line of cell i: the next cell's
// marker, or main's closing brace.
func (l *Lesson) cellEnd(i int) int {
	if i+1 < len(l.Cells) {
		return l.Cells[i+1].Marker
	}
	for _, d := range l.ast.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return l.fset.PositionFor(fd.Body.Rbrace, false).Line
		}
	}
	return len(l.lines)
}

// StudentSource returns the student's copy of the lesson: every
// exercise's solution replaced by a stub that stops the lesson until the
// student writes it, the tests cells removed, and every nb.Quiz and
// nb.TrueFalse turned into an nb.Ask or nb.AskTrueFalse without the answer
// and its explanation, as is every prediction whose truth is a literal.
// Predictions the run computes, and numbers, stay: their answers are what
// the student's own run reveals.
func (l *Lesson) StudentSource() ([]byte, error) {
	var edits []edit
	for i, c := range l.Cells {
		switch c.Kind {
		case Tests:
			edits = append(edits, edit{l.lineOffset(c.Marker), l.lineOffset(l.cellEnd(i)), ""})
		case Exercise:
			if !c.solved {
				return nil, &Error{File: l.File, Line: c.Marker, Msg: fmt.Sprintf("exercise %s has no solution to leave out: mark the code students write with %s and %s lines", c.Name, BeginSolution, EndSolution)}
			}
			begin := 0
			for n := c.Marker + 1; n < l.cellEnd(i); n++ {
				s := l.lines[n-1]
				switch strings.TrimSpace(s) {
				case BeginSolution:
					begin = n
				case EndSolution:
					b := l.lines[begin-1]
					indent := b[:len(b)-len(strings.TrimLeft(b, " \t"))]
					edits = append(edits, edit{l.lineOffset(begin), l.lineOffset(n + 1), indent + stub(c.Name) + "\n"})
				}
			}
		}
	}
	src := l.Source
	nbCalls(l.ast, func(name string, call *ast.CallExpr) {
		var ask string
		switch {
		case name == "Quiz" && len(call.Args) == 4:
			ask = "Ask"
		case name == "TrueFalse" && len(call.Args) == 3:
			ask = "AskTrueFalse"
		case name == "Predict" && len(call.Args) == 4:
			// A prediction whose truth is written in the lesson would
			// show its answer to anyone who reads the copy; one the run
			// computes stays, since the student's own run reveals it.
			if _, lit := call.Args[2].(*ast.BasicLit); !lit {
				return
			}
			ask = "Ask"
		default:
			return
		}
		sel := call.Fun.(*ast.SelectorExpr)
		from := l.fset.PositionFor(call.Pos(), false).Offset
		to := l.fset.PositionFor(call.End(), false).Offset
		pkg := string(src[from:l.fset.PositionFor(sel.Sel.Pos(), false).Offset])
		var args []string
		keep := 2
		if ask == "AskTrueFalse" {
			keep = 1
		}
		for _, a := range call.Args[:keep] {
			args = append(args, string(src[l.fset.PositionFor(a.Pos(), false).Offset:l.fset.PositionFor(a.End(), false).Offset]))
		}
		edits = append(edits, edit{from, to, pkg + ask + "(" + strings.Join(args, ", ") + ")"})
	})
	out := apply(src, edits)
	if _, err := Parse(l.Meta.ID, l.File, out); err != nil {
		return nil, fmt.Errorf("the student's copy of %s does not parse: %w", l.File, err)
	}
	return out, nil
}

// Exercises returns the lesson's exercise names, in order.
func (l *Lesson) Exercises() []string {
	var names []string
	for _, c := range l.Cells {
		if c.Kind == Exercise {
			names = append(names, c.Name)
		}
	}
	return names
}

// ExerciseCode returns the code of the named exercise cell as the lesson
// holds it (one level of indentation removed), and whether it exists.
func (l *Lesson) ExerciseCode(name string) (string, bool) {
	for _, c := range l.Cells {
		if c.Kind == Exercise && c.Name == name {
			return c.Source, true
		}
	}
	return "", false
}

// WithExercise returns the lesson's source with the named exercise cell's
// code replaced by code (as ExerciseCode returns it): how a student's
// exercise is graded against the hidden tests. It fails if the exercise
// does not exist, or if code changes the lesson's cells (a cell marker
// in it) or does not parse.
func (l *Lesson) WithExercise(name, code string) ([]byte, error) {
	for i, c := range l.Cells {
		if c.Kind != Exercise || c.Name != name {
			continue
		}
		if strings.Contains(code, "// %%") || strings.Contains(code, "//%%") {
			return nil, fmt.Errorf("exercise %s: the code holds a cell marker (// %%%%): submit the exercise's code only", name)
		}
		if err := checkExercise(c.Source, code); err != nil {
			return nil, fmt.Errorf("exercise %s: %w", name, err)
		}
		var b bytes.Buffer
		for _, s := range strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n") {
			if s != "" {
				b.WriteString("\t")
			}
			b.WriteString(s + "\n")
		}
		b.WriteString("\n")
		out := apply(l.Source, []edit{{l.lineOffset(c.Marker + 1), l.lineOffset(l.cellEnd(i)), b.String()}})
		nl, err := Parse(l.Meta.ID, l.File, out)
		if err != nil {
			return nil, fmt.Errorf("exercise %s: %w", name, err)
		}
		if len(nl.Cells) != len(l.Cells) {
			return nil, fmt.Errorf("exercise %s: the code holds a cell marker (// %%%%): submit the exercise's code only", name)
		}
		return out, nil
	}
	return nil, fmt.Errorf("lesson %s has no exercise %q", l.Meta.ID, name)
}
