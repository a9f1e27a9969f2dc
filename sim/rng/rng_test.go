package rng

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStreamsAreNamedAndDistinct reads every Go file of the project and
// collects the name of every rng.Stream call. A name must be a constant of
// this package or a string literal, never computed (rng.Policy+1 once
// equalled rng.Eval, and lesson 06 drew its pool and its gradient
// estimates from one stream); and all the names in use must hash to
// distinct PCG states, so no two of them ever share numbers.
func TestStreamsAreNamedAndDistinct(t *testing.T) {
	consts := map[string]string{}
	for _, n := range Names {
		consts[n] = n
	}
	fset := token.NewFileSet()
	used := map[string]string{} // name -> where
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "symbols" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Stream" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "rng" {
				return true
			}
			where := fset.Position(call.Pos()).String()
			var name string
			switch a := call.Args[1].(type) {
			case *ast.BasicLit:
				name, _ = strconv.Unquote(a.Value)
			case *ast.SelectorExpr:
				if x, ok := a.X.(*ast.Ident); ok && x.Name == "rng" {
					for _, c := range Names {
						if constName(c) == a.Sel.Name {
							name = c
						}
					}
				}
			}
			if name == "" {
				t.Errorf("%s: the stream's name is computed; use an rng constant or a string literal", where)
				return true
			}
			used[name] = where
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < len(Names) {
		t.Errorf("found %d stream names in use, fewer than the %d constants: is the walk reading the project?", len(used), len(Names))
	}
	for n := range consts {
		used[n] = "rng.Names"
	}
	byHash := map[uint64]string{}
	for n := range used {
		h := Hash(n)
		if other, ok := byHash[h]; ok {
			t.Errorf("streams %q and %q hash alike", n, other)
		}
		byHash[h] = n
	}
	// Different names give different numbers for one seed.
	first := map[uint64]string{}
	for n := range used {
		x := Stream(1, n).Uint64()
		if other, ok := first[x]; ok {
			t.Errorf("streams %q and %q start with the same number", n, other)
		}
		first[x] = n
	}
}

// constName maps a constant's value back to its identifier, read from
// rng.go, so the test needs no second list.
func constName(v string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "rng.go", nil, 0)
	if err != nil {
		return ""
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, id := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					if s, _ := strconv.Unquote(lit.Value); s == v {
						return id.Name
					}
				}
			}
		}
	}
	return ""
}

func TestOfKeepsTheNumbers(t *testing.T) {
	a, b := Stream(3, Data), Stream(3, Data)
	r := Of(b)
	if r != b {
		t.Error("Of wrapped a *rand.Rand")
	}
	for i := 0; i < 10; i++ {
		if a.Float64() != Of(b).Float64() {
			t.Fatal("Of changed the numbers")
		}
	}
}
