package notebook

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook/sandbox"
)

// A pass is one lesson being checked, the go/analysis way: the parsed and
// type-checked source, and the problems the rules report.
//
// A new check is a function added to fileRules (it looks at the whole
// lesson once) or to nodeRules (it is shown every node of the syntax
// tree and acts on the kinds it knows), with a test case in
// TestCheckerStopsWhatTheSandboxForbids (notebook/worker) or check_test.go.
type pass struct {
	l    *Lesson
	info *types.Info
	errs ErrorList
}

// report records a problem at p.
func (p *pass) report(pos token.Pos, format string, args ...any) {
	at := p.l.fset.PositionFor(pos, false)
	p.errs = append(p.errs, &Error{File: p.l.File, Line: at.Line, Col: at.Column, Msg: fmt.Sprintf(format, args...)})
}

// newPass type-checks the lesson. The imports are stand-ins with empty
// scopes: checking needs no Go toolchain, and what it cannot type it
// leaves alone. Type errors are the interpreter's to report; here types
// only sharpen the checks. Constant arithmetic is the exception: the
// interpreter computes constants without the compiler's limits, so a
// constant that overflows them gives a wrong answer or eats the memory,
// and is reported here.
func newPass(l *Lesson) *pass {
	p := &pass{l: l, info: &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Defs:  map[*ast.Ident]types.Object{},
		Uses:  map[*ast.Ident]types.Object{},
	}}
	conf := types.Config{Importer: emptyImporter{}, Error: func(err error) {
		if te, ok := err.(types.Error); ok && isConstantOverflow(te.Msg) {
			p.report(te.Pos, "%s: a constant this large overflows what Go computes exactly; use float64 values (math.Pow) instead", te.Msg)
		}
	}}
	conf.Check("main", l.fset, []*ast.File{l.ast}, p.info)
	return p
}

// fileRules look at the whole lesson, in this order.
var fileRules = []func(*pass){imports, lineDirectives}

// nodeRules are shown every node of the lesson, in this order.
var nodeRules = []func(*pass, ast.Node){
	reservedNames, packageVariables, nilInMultiAssign, structLitInMultiAssign, callInMultiAssign, deniedNames, goStatements,
	rangeOverInt, loopCapture, mixedConstants, missingBuiltins, genericCalls,
	variantless,
}

// imports: only the sandbox's packages.
func imports(p *pass) {
	for _, im := range p.l.Imports {
		if !sandbox.IsAllowed(im.Path) {
			p.errs = append(p.errs, &Error{File: p.l.File, Line: im.Line,
				Msg: fmt.Sprintf("package %s is not available in lessons (they may import %s)", im.Path, strings.Join(sandbox.Allowed(), ", "))})
		}
	}
}

// lineDirectives: a line directive would move the positions the runner
// reports and plants its hooks at, so a lesson could hide a statement
// from both.
func lineDirectives(p *pass) {
	for _, cg := range p.l.ast.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//line") || strings.HasPrefix(c.Text, "/*line") {
				p.report(c.Pos(), "line directives are not allowed in lessons: they would make errors point at the wrong line; delete the comment")
			}
		}
	}
}

// reservedNames: the runner's hook names.
func reservedNames(p *pass, n ast.Node) {
	if id, ok := n.(*ast.Ident); ok && strings.HasPrefix(id.Name, HookPrefix) {
		p.report(id.Pos(), "the name %s is reserved for the notebook runner; choose another name", id.Name)
	}
}

// packageVariables: an assignment whose target is, or lies inside, a
// package variable (lessons see read-only copies of those), by =, ++ or
// taking its address.
func packageVariables(p *pass, n ast.Node) {
	switch n := n.(type) {
	case *ast.AssignStmt:
		for _, lhs := range n.Lhs {
			p.assigned(lhs)
		}
	case *ast.IncDecStmt:
		p.assigned(n.X)
	case *ast.UnaryExpr:
		if n.Op == token.AND {
			p.assigned(n.X)
		}
	}
}

func (p *pass) assigned(e ast.Expr) {
	for {
		if _, name, ok := p.pkgSel(e); ok {
			p.report(e.Pos(), "lessons cannot change the package variable %s, which the runner shares; change a copy instead (x := %s)", name, name)
			return
		}
		var ok bool
		if e, ok = inside(e); !ok {
			return
		}
	}
}

// pkgSel returns the import path and name of a package-qualified
// identifier such as plots.Gray.
func (p *pass) pkgSel(e ast.Expr) (string, string, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	pn, ok := p.info.Uses[x].(*types.PkgName)
	if !ok {
		return "", "", false
	}
	return pn.Imported().Path(), x.Name + "." + sel.Sel.Name, true
}

// nilInMultiAssign: nil among several assigned values crashes yaegi.
func nilInMultiAssign(p *pass, n ast.Node) {
	as, ok := n.(*ast.AssignStmt)
	if !ok || len(as.Rhs) < 2 {
		return
	}
	for _, r := range as.Rhs {
		if id, ok := r.(*ast.Ident); ok && id.Name == "nil" && p.info.Uses[id] == types.Universe.Lookup("nil") {
			p.report(r.Pos(), "nil in an assignment of several values crashes the lesson interpreter (reflect: New(nil)); assign the nil on a line of its own")
		}
	}
}

// structLitInMultiAssign: a struct literal among several assigned values
// makes the lesson interpreter silently assign zero values to the others
// (a, b := f(), T{...} leaves a zero; seen with yaegi v0.16.1), the worst
// kind of trap: no error, wrong numbers.
func structLitInMultiAssign(p *pass, n ast.Node) {
	var rhs []ast.Expr
	switch s := n.(type) {
	case *ast.AssignStmt:
		rhs = s.Rhs
	case *ast.ValueSpec:
		rhs = s.Values
	}
	if len(rhs) < 2 {
		return
	}
	for _, r := range rhs {
		lit, ok := ast.Unparen(r).(*ast.CompositeLit)
		if !ok {
			continue
		}
		if structLit(p, lit) {
			p.report(r.Pos(), "a struct literal in an assignment of several values makes the lesson interpreter silently zero the other values; assign it on a line of its own")
		}
	}
}

// callInMultiAssign: in an assignment (=, not :=) of several values of
// which some are function calls and some are not, the lesson interpreter
// silently leaves the targets of the others unchanged (x, y = f(), 0.5
// keeps y's old value; x, y = y, f() keeps x's; seen with yaegi v0.16.1,
// the latest release), which is wrong numbers with no error. A
// conversion such as float64(n) is not a call here.
func callInMultiAssign(p *pass, n ast.Node) {
	as, ok := n.(*ast.AssignStmt)
	if !ok || as.Tok != token.ASSIGN || len(as.Rhs) < 2 || len(as.Rhs) != len(as.Lhs) {
		return
	}
	calls := 0
	var other ast.Expr
	for _, r := range as.Rhs {
		if call, ok := ast.Unparen(r).(*ast.CallExpr); ok && !p.info.Types[call.Fun].IsType() {
			calls++
		} else if other == nil {
			other = r
		}
	}
	if calls > 0 && other != nil {
		p.report(other.Pos(), "an assignment (=) of several values, some of them function calls, makes the lesson interpreter silently skip the values that are not calls; assign them on lines of their own (or declare with :=)")
	}
}

// structLit reports whether lit builds a struct. The checker does not
// import the sandbox's packages, so a literal of an imported type
// (annotate.Annotator{...}) has no type here: a literal of a named type
// that is not known to be something else counts as a struct.
func structLit(p *pass, lit *ast.CompositeLit) bool {
	if tv, ok := p.info.Types[lit]; ok && tv.Type != nil && tv.Type != types.Typ[types.Invalid] {
		_, isStruct := tv.Type.Underlying().(*types.Struct)
		return isStruct
	}
	switch lit.Type.(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.StructType:
		return true
	}
	return false
}

// deniedNames: functions and methods the sandbox denies.
func deniedNames(p *pass, n ast.Node) {
	sel, ok := n.(*ast.SelectorExpr)
	if !ok {
		return
	}
	if path, name, ok := p.pkgSel(sel); ok {
		if _, d, denied := sandbox.Denied(path, sel.Sel.Name); denied {
			p.report(sel.Pos(), "%s %s", name, d.Why)
		}
	} else if owners, d, denied := sandbox.DeniedMethod(sel.Sel.Name); denied {
		p.report(sel.Sel.Pos(), "the method %s (of %s) %s; if this is a method of your own, give it another name", sel.Sel.Name, strings.Join(owners, ", "), d.Why)
	}
}

// goStatements: no goroutines.
func goStatements(p *pass, n ast.Node) {
	if g, ok := n.(*ast.GoStmt); ok {
		p.report(g.Pos(), "go statement: lessons may not start goroutines (the interpreter cannot stop one that panics or never ends); call the function directly")
	}
}

// rangeOverInt: yaegi crashes on range over an integer.
func rangeOverInt(p *pass, n ast.Node) {
	if r, ok := n.(*ast.RangeStmt); ok && p.isInt(r.X) {
		p.report(r.Pos(), "range over an integer crashes the lesson interpreter; write for i := 0; i < n; i++ instead")
	}
}

func (p *pass) isInt(e ast.Expr) bool {
	if b, ok := e.(*ast.BasicLit); ok {
		return b.Kind == token.INT
	}
	tv, ok := p.info.Types[e]
	if !ok || tv.Type == nil {
		return false
	}
	b, ok := tv.Type.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsInteger != 0
}

// loopCapture: closures that capture a loop's variables (checkCapture).
func loopCapture(p *pass, n ast.Node) {
	at := p.report
	switch n := n.(type) {
	case *ast.RangeStmt:
		p.l.checkCapture(n, n.Body, p.info, at, rangeVars(n, p.info)...)
	case *ast.ForStmt:
		as, ok := n.Init.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			return
		}
		var vars []*types.Var
		for _, lhs := range as.Lhs {
			if id, ok := lhs.(*ast.Ident); ok {
				if v, ok := p.info.Defs[id].(*types.Var); ok {
					vars = append(vars, v)
				}
			}
		}
		p.l.checkCapture(n, n.Body, p.info, at, vars...)
	}
}

// mixedConstants: yaegi v0.16.1 rejects constant arithmetic between a
// package's float constant and a float literal ("mismatched types
// untyped float64 and untyped float"), as in math.Ln2 - 0.1.
func mixedConstants(p *pass, n ast.Node) {
	b, ok := n.(*ast.BinaryExpr)
	if !ok {
		return
	}
	for _, pair := range [][2]ast.Expr{{b.X, b.Y}, {b.Y, b.X}} {
		sel, ok := pair[0].(*ast.SelectorExpr)
		lit, ok2 := pair[1].(*ast.BasicLit)
		if !ok || !ok2 || lit.Kind != token.FLOAT {
			continue
		}
		if x, ok := sel.X.(*ast.Ident); ok {
			if _, ok := p.info.Uses[x].(*types.PkgName); ok {
				p.report(b.Pos(), "the lesson interpreter cannot mix the constant %s.%s with the literal %s in one constant expression; convert the constant first: float64(%s.%s)", x.Name, sel.Sel.Name, lit.Value, x.Name, sel.Sel.Name)
				return
			}
		}
	}
}

// missingBuiltins: min, max and clear are missing from yaegi v0.16.1.
func missingBuiltins(p *pass, n ast.Node) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return
	}
	id, ok := call.Fun.(*ast.Ident)
	if !ok {
		return
	}
	if b, ok := p.info.Uses[id].(*types.Builtin); ok {
		switch b.Name() {
		case "min", "max":
			p.report(call.Pos(), "the %s builtin is missing from the lesson interpreter; use math.%s for floats, or compare with if", b.Name(), strings.ToUpper(b.Name()[:1])+b.Name()[1:])
		case "clear":
			p.report(call.Pos(), "the clear builtin is missing from the lesson interpreter; make a new map or slice, or delete keys in a loop")
		}
	}
}

// genericCalls: yaegi cannot call the standard library's generic
// functions.
func genericCalls(p *pass, n ast.Node) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return
	}
	if x, ok := sel.X.(*ast.Ident); ok {
		if pn, ok := p.info.Uses[x].(*types.PkgName); ok {
			if alt, ok := genericStdlib[pn.Imported().Path()][sel.Sel.Name]; ok {
				p.report(call.Pos(), "%s.%s is a generic function, which the lesson interpreter cannot call; use %s", x.Name, sel.Sel.Name, alt)
			}
		}
	}
}

// variantless: a pipeline configuration made by hand (a literal, a var
// with no value, or new) has no student variant (the runner binds
// pipeline.Default to it), so it would run in the standard world for
// every student, silently. The import may be renamed; a literal inside a
// slice or map literal with its type left out, or a type alias, escapes
// the rule.
func variantless(p *pass, n ast.Node) {
	var typ ast.Expr
	switch n := n.(type) {
	case *ast.CompositeLit:
		typ = n.Type
	case *ast.ValueSpec:
		if len(n.Values) == 0 {
			typ = n.Type
		}
	case *ast.CallExpr:
		if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "new" && len(n.Args) == 1 {
			if _, ok := p.info.Uses[id].(*types.Builtin); ok {
				typ = n.Args[0]
			}
		}
	}
	sel, ok := typ.(*ast.SelectorExpr)
	if !ok {
		return
	}
	path, _, ok := p.pkgSel(sel)
	if !ok || path != "github.com/rlhfsim/rlhfsim/sim/pipeline" || (sel.Sel.Name != "Config" && sel.Sel.Name != "Data") {
		return
	}
	p.report(n.Pos(), "a pipeline.%s made by hand runs in the standard world for every student; start from c := pipeline.Default() and change its fields", sel.Sel.Name)
}
