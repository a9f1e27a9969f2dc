package notebook

import (
	"fmt"
	"regexp"
	"strings"
)

// exerciseName is the form of an exercise's name.
var exerciseName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// stub is what replaces an exercise's solution in a student's copy.
func stub(name string) string {
	return fmt.Sprintf("panic(%q)", "exercise "+name+": not written yet; write your code here")
}

// checkSolution requires an exercise cell's solution markers to come in
// pairs, not nested, and no cell but an exercise to hold them. An
// exercise without a solution is a student's copy.
func (l *Lesson) checkSolution(c *Cell, body []string) error {
	open := 0
	pairs := 0
	for i, s := range body {
		line := c.Marker + 1 + i
		switch strings.TrimSpace(s) {
		case BeginSolution:
			if c.Kind != Exercise {
				return &Error{File: l.File, Line: line, Msg: BeginSolution + " outside an exercise cell: start the cell with // %% [exercise NAME]"}
			}
			if open > 0 {
				return &Error{File: l.File, Line: line, Msg: BeginSolution + " inside a solution: end the first with " + EndSolution}
			}
			open = line
		case EndSolution:
			if open == 0 {
				return &Error{File: l.File, Line: line, Msg: EndSolution + " without a " + BeginSolution + " above it in its cell"}
			}
			open = 0
			pairs++
		}
	}
	if open > 0 {
		return &Error{File: l.File, Line: open, Msg: BeginSolution + " is not ended: close it with " + EndSolution + " in the same cell"}
	}
	c.solved = pairs > 0
	return nil
}

// stripSolutions replaces each solution of an exercise's code by the stub,
// indented as its BEGIN SOLUTION line.
func stripSolutions(code, name string) string {
	var out []string
	in := false
	for _, s := range strings.Split(code, "\n") {
		switch strings.TrimSpace(s) {
		case BeginSolution:
			in = true
			out = append(out, s[:len(s)-len(strings.TrimLeft(s, " \t"))]+stub(name))
			continue
		case EndSolution:
			in = false
			continue
		}
		if !in {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}
