package notebook

import (
	"fmt"
	"go/ast"
	"strings"
)

// parseCells splits main's body at the cell markers.
func (l *Lesson) parseCells(main *ast.FuncDecl) ([]Cell, error) {
	first := l.fset.PositionFor(main.Body.Lbrace, false).Line + 1
	last := l.fset.PositionFor(main.Body.Rbrace, false).Line - 1
	p := &cellParser{l: l, shown: l.shownLines(), stmts: main.Body.List,
		prose: map[int]bool{}, exercises: map[string]bool{}, tested: map[string]bool{}}
	for n := first; n <= last; n++ {
		t := strings.TrimSpace(l.lines[n-1])
		if p.cur != nil && p.cur.Kind == Markdown {
			p.prose[n] = true
		}
		if strings.HasPrefix(t, "// %%") || strings.HasPrefix(t, "//%%") {
			if err := p.marker(n, t); err != nil {
				return nil, err
			}
			continue
		}
		if p.cur == nil {
			if t != "" {
				return nil, &Error{File: l.File, Line: n, Msg: "content before the first cell: begin main's body with // %% [markdown] or // %%"}
			}
			continue
		}
		p.body = append(p.body, l.lines[n-1])
		p.shownBody = append(p.shownBody, string(p.shown[n-1]))
	}
	if err := p.flush(); err != nil {
		return nil, err
	}
	if err := p.blockComments(); err != nil {
		return nil, err
	}
	if len(p.cells) == 0 {
		return nil, &Error{File: l.File, Line: first, Msg: "main has no cells: mark them with // %% [markdown] and // %%"}
	}
	return p.cells, nil
}

// cellParser splits main's body into cells, line by line.
type cellParser struct {
	l     *Lesson
	shown [][]byte // the lines as students see them (shownLines)
	cells []Cell
	// cur is the cell being read, with its lines as written and as shown.
	cur             *Cell
	body, shownBody []string
	// stmts are main's top-level statements and next the first that may
	// still hold a marker (see inside).
	stmts []ast.Stmt
	next  int
	// prose marks the lines a reader sees as prose or markers: no block
	// comment may cover them, or code could hide in what looks like text.
	prose             map[int]bool
	markers           int
	exercises, tested map[string]bool
}

// inside reports whether line falls inside one of main's top-level
// statements. A marker must sit between them: the runner turns it into a
// call, which inside a loop would restart the cell's clock on every pass.
// Statements come in source order and markers are met in line order, so
// one pass over both finds the statement around each marker: the parse
// stays linear in the lesson's size however many cells it has.
func (p *cellParser) inside(line int) bool {
	fset := p.l.fset
	for p.next < len(p.stmts) && fset.PositionFor(p.stmts[p.next].End(), false).Line < line {
		p.next++
	}
	return p.next < len(p.stmts) && fset.PositionFor(p.stmts[p.next].Pos(), false).Line < line
}

// marker ends the current cell at the marker t on line n and starts the
// cell it names.
func (p *cellParser) marker(n int, t string) error {
	file := p.l.File
	p.prose[n] = true
	if p.markers++; p.markers > MaxCells {
		return &Error{File: file, Line: n, Msg: fmt.Sprintf("more than %d cells: split the lesson into several", MaxCells)}
	}
	if p.inside(n) {
		return &Error{File: file, Line: n, Msg: "a cell marker inside a block: cells split main's body between its top-level statements; move the marker out of the block"}
	}
	var kind CellKind
	var name string
	switch {
	case t == markerCode:
		kind = Code
	case t == markerMarkdown:
		kind = Markdown
	case strings.HasPrefix(t, markerExercise) && strings.HasSuffix(t, "]"):
		kind, name = Exercise, strings.TrimSuffix(strings.TrimPrefix(t, markerExercise), "]")
	case strings.HasPrefix(t, markerTests) && strings.HasSuffix(t, "]"):
		kind, name = Tests, strings.TrimSuffix(strings.TrimPrefix(t, markerTests), "]")
	default:
		return &Error{File: file, Line: n, Msg: fmt.Sprintf("unknown cell marker %q: use %q, %q, %q or %q", t, markerCode, markerMarkdown, markerExercise+"NAME]", markerTests+"NAME]")}
	}
	if kind == Exercise || kind == Tests {
		if err := p.exercise(n, kind, name); err != nil {
			return err
		}
	}
	if err := p.flush(); err != nil {
		return err
	}
	p.cur, p.body, p.shownBody = &Cell{Kind: kind, Name: name, Marker: n}, nil, nil
	return nil
}

// exercise checks an exercise or tests marker's name: well formed, one
// exercise of each name, and its one tests cell after it.
func (p *cellParser) exercise(n int, kind CellKind, name string) error {
	file := p.l.File
	if !exerciseName.MatchString(name) {
		return &Error{File: file, Line: n, Msg: fmt.Sprintf("exercise name %q: use lower-case letters, digits and dashes, starting with a letter, at most 40", name)}
	}
	if kind == Exercise && p.exercises[name] {
		return &Error{File: file, Line: n, Msg: fmt.Sprintf("a second exercise named %q: give each exercise its own name", name)}
	}
	if kind == Tests && (!p.exercises[name] || p.tested[name]) {
		return &Error{File: file, Line: n, Msg: fmt.Sprintf("tests of %q: an exercise's one tests cell follows its exercise cell", name)}
	}
	p.exercises[name] = p.exercises[name] || kind == Exercise
	p.tested[name] = p.tested[name] || kind == Tests
	return nil
}

// flush finishes the current cell: prose without its comment marks, code
// without main's indent, and its shown form.
func (p *cellParser) flush() error {
	cur := p.cur
	if cur == nil {
		return nil
	}
	body := trimBlank(p.body)
	if cur.Kind == Markdown {
		for i, s := range body {
			t := strings.TrimSpace(s)
			if t != "" && !strings.HasPrefix(t, "//") {
				return &Error{File: p.l.File, Line: cur.Marker + 1 + i, Msg: "code in a markdown cell: prose lines start with //; start a code cell with // %%"}
			}
			t = strings.TrimPrefix(t, "//")
			body[i] = strings.TrimPrefix(t, " ")
		}
	} else {
		for i, s := range body {
			body[i] = strings.TrimPrefix(s, "\t")
		}
		p.shownBody = trimBlank(p.shownBody)
		for i, s := range p.shownBody {
			p.shownBody[i] = strings.TrimPrefix(s, "\t")
		}
	}
	cur.Source = strings.Join(body, "\n")
	cur.Shown = cur.Source
	if cur.IsCode() {
		cur.Shown = strings.Join(p.shownBody, "\n")
	}
	if err := p.l.checkSolution(cur, body); err != nil {
		return err
	}
	if cur.Kind == Exercise {
		cur.Shown = stripSolutions(cur.Shown, cur.Name)
	}
	p.cells = append(p.cells, *cur)
	return nil
}

// blockComments refuses a block comment over prose or a marker.
func (p *cellParser) blockComments() error {
	fset := p.l.fset
	for _, g := range p.l.ast.Comments {
		for _, c := range g.List {
			if !strings.HasPrefix(c.Text, "/*") {
				continue
			}
			from, to := fset.PositionFor(c.Pos(), false).Line, fset.PositionFor(c.End(), false).Line
			for n := from; n <= to; n++ {
				if p.prose[n] {
					return &Error{File: p.l.File, Line: n, Msg: fmt.Sprintf("a block comment (from line %d) runs into a cell marker or a line of prose, where code it hides would run unseen: close it on its own code line, or use // comments", from)}
				}
			}
		}
	}
	return nil
}

// trimBlank drops the blank lines at both ends.
func trimBlank(body []string) []string {
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	return body
}
