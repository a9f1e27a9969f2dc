package notebook

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// CellKind says whether a cell holds prose, code, an exercise or its
// tests.
type CellKind int

// The cell kinds.
const (
	Markdown CellKind = iota
	Code
	// Exercise is code a student writes: "// %% [exercise NAME]". The
	// parts between "// BEGIN SOLUTION" and "// END SOLUTION" lines are
	// the instructor's solution; students see, and their copy holds, a
	// stub in their place.
	Exercise
	// Tests are the hidden tests of an exercise: "// %% [tests NAME]".
	// They run after the exercise, but students never see them, and
	// their copy of the lesson does not hold them; their nb.Check calls
	// grade the exercise.
	Tests
)

func (k CellKind) String() string {
	return [...]string{"markdown", "code", "exercise", "tests"}[k]
}

// IsCode reports whether the cell holds code.
func (c *Cell) IsCode() bool { return c.Kind != Markdown }

// HasSolution reports whether an exercise cell holds the instructor's
// solution (which students see as a stub), not a student's code.
func (c *Cell) HasSolution() bool { return c.solved }

// Solution markers in an exercise cell.
const (
	BeginSolution = "// BEGIN SOLUTION"
	EndSolution   = "// END SOLUTION"
)

// Cell is one notebook cell of a lesson.
type Cell struct {
	Kind CellKind
	// Name is an exercise's or a tests cell's name.
	Name string
	// solved says an exercise holds its solution.
	solved bool
	// Marker is the line of the cell's "// %%" marker; the content starts
	// on the next line.
	Marker int
	// Source is the prose (comment markers removed) or the code (one level
	// of indentation removed).
	Source string
	// Shown is the code as a student sees it: Source with the arguments
	// of every question (nb.Quiz, nb.TrueFalse, nb.Predict, nb.Number)
	// left out, since they hold the answer and its explanation; the
	// question itself is shown as the cell's output. For prose, Shown is
	// Source.
	Shown string
}

// questionFuncs are the nb functions whose arguments hold an answer.
var questionFuncs = map[string]bool{"Quiz": true, "TrueFalse": true, "Predict": true, "Number": true}

// hiddenArgs is what a question's arguments become in shown code.
const hiddenArgs = "/* asked below; the answer stays hidden until you give yours */"

// shownLines returns the file's lines with every question call's
// arguments replaced by hiddenArgs. A call over several lines keeps its
// first line and leaves the others empty, so that the shown code keeps
// the file's line numbers, which error messages cite.
func (l *Lesson) shownLines() [][]byte {
	out := make([][]byte, len(l.lines))
	hidden := map[int]bool{}
	for i, s := range l.lines {
		out[i] = []byte(s)
	}
	nbCalls(l.ast, func(name string, call *ast.CallExpr) {
		if !questionFuncs[name] {
			return
		}
		from := l.fset.PositionFor(call.Lparen, false)
		to := l.fset.PositionFor(call.Rparen, false)
		if hidden[from.Line] || hidden[to.Line] {
			return // inside another question's arguments
		}
		head := l.lines[from.Line-1][:from.Column]
		tail := l.lines[to.Line-1][to.Column-1:]
		out[from.Line-1] = []byte(head + hiddenArgs + tail)
		for n := from.Line + 1; n <= to.Line; n++ {
			out[n-1], hidden[n] = nil, true
		}
		hidden[from.Line] = true
	})
	return out
}

// Meta is a lesson's metadata block.
type Meta struct {
	ID          string   // the lesson's directory name, e.g. "01-hidden-truth"
	Title       string   // Title:
	Summary     string   // Summary:
	Minutes     int      // Minutes:
	LearnBefore []string // Learn-before: lesson IDs, comma-separated
	LearnAfter  []string // Learn-after: lesson IDs, comma-separated
}

// Lesson is a parsed lesson file.
type Lesson struct {
	Meta    Meta
	File    string // the file name errors report
	Source  []byte
	Cells   []Cell
	Imports []Import
	// Helpers is the source of the top-level declarations other than the
	// imports and main, shown to students as an appendix.
	Helpers string
	Params  []ParamSpec

	fset  *token.FileSet
	ast   *ast.File
	lines []string
}

// Import is one import of a lesson.
type Import struct {
	Path string
	Line int
}

// Error is a problem at a place in a lesson file.
type Error struct {
	File      string
	Line, Col int // Col may be 0
	Msg       string
}

func (e *Error) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ErrorList is several problems, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

const (
	markerCode     = "// %%"
	markerMarkdown = "// %% [markdown]"
	markerExercise = "// %% [exercise "
	markerTests    = "// %% [tests "
)

// Parse reads a lesson: metadata, imports, helpers and cells. id is the
// lesson's identifier (its directory name) and file the name errors use.
func Parse(id, file string, src []byte) (*Lesson, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
			var out ErrorList
			for _, e := range list {
				out = append(out, &Error{File: file, Line: e.Pos.Line, Col: e.Pos.Column, Msg: e.Msg})
			}
			return nil, out
		}
		return nil, &Error{File: file, Line: 1, Msg: err.Error()}
	}
	l := &Lesson{File: file, Source: src, fset: fset, ast: f,
		lines: strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")}
	if f.Name.Name != "main" {
		return nil, &Error{File: file, Line: fset.PositionFor(f.Name.Pos(), false).Line, Msg: fmt.Sprintf("package %s: a lesson is package main", f.Name.Name)}
	}
	meta, err := parseMeta(id, file, f, fset)
	if err != nil {
		return nil, err
	}
	l.Meta = meta
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		l.Imports = append(l.Imports, Import{Path: p, Line: fset.PositionFor(im.Pos(), false).Line})
	}
	var main *ast.FuncDecl
	var helpers []string
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			main = fd
			continue
		}
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		start := d.Pos()
		if doc := docOf(d); doc != nil {
			start = doc.Pos()
		}
		helpers = append(helpers, string(src[fset.PositionFor(start, false).Offset:fset.PositionFor(d.End(), false).Offset]))
	}
	if main == nil {
		return nil, &Error{File: file, Line: len(l.lines), Msg: "no func main: a lesson's cells live in the body of main"}
	}
	if main.Body == nil {
		return nil, &Error{File: file, Line: fset.PositionFor(main.Pos(), false).Line, Msg: "func main has no body: a lesson's cells live in the body of main"}
	}
	l.Helpers = strings.Join(helpers, "\n\n")
	cells, err := l.parseCells(main)
	if err != nil {
		return nil, err
	}
	l.Cells = cells
	l.Params = findParams(f, fset)
	return l, nil
}

func docOf(d ast.Decl) *ast.CommentGroup {
	switch d := d.(type) {
	case *ast.FuncDecl:
		return d.Doc
	case *ast.GenDecl:
		return d.Doc
	}
	return nil
}

var metaKeys = map[string]bool{"title": true, "summary": true, "minutes": true, "learn-before": true, "learn-after": true}

func parseMeta(id, file string, f *ast.File, fset *token.FileSet) (Meta, error) {
	m := Meta{ID: id}
	if f.Doc == nil {
		return m, &Error{File: file, Line: 1, Msg: "no metadata: start the file with a comment block of Title:, Summary:, Minutes:, Learn-before: and Learn-after: lines"}
	}
	seen := map[string]bool{}
	for _, c := range f.Doc.List {
		line := fset.PositionFor(c.Pos(), false).Line
		text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
		if text == "" {
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		key := strings.ToLower(strings.TrimSpace(k))
		if !ok || !metaKeys[key] {
			return m, &Error{File: file, Line: line, Msg: fmt.Sprintf("metadata line %q: want Key: value with Key one of Title, Summary, Minutes, Learn-before, Learn-after", text)}
		}
		if seen[key] {
			return m, &Error{File: file, Line: line, Msg: fmt.Sprintf("metadata %s given twice", k)}
		}
		seen[key] = true
		v = strings.TrimSpace(v)
		switch key {
		case "title":
			m.Title = v
		case "summary":
			m.Summary = v
		case "minutes":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 600 {
				return m, &Error{File: file, Line: line, Msg: fmt.Sprintf("Minutes: %q is not a whole number of minutes from 1 to 600", v)}
			}
			m.Minutes = n
		case "learn-before":
			m.LearnBefore = splitIDs(v)
		case "learn-after":
			m.LearnAfter = splitIDs(v)
		}
	}
	for _, k := range []string{"title", "summary", "minutes"} {
		if !seen[k] {
			return m, &Error{File: file, Line: fset.PositionFor(f.Doc.Pos(), false).Line, Msg: fmt.Sprintf("metadata lacks %s:", strings.ToUpper(k[:1])+k[1:])}
		}
	}
	return m, nil
}

func splitIDs(v string) []string {
	var ids []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && s != "-" {
			ids = append(ids, s)
		}
	}
	return ids
}
