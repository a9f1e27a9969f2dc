package sandbox

import (
	"go/token"
	"go/types"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/callgraph"
	"golang.org/x/tools/go/callgraph/static"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// sinkFuncs are the functions through which code reaches outside a
// lesson: files, the environment, other processes, the network.
var sinkFuncs = map[string]bool{}

func init() {
	for _, name := range []string{
		"Open", "OpenFile", "Create", "CreateTemp", "ReadFile", "WriteFile", "ReadDir", "DirFS", "CopyFS",
		"Remove", "RemoveAll", "Rename", "Mkdir", "MkdirAll", "MkdirTemp", "Chdir", "Chmod", "Chown", "Lchown", "Chtimes",
		"Truncate", "Symlink", "Link", "Readlink", "Stat", "Lstat",
		"Getenv", "LookupEnv", "Environ", "Setenv", "Unsetenv", "Clearenv", "ExpandEnv", "Exit", "StartProcess",
		"Getwd", "Hostname", "UserHomeDir", "UserCacheDir", "UserConfigDir", "TempDir", "Executable", "OpenInRoot", "OpenRoot",
	} {
		sinkFuncs["os."+name] = true
	}
}

// sink names what fn does outside the lesson, or "".
func sink(fn *ssa.Function) string {
	if fn.Pkg == nil {
		return ""
	}
	p := fn.Pkg.Pkg.Path()
	switch {
	case p == "os" && fn.Signature.Recv() == nil && sinkFuncs["os."+fn.Name()]:
		return "os." + fn.Name()
	case p == "os/exec" || p == "net" || p == "net/http" || p == "io/ioutil" || strings.HasPrefix(p, "github.com/google/renameio"):
		return p + "." + fn.Name()
	case p == "syscall" && (strings.HasPrefix(fn.Name(), "Open") || strings.HasPrefix(fn.Name(), "Unlink") || fn.Name() == "Creat" || fn.Name() == "Getenv"):
		return "syscall." + fn.Name()
	}
	return ""
}

// ownsState reports whether a package's variables are state a lesson
// could share: our own packages and gonum/plot's.
func ownsState(p string) bool {
	return strings.HasPrefix(p, "github.com/rlhfsim/rlhfsim/") || strings.HasPrefix(p, "gonum.org/v1/plot")
}

// reachOut lists what fn itself does outside a lesson: calls to sinks,
// reads of os.Args and os.Stdin, and writes to package variables.
func reachOut(fn *ssa.Function) []string {
	var out []string
	if s := sink(fn); s != "" {
		out = append(out, s)
	}
	for _, b := range fn.Blocks {
		for _, in := range b.Instrs {
			for _, op := range in.Operands(nil) {
				if g, ok := (*op).(*ssa.Global); ok && g.Pkg != nil && g.Pkg.Pkg.Path() == "os" && (g.Name() == "Args" || g.Name() == "Stdin") {
					out = append(out, "reads os."+g.Name())
				}
			}
			var g *ssa.Global
			switch in := in.(type) {
			case *ssa.Store:
				g = rootGlobal(in.Addr)
			case *ssa.MapUpdate:
				if load, ok := in.Map.(*ssa.UnOp); ok && load.Op == token.MUL {
					g = rootGlobal(load.X)
				}
			}
			if g != nil && ownsState(g.Pkg.Pkg.Path()) {
				out = append(out, "writes "+g.Pkg.Pkg.Name()+"."+g.Name())
			}
		}
	}
	return out
}

// rootGlobal returns the package variable an address points into, or nil.
func rootGlobal(v ssa.Value) *ssa.Global {
	for {
		switch x := v.(type) {
		case *ssa.Global:
			return x
		case *ssa.FieldAddr:
			v = x.X
		case *ssa.IndexAddr:
			v = x.X
		default:
			return nil
		}
	}
}

// TestEveryReachOutHasADecision walks the static call graph from every
// exported function and method of the packages lessons may import, and
// requires a decision in reach for each one that reaches a file, the
// environment, standard input or a package variable of ours. A newly
// exported function that does so fails here until someone decides whether
// lessons may have it. The walk follows static calls only: calls through
// interfaces and function values are not followed, which is why the
// worker process, and not this list, is the outer wall.
func TestEveryReachOutHasADecision(t *testing.T) {
	if testing.Short() {
		t.Skip("loads and builds the exposed packages and their dependencies")
	}
	cfg := &packages.Config{Mode: packages.LoadAllSyntax, Tests: false}
	pkgs, err := packages.Load(cfg, Allowed()...)
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("the exposed packages do not load")
	}
	prog, ssaPkgs := ssautil.AllPackages(pkgs, ssa.InstantiateGenerics)
	prog.Build()
	cg := static.CallGraph(prog)

	found := map[string][]string{} // entry point -> what it reaches
	for i, sp := range ssaPkgs {
		if sp == nil {
			continue
		}
		path := pkgs[i].PkgPath
		for _, fn := range exported(prog, sp) {
			key := entryKey(path, fn)
			if what := walk(cg, fn); len(what) > 0 {
				found[key] = what
			}
		}
	}
	for key, what := range found {
		t.Logf("%s: %s", key, strings.Join(what, ", "))
	}
	var missing []string
	for key, what := range found {
		if _, ok := reach[key]; !ok {
			missing = append(missing, key+": "+strings.Join(what, ", "))
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no decision in sandbox.Reach for %s", m)
	}
	for key := range reach {
		if _, ok := found[key]; !ok {
			t.Errorf("sandbox.Reach decides about %s, which reaches nothing outside a lesson (or no longer exists): remove it", key)
		}
	}
}

// exported returns the package's exported, non-generic functions and the
// methods of its exported types.
func exported(prog *ssa.Program, sp *ssa.Package) []*ssa.Function {
	var fns []*ssa.Function
	for name, m := range sp.Members {
		if !isExported(name) {
			continue
		}
		switch m := m.(type) {
		case *ssa.Function:
			if m.TypeParams().Len() == 0 {
				fns = append(fns, m)
			}
		case *ssa.Type:
			named, ok := m.Type().(*types.Named)
			if !ok || named.TypeParams().Len() > 0 {
				continue
			}
			for _, T := range []types.Type{named, types.NewPointer(named)} {
				ms := prog.MethodSets.MethodSet(T)
				for i := 0; i < ms.Len(); i++ {
					sel := ms.At(i)
					if !sel.Obj().Exported() {
						continue
					}
					if fn := prog.MethodValue(sel); fn != nil && fn.Synthetic == "" {
						fns = append(fns, fn)
					}
				}
			}
		}
	}
	return fns
}

func isExported(name string) bool {
	return name != "" && strings.ToUpper(name[:1]) == name[:1] && name[:1] != "_"
}

// entryKey is the reach key of fn: "path.Func" or "path.(*T).M" / "path.T.M".
func entryKey(path string, fn *ssa.Function) string {
	recv := fn.Signature.Recv()
	if recv == nil {
		return path + "." + fn.Name()
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		return path + ".(*" + p.Elem().(*types.Named).Obj().Name() + ")." + fn.Name()
	}
	return path + "." + t.(*types.Named).Obj().Name() + "." + fn.Name()
}

// walk returns what fn reaches outside a lesson through static calls.
func walk(cg *callgraph.Graph, fn *ssa.Function) []string {
	seen := map[*ssa.Function]bool{}
	what := map[string]bool{}
	var visit func(f *ssa.Function)
	visit = func(f *ssa.Function) {
		if seen[f] {
			return
		}
		seen[f] = true
		for _, w := range reachOut(f) {
			what[w] = true
		}
		// Closures defined in f run as part of it.
		for _, an := range f.AnonFuncs {
			visit(an)
		}
		if n := cg.Nodes[f]; n != nil {
			for _, e := range n.Out {
				visit(e.Callee.Func)
			}
		}
	}
	visit(fn)
	var out []string
	for w := range what {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}
