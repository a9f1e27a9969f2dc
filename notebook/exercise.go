package notebook

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// parseCode parses a cell's code as the body of a function.
func parseCode(code string) (*ast.BlockStmt, *token.FileSet, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell.go", "package p\nfunc _() {\n"+code+"\n}\n", 0)
	if err != nil {
		return nil, nil, err
	}
	return f.Decls[0].(*ast.FuncDecl).Body, fset, nil
}

// topNames are the names a cell's code declares at its top level.
func topNames(body *ast.BlockStmt) map[string]bool {
	names := map[string]bool{}
	for _, st := range body.List {
		switch s := st.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, e := range s.Lhs {
					if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
						names[id.Name] = true
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := s.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					switch sp := sp.(type) {
					case *ast.ValueSpec:
						for _, id := range sp.Names {
							names[id.Name] = true
						}
					case *ast.TypeSpec:
						names[sp.Name.Name] = true
					}
				}
			}
		}
	}
	return names
}

// checkExercise applies the rules a student's exercise code must follow,
// so that it cannot reach the hidden tests that run after it in the same
// function: at its top level it may declare only what the instructor's
// cell declares (no shadowing nb, math or the lesson's data), and it may
// assign only to variables it declares itself (no rewriting the data the
// tests read). Calls that change shared data through a method cannot be
// told from reads; the tests should not rely on data an exercise is
// handed.
func checkExercise(instructor, student string) error {
	ib, _, err := parseCode(instructor)
	if err != nil {
		return err
	}
	sb, fset, err := parseCode(student)
	if err != nil {
		return fmt.Errorf("the code does not parse: %v", err)
	}
	allowed := topNames(ib)
	var extra []string
	for n := range topNames(sb) {
		if !allowed[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		var want []string
		for n := range allowed {
			want = append(want, n)
		}
		sort.Strings(want)
		return fmt.Errorf("the code declares %s at its top level; an exercise declares only %s (put helpers inside it)", strings.Join(extra, ", "), strings.Join(want, ", "))
	}
	w := &writeCheck{scopes: []map[string]bool{{}}}
	for n := range allowed {
		w.scopes[0][n] = true
	}
	w.block(sb.List)
	if w.bad != nil {
		return fmt.Errorf("line %d: the code assigns to %s, which it does not declare: an exercise may change only its own variables", fset.Position(w.bad.Pos()).Line-2, w.bad.Name)
	}
	return nil
}

// writeCheck walks code with its scopes and records the first assignment
// to a variable declared outside the code.
type writeCheck struct {
	scopes []map[string]bool
	bad    *ast.Ident
}

func (w *writeCheck) push()                 { w.scopes = append(w.scopes, map[string]bool{}) }
func (w *writeCheck) pop()                  { w.scopes = w.scopes[:len(w.scopes)-1] }
func (w *writeCheck) declare(id *ast.Ident) { w.scopes[len(w.scopes)-1][id.Name] = true }

func (w *writeCheck) local(name string) bool {
	for i := len(w.scopes) - 1; i >= 0; i-- {
		if w.scopes[i][name] {
			return true
		}
	}
	return false
}

// inside is the expression an assignment target writes into: x for x.f,
// x[i], *x and (x); false for anything else.
func inside(e ast.Expr) (ast.Expr, bool) {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		return x.X, true
	case *ast.IndexExpr:
		return x.X, true
	case *ast.IndexListExpr:
		return x.X, true
	case *ast.StarExpr:
		return x.X, true
	case *ast.ParenExpr:
		return x.X, true
	}
	return nil, false
}

// root is the variable an assignment to e writes: x in x, x.f, x[i], *x.
func root(e ast.Expr) *ast.Ident {
	for {
		if id, ok := e.(*ast.Ident); ok {
			return id
		}
		var ok bool
		if e, ok = inside(e); !ok {
			return nil
		}
	}
}

func (w *writeCheck) write(e ast.Expr) {
	if id := root(e); id != nil && id.Name != "_" && !w.local(id.Name) && w.bad == nil {
		w.bad = id
	}
}

func (w *writeCheck) block(list []ast.Stmt) {
	for _, s := range list {
		w.stmt(s)
	}
}

func (w *writeCheck) fields(fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		for _, id := range f.Names {
			w.declare(id)
		}
	}
}

// expr looks into function literals, whose bodies are code too.
func (w *writeCheck) expr(e ast.Node) {
	if e == nil {
		return
	}
	ast.Inspect(e, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok {
			w.push()
			w.fields(fl.Type.Params)
			w.fields(fl.Type.Results)
			w.block(fl.Body.List)
			w.pop()
			return false
		}
		return true
	})
}

func (w *writeCheck) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		w.assign(s)
	case *ast.IncDecStmt:
		w.write(s.X)
	case *ast.DeclStmt:
		w.decl(s)
	case *ast.BlockStmt:
		w.push()
		w.block(s.List)
		w.pop()
	case *ast.IfStmt:
		w.ifStmt(s)
	case *ast.ForStmt:
		w.forStmt(s)
	case *ast.RangeStmt:
		w.rangeStmt(s)
	case *ast.SwitchStmt:
		w.switchStmt(s)
	case *ast.TypeSwitchStmt:
		w.typeSwitch(s)
	case *ast.SelectStmt:
		w.selectStmt(s)
	case *ast.LabeledStmt:
		w.stmt(s.Stmt)
	case *ast.ExprStmt:
		w.expr(s.X)
	case *ast.ReturnStmt:
		for _, e := range s.Results {
			w.expr(e)
		}
	case *ast.DeferStmt:
		w.expr(s.Call)
	case *ast.GoStmt:
		w.expr(s.Call)
	case *ast.SendStmt:
		w.expr(s.Chan)
		w.expr(s.Value)
	}
}

func (w *writeCheck) assign(s *ast.AssignStmt) {
	for _, e := range s.Rhs {
		w.expr(e)
	}
	for _, e := range s.Lhs {
		if s.Tok == token.DEFINE {
			if id, ok := e.(*ast.Ident); ok {
				w.declare(id)
				continue
			}
		}
		w.expr(e)
		w.write(e)
	}
}

func (w *writeCheck) decl(s *ast.DeclStmt) {
	gd, ok := s.Decl.(*ast.GenDecl)
	if !ok {
		return
	}
	for _, sp := range gd.Specs {
		switch sp := sp.(type) {
		case *ast.ValueSpec:
			for _, v := range sp.Values {
				w.expr(v)
			}
			for _, id := range sp.Names {
				w.declare(id)
			}
		case *ast.TypeSpec:
			w.declare(sp.Name)
		}
	}
}

func (w *writeCheck) ifStmt(s *ast.IfStmt) {
	w.push()
	if s.Init != nil {
		w.stmt(s.Init)
	}
	w.expr(s.Cond)
	w.stmt(s.Body)
	if s.Else != nil {
		w.stmt(s.Else)
	}
	w.pop()
}

func (w *writeCheck) forStmt(s *ast.ForStmt) {
	w.push()
	if s.Init != nil {
		w.stmt(s.Init)
	}
	w.expr(s.Cond)
	if s.Post != nil {
		w.stmt(s.Post)
	}
	w.stmt(s.Body)
	w.pop()
}

func (w *writeCheck) rangeStmt(s *ast.RangeStmt) {
	w.expr(s.X)
	w.push()
	for _, e := range []ast.Expr{s.Key, s.Value} {
		if e == nil {
			continue
		}
		if id, ok := e.(*ast.Ident); ok && s.Tok == token.DEFINE {
			w.declare(id)
		} else {
			w.write(e)
		}
	}
	w.stmt(s.Body)
	w.pop()
}

func (w *writeCheck) switchStmt(s *ast.SwitchStmt) {
	w.push()
	if s.Init != nil {
		w.stmt(s.Init)
	}
	w.expr(s.Tag)
	for _, c := range s.Body.List {
		cc := c.(*ast.CaseClause)
		w.push()
		for _, e := range cc.List {
			w.expr(e)
		}
		w.block(cc.Body)
		w.pop()
	}
	w.pop()
}

func (w *writeCheck) typeSwitch(s *ast.TypeSwitchStmt) {
	w.push()
	if s.Init != nil {
		w.stmt(s.Init)
	}
	if a, ok := s.Assign.(*ast.AssignStmt); ok {
		w.expr(a.Rhs[0])
		if id, ok := a.Lhs[0].(*ast.Ident); ok {
			w.declare(id)
		}
	}
	for _, c := range s.Body.List {
		w.push()
		w.block(c.(*ast.CaseClause).Body)
		w.pop()
	}
	w.pop()
}

func (w *writeCheck) selectStmt(s *ast.SelectStmt) {
	for _, c := range s.Body.List {
		cc := c.(*ast.CommClause)
		w.push()
		if cc.Comm != nil {
			w.stmt(cc.Comm)
		}
		w.block(cc.Body)
		w.pop()
	}
}

// SealTests returns src (a lesson with the named exercise) with every
// nb.Check of the exercise's tests cell named with nonce in front, so a
// grader can tell the hidden tests' checks from checks the student's code
// makes. The nonce is drawn per grading and never shown: code that does
// not know it cannot forge a passing test.
func SealTests(l *Lesson, name, nonce string) ([]byte, error) {
	var edits []edit
	for i, c := range l.Cells {
		if c.Kind != Tests || c.Name != name {
			continue
		}
		from, to := c.Marker, l.cellEnd(i)
		nbCalls(l.ast, func(fn string, call *ast.CallExpr) {
			line := l.fset.PositionFor(call.Pos(), false).Line
			if fn != "Check" || len(call.Args) != 3 || line <= from || line >= to {
				return
			}
			a := l.fset.PositionFor(call.Args[0].Pos(), false).Offset
			b := l.fset.PositionFor(call.Args[0].End(), false).Offset
			edits = append(edits, edit{a, b, strconv.Quote(nonce) + " + (" + string(l.Source[a:b]) + ")"})
		})
	}
	if len(edits) == 0 {
		return nil, fmt.Errorf("lesson %s has no hidden tests for exercise %q", l.Meta.ID, name)
	}
	return apply(l.Source, edits), nil
}
