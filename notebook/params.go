package notebook

import (
	"go/ast"
	"go/token"
	"path"
	"strconv"
)

// nbCalls calls fn with every call of a function of package nb in f (by
// whatever name the file imports it), with the function's name.
func nbCalls(f *ast.File, fn func(name string, call *ast.CallExpr)) {
	nbName := ""
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == nbPath {
			nbName = path.Base(p)
			if im.Name != nil {
				nbName = im.Name.Name
			}
		}
	}
	if nbName == "" {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == nbName {
			fn(sel.Sel.Name, call)
		}
		return true
	})
}

// NBCalls calls fn with every call of a function of package nb in the
// lesson, with the function's name: what course tests read quizzes and
// parameters from without running anything.
func (l *Lesson) NBCalls(fn func(name string, call *ast.CallExpr)) { nbCalls(l.ast, fn) }

// findParams reads the nb.Float, nb.Int, nb.Bool and nb.Choice calls whose
// name is a string literal.
func findParams(f *ast.File, fset *token.FileSet) []ParamSpec {
	var specs []ParamSpec
	lit := func(e ast.Expr) string {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind == token.STRING {
				s, _ := strconv.Unquote(e.Value)
				return s
			}
			return e.Value
		case *ast.UnaryExpr:
			if b, ok := e.X.(*ast.BasicLit); ok && e.Op == token.SUB {
				return "-" + b.Value
			}
		case *ast.Ident:
			if e.Name == "true" || e.Name == "false" {
				return e.Name
			}
		}
		return ""
	}
	nbCalls(f, func(fn string, call *ast.CallExpr) {
		typ := map[string]string{"Float": "float", "Int": "int", "Bool": "bool", "Choice": "choice"}[fn]
		if typ == "" || len(call.Args) < 2 {
			return
		}
		name := lit(call.Args[0])
		if name == "" {
			return
		}
		s := ParamSpec{Name: name, Type: typ, Default: lit(call.Args[1]), Line: fset.PositionFor(call.Pos(), false).Line}
		s.Help = lit(call.Args[len(call.Args)-1])
		switch typ {
		case "float", "int":
			if len(call.Args) == 5 {
				s.Min, s.Max = lit(call.Args[2]), lit(call.Args[3])
			}
		case "choice":
			if len(call.Args) == 4 {
				if cl, ok := call.Args[2].(*ast.CompositeLit); ok {
					for _, e := range cl.Elts {
						s.Options = append(s.Options, lit(e))
					}
				}
			}
		}
		specs = append(specs, s)
	})
	return specs
}

// Syntax returns the lesson's parsed file, its file set and its source
// lines, for the runner that plants its hooks in them.
func (l *Lesson) Syntax() (*token.FileSet, *ast.File, []string) {
	return l.fset, l.ast, l.lines
}
