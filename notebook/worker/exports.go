package worker

import (
	"fmt"
	"go/ast"
	"maps"
	"path"
	"reflect"
	"strings"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"github.com/rlhfsim/rlhfsim/internal/nbcell"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/sandbox"
	"github.com/rlhfsim/rlhfsim/notebook/symbols"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

const hookPkg = "github.com/rlhfsim/rlhfsim/internal/nbcell"

// instrument returns the lesson's source with the cell and line hooks
// planted without moving any line: the hook import joins the package
// clause's line, each marker comment becomes a Cell call, and each
// top-level statement of main starts with a Line call. shifts records, per
// line, the column of the planted call and its length, to correct the
// columns of error messages. Positions ignore line directives, which the
// checker rejects anyway.
func instrument(l *notebook.Lesson) (string, map[int][2]int) {
	fset, f, src := l.Syntax()
	lines := append([]string(nil), src...)
	shifts := map[int][2]int{}
	pk := fset.PositionFor(f.Name.End(), false)
	lines[pk.Line-1] = lines[pk.Line-1][:pk.Column-1] + `; import __nbcell "` + hookPkg + `"` + lines[pk.Line-1][pk.Column-1:]
	for i, c := range l.Cells {
		lines[c.Marker-1] = fmt.Sprintf("__nbcell.Cell(%d)", i)
	}
	var main *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			main = fd
		}
	}
	for _, st := range main.Body.List {
		p := fset.PositionFor(st.Pos(), false)
		if _, ok := shifts[p.Line]; ok {
			continue // two statements on one line: one hook is enough
		}
		hook := fmt.Sprintf("__nbcell.Line(%d); ", p.Line)
		s := lines[p.Line-1]
		lines[p.Line-1] = s[:p.Column-1] + hook + s[p.Column-1:]
		shifts[p.Line] = [2]int{p.Column, len(hook)}
	}
	return strings.Join(lines, "\n"), shifts
}

// Exports returns the interpreter's symbols for a lesson: the allowed
// packages through the sandbox's filter (with "." so that fmt's printing
// goes to the captured output), and the runner's hooks.
func Exports() interp.Exports { return ExportsFor(world.Variant{}) }

// ExportsFor is Exports for a lesson run in a student's variant of the
// hidden world. The variant travels as a value: the engine's defaults
// that depend on the world (the default and linear gold, a world with no
// gold given, the annotators' quirk, the default pipeline) are bound to
// it here, in the lesson's view of those packages, so the same lesson
// source runs in each student's world and the engine keeps no global.
func ExportsFor(v world.Variant) interp.Exports {
	ex := exports()
	if v.Code == "" {
		return ex
	}
	const sim = "github.com/rlhfsim/rlhfsim/sim/"
	bind := func(pkg, name string, f any) {
		key := sim + pkg + "/" + path.Base(pkg)
		if _, ok := ex[key][name]; !ok {
			panic("worker: no symbol " + pkg + "." + name + " to bind to the variant")
		}
		// A copy: the generated tables are shared by every run.
		syms := maps.Clone(ex[key])
		syms[name] = reflect.ValueOf(f)
		ex[key] = syms
	}
	newWorld := func(s *world.Settings) (*world.World, error) {
		c := world.Settings{Variant: v}
		if s != nil {
			c = *s
			if c.Variant.Code == "" {
				c.Variant = v
			}
		}
		return world.New(&c)
	}
	bind("world", "New", newWorld)
	bind("world", "Default", func() *world.World {
		w, err := newWorld(nil)
		if err != nil {
			panic(err)
		}
		return w
	})
	bind("world", "DefaultGoldSpec", v.DefaultGold)
	bind("world", "LinearGoldSpec", v.LinearGold)
	bind("world", "DefaultGold", func() world.GoldFunc { return v.DefaultGold().Func() })
	bind("world", "LinearGold", func() world.GoldFunc { return v.LinearGold().Func() })
	bind("world", "GoldByName", v.GoldByName)
	bind("annotate", "Quirk", func(strength float64) annotate.Bias { return annotate.QuirkOf(v, strength) })
	bind("annotate", "Flaw", func(strength float64) annotate.Bias { return annotate.FlawOf(v, strength) })
	bind("pipeline", "Default", func() pipeline.Config { return pipeline.DefaultFor(v) })
	return ex
}

// exports is every package a lesson may import, filtered by the sandbox.
func exports() interp.Exports {
	all := map[string]map[string]reflect.Value{}
	for k, v := range stdlib.Symbols {
		all[k] = v
	}
	for k, v := range symbols.Symbols {
		all[k] = v
	}
	ex := interp.Exports(sandbox.Filter(all))
	ex["."] = stdlib.Symbols["."]
	ex[hookPkg+"/nbcell"] = map[string]reflect.Value{
		"Cell": reflect.ValueOf(nbcell.Cell),
		"Line": reflect.ValueOf(nbcell.Line),
	}
	return ex
}
