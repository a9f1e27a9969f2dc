package notebook

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"sort"
	"strings"
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
// with a float literal; and a pipeline configuration written out by hand,
// which would run in the standard world whatever the student's variant.
// It returns nil when there are none.
func (l *Lesson) Check() ErrorList {
	p := newPass(l)
	for _, r := range fileRules {
		r(p)
	}
	ast.Inspect(l.ast, func(n ast.Node) bool {
		for _, r := range nodeRules {
			r(p, n)
		}
		return true
	})
	sort.SliceStable(p.errs, func(i, j int) bool {
		if p.errs[i].Line != p.errs[j].Line {
			return p.errs[i].Line < p.errs[j].Line
		}
		return p.errs[i].Col < p.errs[j].Col
	})
	if len(p.errs) == 0 {
		return nil
	}
	return p.errs
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
// lesson in the course, that the prerequisites have no cycle, and that a
// lesson whose prose names another lesson is linked to it (checkMentions).
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
			return errs
		}
	}
	return append(errs, checkMentions(ls)...)
}
