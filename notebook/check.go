package notebook

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"sort"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook/sandbox"
)

// nbPath is the import path of the lesson API.
const nbPath = "github.com/rlhfsim/rlhfsim/nb"

// HookPrefix starts every name the runner plants in a lesson's source; a
// lesson may not use such a name, so it cannot call the runner's hooks.
const HookPrefix = "__nb"

// genericStdlib lists the generic functions of the allowed standard
// packages, which the interpreter cannot call, with what to use instead.
var genericStdlib = map[string]map[string]string{
	"math/rand/v2": {"N": "rand.IntN or rand.Int64N"},
}

// Check reports, each with its line and an alternative, what a lesson may
// not do and the constructs that fail or misbehave under the lesson
// interpreter (yaegi v0.16.1): imports outside the sandbox's allowlist,
// functions and methods the sandbox denies (files, standard input),
// assignments to package variables, goroutines, line directives and the
// runner's hook names; range over an integer, the min, max and clear
// builtins, generic standard-library functions, loop variables captured by
// closures, and constant arithmetic that mixes a package's float constant
// with a float literal. It returns nil when there are none.
func (l *Lesson) Check() ErrorList {
	var errs ErrorList
	at := func(p token.Pos, format string, args ...any) {
		pos := l.fset.PositionFor(p, false)
		errs = append(errs, &Error{File: l.File, Line: pos.Line, Col: pos.Column, Msg: fmt.Sprintf(format, args...)})
	}
	for _, im := range l.Imports {
		if !sandbox.IsAllowed(im.Path) {
			errs = append(errs, &Error{File: l.File, Line: im.Line,
				Msg: fmt.Sprintf("package %s is not available in lessons (they may import %s)", im.Path, strings.Join(sandbox.Allowed(), ", "))})
		}
	}
	// A line directive would move the positions the runner reports and
	// plants its hooks at, so a lesson could hide a statement from both.
	for _, cg := range l.ast.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//line") || strings.HasPrefix(c.Text, "/*line") {
				at(c.Pos(), "line directives are not allowed in lessons: they would make errors point at the wrong line; delete the comment")
			}
		}
	}
	info := &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Defs:  map[*ast.Ident]types.Object{},
		Uses:  map[*ast.Ident]types.Object{},
	}
	// The imports are stand-ins with empty scopes: checking needs no Go
	// toolchain, and what it cannot type it leaves alone. Type errors are
	// the interpreter's to report; here types only sharpen the checks.
	// Constant arithmetic is the exception: the interpreter computes
	// constants without the compiler's limits, so a constant that
	// overflows them gives a wrong answer or eats the memory, and is
	// reported here.
	conf := types.Config{Importer: emptyImporter{}, Error: func(err error) {
		if te, ok := err.(types.Error); ok && isConstantOverflow(te.Msg) {
			at(te.Pos, "%s: a constant this large overflows what Go computes exactly; use float64 values (math.Pow) instead", te.Msg)
		}
	}}
	conf.Check("main", l.fset, []*ast.File{l.ast}, info)

	isInt := func(e ast.Expr) bool {
		if b, ok := e.(*ast.BasicLit); ok {
			return b.Kind == token.INT
		}
		tv, ok := info.Types[e]
		if !ok || tv.Type == nil {
			return false
		}
		b, ok := tv.Type.Underlying().(*types.Basic)
		return ok && b.Info()&types.IsInteger != 0
	}
	// pkgSel returns the import path and name of a package-qualified
	// identifier such as plots.Gray.
	pkgSel := func(e ast.Expr) (string, string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", "", false
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return "", "", false
		}
		pn, ok := info.Uses[x].(*types.PkgName)
		if !ok {
			return "", "", false
		}
		return pn.Imported().Path(), x.Name + "." + sel.Sel.Name, true
	}
	// assigned reports an assignment whose target is, or lies inside, a
	// package variable: lessons see read-only copies of those.
	assigned := func(e ast.Expr) {
		for {
			if _, name, ok := pkgSel(e); ok {
				at(e.Pos(), "lessons cannot change the package variable %s, which the runner shares; change a copy instead (x := %s)", name, name)
				return
			}
			var ok bool
			if e, ok = inside(e); !ok {
				return
			}
		}
	}
	ast.Inspect(l.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if strings.HasPrefix(n.Name, HookPrefix) {
				at(n.Pos(), "the name %s is reserved for the notebook runner; choose another name", n.Name)
			}
		case *ast.AssignStmt:
			for _, lhs := range n.Lhs {
				assigned(lhs)
			}
			if len(n.Rhs) > 1 {
				for _, r := range n.Rhs {
					if id, ok := r.(*ast.Ident); ok && id.Name == "nil" && info.Uses[id] == types.Universe.Lookup("nil") {
						at(r.Pos(), "nil in an assignment of several values crashes the lesson interpreter (reflect: New(nil)); assign the nil on a line of its own")
					}
				}
			}
		case *ast.IncDecStmt:
			assigned(n.X)
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				assigned(n.X)
			}
		case *ast.SelectorExpr:
			if p, name, ok := pkgSel(n); ok {
				if _, d, denied := sandbox.Denied(p, n.Sel.Name); denied {
					at(n.Pos(), "%s %s", name, d.Why)
				}
			} else if owners, d, denied := sandbox.DeniedMethod(n.Sel.Name); denied {
				at(n.Sel.Pos(), "the method %s (of %s) %s; if this is a method of your own, give it another name", n.Sel.Name, strings.Join(owners, ", "), d.Why)
			}
		case *ast.GoStmt:
			at(n.Pos(), "go statement: lessons may not start goroutines (the interpreter cannot stop one that panics or never ends); call the function directly")
		case *ast.RangeStmt:
			if isInt(n.X) {
				at(n.Pos(), "range over an integer crashes the lesson interpreter; write for i := 0; i < n; i++ instead")
			}
			l.checkCapture(n, n.Body, info, at, rangeVars(n, info)...)
		case *ast.ForStmt:
			if as, ok := n.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
				var vars []*types.Var
				for _, lhs := range as.Lhs {
					if id, ok := lhs.(*ast.Ident); ok {
						if v, ok := info.Defs[id].(*types.Var); ok {
							vars = append(vars, v)
						}
					}
				}
				l.checkCapture(n, n.Body, info, at, vars...)
			}
		case *ast.BinaryExpr:
			// yaegi v0.16.1 rejects constant arithmetic between a package's
			// float constant and a float literal ("mismatched types untyped
			// float64 and untyped float"), as in math.Ln2 - 0.1.
			for _, pair := range [][2]ast.Expr{{n.X, n.Y}, {n.Y, n.X}} {
				sel, ok := pair[0].(*ast.SelectorExpr)
				lit, ok2 := pair[1].(*ast.BasicLit)
				if !ok || !ok2 || lit.Kind != token.FLOAT {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok {
					if _, ok := info.Uses[x].(*types.PkgName); ok {
						at(n.Pos(), "the lesson interpreter cannot mix the constant %s.%s with the literal %s in one constant expression; convert the constant first: float64(%s.%s)", x.Name, sel.Sel.Name, lit.Value, x.Name, sel.Sel.Name)
						break
					}
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok {
				if b, ok := info.Uses[id].(*types.Builtin); ok {
					switch b.Name() {
					case "min", "max":
						at(n.Pos(), "the %s builtin is missing from the lesson interpreter; use math.%s for floats, or compare with if", b.Name(), strings.ToUpper(b.Name()[:1])+b.Name()[1:])
					case "clear":
						at(n.Pos(), "the clear builtin is missing from the lesson interpreter; make a new map or slice, or delete keys in a loop")
					}
				}
			}
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok {
					if pn, ok := info.Uses[x].(*types.PkgName); ok {
						if alt, ok := genericStdlib[pn.Imported().Path()][sel.Sel.Name]; ok {
							at(n.Pos(), "%s.%s is a generic function, which the lesson interpreter cannot call; use %s", x.Name, sel.Sel.Name, alt)
						}
					}
				}
			}
		}
		return true
	})
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Col < errs[j].Col
	})
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func rangeVars(n *ast.RangeStmt, info *types.Info) []*types.Var {
	if n.Tok != token.DEFINE {
		return nil
	}
	var vars []*types.Var
	for _, e := range []ast.Expr{n.Key, n.Value} {
		if id, ok := e.(*ast.Ident); ok {
			if v, ok := info.Defs[id].(*types.Var); ok {
				vars = append(vars, v)
			}
		}
	}
	return vars
}

// checkCapture reports closures in a loop body that use the loop's
// variables: the interpreter shares one variable across iterations, as Go
// did before 1.22, so every closure would see the last value.
func (l *Lesson) checkCapture(loop ast.Node, body *ast.BlockStmt, info *types.Info, at func(token.Pos, string, ...any), vars ...*types.Var) {
	if len(vars) == 0 {
		return
	}
	ast.Inspect(body, func(n ast.Node) bool {
		fl, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		reported := map[*types.Var]bool{}
		ast.Inspect(fl.Body, func(m ast.Node) bool {
			id, ok := m.(*ast.Ident)
			if !ok {
				return true
			}
			for _, v := range vars {
				if info.Uses[id] == v && !reported[v] {
					reported[v] = true
					at(fl.Pos(), "this closure captures the loop variable %s, which the lesson interpreter shares across iterations (as Go did before 1.22); copy it first: %s := %s", v.Name(), v.Name(), v.Name())
				}
			}
			return true
		})
		return false
	})
}

func isConstantOverflow(msg string) bool {
	return strings.Contains(msg, "overflow") || strings.Contains(msg, "shift count") || strings.Contains(msg, "excessive")
}

// emptyImporter gives every import an empty, complete package.
type emptyImporter struct{}

func (emptyImporter) Import(p string) (*types.Package, error) {
	name := path.Base(p)
	if strings.HasPrefix(name, "v") && len(name) <= 3 && strings.Contains(p, "/") {
		name = path.Base(path.Dir(p)) // math/rand/v2 is package rand
	}
	pkg := types.NewPackage(p, name)
	pkg.MarkComplete()
	return pkg, nil
}

// CheckCourse checks that every learn-before and learn-after entry names a
// lesson in the course and that the prerequisites have no cycle.
func CheckCourse(ls []*Lesson) ErrorList {
	var errs ErrorList
	ids := map[string]*Lesson{}
	for _, l := range ls {
		ids[l.Meta.ID] = l
	}
	for _, l := range ls {
		for _, ref := range append(append([]string(nil), l.Meta.LearnBefore...), l.Meta.LearnAfter...) {
			if ids[ref] == nil {
				errs = append(errs, &Error{File: l.File, Line: 1, Msg: fmt.Sprintf("metadata names lesson %q, which the course does not have", ref)})
			}
		}
	}
	// Depth-first search for a cycle in the learn-before graph.
	state := map[string]int{}
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case 1:
			return true
		case 2:
			return false
		}
		state[id] = 1
		if l := ids[id]; l != nil {
			for _, p := range l.Meta.LearnBefore {
				if visit(p) {
					return true
				}
			}
		}
		state[id] = 2
		return false
	}
	for _, l := range ls {
		if visit(l.Meta.ID) {
			errs = append(errs, &Error{File: l.File, Line: 1, Msg: "the learn-before links form a cycle"})
			break
		}
	}
	return errs
}
