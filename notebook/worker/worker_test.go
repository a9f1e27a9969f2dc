package worker

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/traefik/yaegi/interp"
	"gonum.org/v1/plot/plotter"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestMain lets this test binary serve as the lesson worker, as the
// rlhfsim binary does: Run starts the running executable again.
func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

const header = "// Title: T\n// Summary: S\n// Minutes: 3\n"

// lesson builds a three-cell lesson whose middle cell is body. In the
// generated file the second cell's marker is on line 20 and its body
// starts on 21; each extra import moves both down one.
func lesson(t testing.TB, body string, imports ...string) *notebook.Lesson {
	t.Helper()
	src := header + "package main\n\nimport (\n"
	for _, im := range append([]string{"fmt", "github.com/rlhfsim/rlhfsim/nb"}, imports...) {
		if name, path, ok := strings.Cut(im, " "); ok {
			src += "\t" + name + " \"" + path + "\"\n" // a renamed import
			continue
		}
		src += "\t\"" + im + "\"\n"
	}
	src += ")\n\nvar _ = fmt.Sprint\nvar _ = nb.Seed\n\nfunc boom(s []int) int { return s[3] }\n\nfunc main() {\n\t// %%\n\tfmt.Println(\"first cell\")\n\n\t// %%\n" + body + "\n\n\t// %%\n\tfmt.Println(\"last cell\")\n}\n"
	l, err := notebook.Parse("t", "t.go", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return l
}

// small limits make the failures fast; the defaults are tested through
// the command line.
var small = Limits{Cell: 2 * time.Second, Memory: 512 << 20}

// TestEveryWayALessonCanFail runs a lesson that fails in each way the
// runner knows, each in its own worker, and checks the kind of stop, the
// message (which names the file, the line and for a running lesson the
// cell), and the cell statuses.
func TestEveryWayALessonCanFail(t *testing.T) {
	const cell = `in the cell at line 20; the rest of the lesson was not run$`
	for _, c := range []struct {
		name, body string
		imports    []string
		limits     Limits
		kind       notebook.StopKind
		want       string // regexp on the error
	}{
		{"endless loop", "\tfor {\n\t}", nil, Limits{Cell: 300 * time.Millisecond}, notebook.StopTimeout, `^t\.go:21: did not finish within 300ms \(an endless loop, or slow work\? raise --timeout if it is only slow\) ` + cell},
		{"panic", "\tpanic(\"on purpose\")", nil, small, notebook.StopPanic, `^t\.go:21: panic: on purpose; the rest of the lesson was not run$`},
		{"runtime error", "\tfmt.Println(boom(nil))", nil, small, notebook.StopPanic, `^t\.go:21: panic: .*index out of range.* \(inside boom\)`},
		{"compile error", "\tx := undefinedName + 1\n\t_ = x", nil, small, notebook.StopCompile, `^t\.go:21:7: undefined: undefinedName$`},
		{"unbounded recursion", "\tvar f func(int) int\n\tf = func(n int) int { return f(n+1) + 1 }\n\tfmt.Println(f(0))", nil, small, notebook.StopStack,
			`^t\.go:23: stack overflow: the lesson's stack grew past 64 MiB \(unbounded recursion\?\) ` + cell},
		{"make bomb", "\tx := make([]float64, 1<<40)\n\tfmt.Println(len(x))", nil, small, notebook.StopMemory,
			`^t\.go:21: used more than 512 MiB of memory \(a huge or endlessly growing allocation\? raise --memory if the lesson really needs more\) ` + cell},
		{"append growth", "\tvar xs [][]float64\n\tfor {\n\t\txs = append(xs, make([]float64, 1<<20))\n\t}", nil, small, notebook.StopMemory, `^t\.go:22: used more than 512 MiB of memory`},
		{"compiled work past the time limit", "\tc := pipeline.Default()\n\tc.Data.Prompts = 100000\n\tc.RM.Epochs = 200\n\tc.RM.Patience = 200\n\t_, _, err := c.Reward()\n\tfmt.Println(err)",
			[]string{"github.com/rlhfsim/rlhfsim/sim/pipeline"}, Limits{Cell: 300 * time.Millisecond}, notebook.StopTimeout, `^t\.go:26: did not finish within 300ms`},
		{"plot callback that panics", "\tp := plot.New()\n\tp.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { panic(\"tick boom\") })\n\tnb.Figure(\"f\", p)",
			[]string{"gonum.org/v1/plot"}, small, notebook.StopPanic, `^t\.go:24: panic: tick boom; the rest of the lesson was not run$`},
		{"plot callback that never returns", "\tp := plot.New()\n\tp.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {\n\t\tfor {\n\t\t}\n\t})\n\tnb.Figure(\"f\", p)",
			[]string{"gonum.org/v1/plot"}, Limits{Cell: 300 * time.Millisecond}, notebook.StopTimeout, `^t\.go:27: did not finish within 300ms`},
	} {
		res := Run(context.Background(), lesson(t, c.body, c.imports...), Options{Limits: c.limits})
		re, ok := res.Err.(*notebook.RunError)
		if !ok {
			t.Errorf("%s: error %v (%T), want a *RunError", c.name, res.Err, res.Err)
			continue
		}
		if re.Kind != c.kind || !regexp.MustCompile(c.want).MatchString(re.Error()) {
			t.Errorf("%s: %s error %q, want %s matching %s", c.name, re.Kind, re.Error(), c.kind, c.want)
		}
		if c.kind != notebook.StopCompile {
			if res.Cells[0].Status != notebook.Done || res.Cells[1].Status != notebook.Failed || res.Cells[2].Status != notebook.NotRun {
				t.Errorf("%s: cell statuses %v %v %v, want done, failed, not run", c.name, res.Cells[0].Status, res.Cells[1].Status, res.Cells[2].Status)
			}
			if got := res.PlainText(); !strings.HasPrefix(got, "first cell\n") || strings.Contains(got, "last cell") {
				t.Errorf("%s: output %q", c.name, got)
			}
		}
		// The stop's kind above says the limit fired; how soon is a
		// matter of load, so no wall-clock bound is asserted.
	}
}

// TestCheckerStopsWhatTheSandboxForbids runs lessons that try to leave the
// sandbox; each is stopped by the checker, before anything runs, with a
// message that names the line and says what to do instead.
func TestCheckerStopsWhatTheSandboxForbids(t *testing.T) {
	dir := t.TempDir()
	victim := dir + "/victim.txt"
	if err := os.WriteFile(victim, []byte("intact"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := func(s string) string { return `"` + s + `"` }
	for _, c := range []struct {
		name, body string
		imports    []string
		want       string
	}{
		{"plots.Save", "\tp := plot.New()\n\t_ = plots.Save(p, nil, " + q(victim) + ")", []string{"gonum.org/v1/plot", "github.com/rlhfsim/rlhfsim/plots"}, `t\.go:24:\d+: plots\.Save writes files`},
		{"(*plot.Plot).Save", "\tp := plot.New()\n\t_ = p.Save(100, 100, " + q(victim) + ")", []string{"gonum.org/v1/plot"}, `t\.go:23:\d+: the method Save \(of plot\.Plot, reward\.Scorer\) writes files`},
		{"method value of Save", "\tp := plot.New()\n\tsave := p.Save\n\t_ = save", []string{"gonum.org/v1/plot"}, `the method Save`},
		{"prefs.WriteFile", "\t_ = prefs.WriteFile(" + q(victim) + ", nil)", []string{"github.com/rlhfsim/rlhfsim/sim/prefs"}, `t\.go:22:\d+: prefs\.WriteFile writes files`},
		{"prefs.ReadFile", "\t_, _ = prefs.ReadFile(" + q(victim) + ")", []string{"github.com/rlhfsim/rlhfsim/sim/prefs"}, `prefs\.ReadFile reads files`},
		{"reward.LoadFile", "\t_, _ = reward.LoadFile(" + q(victim) + ")", []string{"github.com/rlhfsim/rlhfsim/sim/reward"}, `reward\.LoadFile reads files`},
		{"(*reward.Scorer).Save", "\tvar s *reward.Scorer\n\t_ = s.Save(" + q(victim) + ")", []string{"github.com/rlhfsim/rlhfsim/sim/reward"}, `the method Save`},
		{"fmt.Scanln", "\tvar s string\n\tfmt.Scanln(&s)", nil, `fmt\.Scanln reads standard input`},
		{"pipeline.Config{}", "\tc := pipeline.Config{Seed: 2}\n\t_ = c", []string{"github.com/rlhfsim/rlhfsim/sim/pipeline"}, `t\.go:22:7: a pipeline\.Config made by hand runs in the standard world`},
		{"var pipeline.Data", "\tvar d pipeline.Data\n\t_ = d", []string{"github.com/rlhfsim/rlhfsim/sim/pipeline"}, `t\.go:22:6: a pipeline\.Data made by hand`},
		{"new(pipeline.Config)", "\tc := new(pipeline.Config)\n\t_ = c", []string{"github.com/rlhfsim/rlhfsim/sim/pipeline"}, `t\.go:22:7: a pipeline\.Config made by hand`},
		{"renamed import", "\tc := pl.Config{}\n\t_ = c", []string{"pl github.com/rlhfsim/rlhfsim/sim/pipeline"}, `a pipeline\.Config made by hand`},
		{"Scorer.Save", "\tvar sc reward.Scorer\n\t_ = sc.Save(\"x.json\")", []string{"github.com/rlhfsim/rlhfsim/sim/reward"}, `t\.go:23:\d+: the method Save \(of plot\.Plot, reward\.Scorer\) writes files`},
		{"(*reward.Scorer).Save", "\tf := (*reward.Scorer).Save\n\t_ = f", []string{"github.com/rlhfsim/rlhfsim/sim/reward"}, `the method Save`},
		{"policy.DrawScores", "\t_ = policy.DrawScores(nil, nil, 1, 1, nil, nil)", []string{"github.com/rlhfsim/rlhfsim/sim/policy"}, `t\.go:22:\d+: policy\.DrawScores calls the function it is given on all cores`},
		{"plots.ErrData = nil", "\tplots.ErrData = nil", []string{"github.com/rlhfsim/rlhfsim/plots"}, `t\.go:22:2: lessons cannot change the package variable plots\.ErrData`},
		{"plots.Gray.R", "\tplots.Gray.R = 1", []string{"github.com/rlhfsim/rlhfsim/plots"}, `package variable plots\.Gray`},
		{"plots.Blue", "\tplots.Blue = plots.Black", []string{"github.com/rlhfsim/rlhfsim/plots"}, `package variable plots\.Blue`},
		{"plot.DefaultFont", "\tplot.DefaultFont.Size = 3", []string{"gonum.org/v1/plot"}, `package variable plot\.DefaultFont`},
		{"plotter.DefaultLineStyle", "\tplotter.DefaultLineStyle.Width = 0", []string{"gonum.org/v1/plot/plotter"}, `package variable plotter\.DefaultLineStyle`},
		{"&plotter.DefaultGlyphStyle", "\tg := &plotter.DefaultGlyphStyle\n\tg.Radius = 9", []string{"gonum.org/v1/plot/plotter"}, `package variable plotter\.DefaultGlyphStyle`},
		{"line directive", "//line other.go:1\n\tgo panic(\"hidden\")", nil, `t\.go:21:1: line directives are not allowed`},
		{"block line directive", "\t/*line other.go:1:1*/ fmt.Println()", nil, `line directives are not allowed`},
		{"calling the hook", "\tfor {\n\t\t__nbcell.Cell(5)\n\t}", nil, `t\.go:22:3: the name __nbcell is reserved`},
		{"forbidden import", "\t_ = os.Args", []string{"os"}, `^t\.go:9: package os is not available in lessons`},
		{"range over int", "\tfor i := range 10 {\n\t\t_ = i\n\t}", nil, `^t\.go:21:2: range over an integer crashes the lesson interpreter`},
		{"nil in a tuple assignment", "\tvar a int\n\tvar b []int\n\ta, b = 4, nil\n\t_, _ = a, b", nil, `^t\.go:23:12: nil in an assignment of several values crashes the lesson interpreter`},
		{"struct literal in a tuple assignment", "\ta, b := 4, struct{ X int }{5}\n\t_, _ = a, b", nil, `^t\.go:21:13: a struct literal in an assignment of several values makes the lesson interpreter silently zero`},
		{"call in a tuple assignment", "\tvar x, y float64\n\tx, y = math.Sqrt(4), 0.5\n\t_, _ = x, y", []string{"math"}, `^t\.go:23:23: an assignment \(=\) of several values, some of them function calls, makes the lesson interpreter silently skip`},
		{"call after a value in a tuple assignment", "\tvar x, y float64\n\tx, y = y, math.Sqrt(4)\n\t_, _ = x, y", []string{"math"}, `^t\.go:23:9: an assignment \(=\) of several values`},
		{"goroutine", "\tgo func() { panic(\"in a goroutine\") }()", nil, `^t\.go:21:2: go statement: lessons may not start goroutines`},
		{"constant bomb", "\tconst a = 1 << 100000\n\tconst b = a * a * a * a * a * a * a * a\n\tfmt.Println(b > 0)", nil, `t\.go:21:\d+: .*(overflow|shift count).*use float64 values`},
	} {
		res := Run(context.Background(), lesson(t, c.body, c.imports...), Options{Limits: small})
		re, ok := res.Err.(*notebook.RunError)
		if !ok || re.Kind != notebook.StopCheck || !regexp.MustCompile(c.want).MatchString(re.Error()) {
			t.Errorf("%s: %v, want a check error matching %s", c.name, res.Err, c.want)
		}
		if len(res.PlainText()) > 0 {
			t.Errorf("%s: the lesson ran: %q", c.name, res.PlainText())
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "intact" {
		t.Errorf("the victim file holds %q", b)
	}
}

// TestMarkerInsideABlock: a cell marker in a loop would restart the cell's
// clock on every pass, so the parser refuses it.
func TestMarkerInsideABlock(t *testing.T) {
	src := header + "package main\n\nfunc main() {\n\t// %%\n\tfor {\n\t// %%\n\t}\n}\n"
	_, err := notebook.Parse("t", "t.go", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "t.go:9: a cell marker inside a block") {
		t.Errorf("got %v", err)
	}
}

func TestOutputIsCappedAndLinear(t *testing.T) {
	// 20,000 lines of 1 KB: quadratic capture took 8 s and hit the time
	// limit; now the cell ends quickly and keeps its first MiB.
	body := "\tline := strings.Repeat(\"x\", 1000)\n\tfor i := 0; i < 20000; i++ {\n\t\tfmt.Println(line)\n\t}\n\tfmt.Println(\"after\")"
	res := Run(context.Background(), lesson(t, body, "strings"), Options{Limits: small})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out := res.PlainText()
	if !strings.Contains(out, "… output truncated: this cell printed more than 1 MiB") || len(out) > DefaultMaxOutput+2000 || !strings.HasSuffix(out, "last cell\n") {
		t.Errorf("output of %d bytes ends %q", len(out), out[max(0, len(out)-200):])
	}
	// Linear, not quadratic: at 8 s the capture once hit the cell's time
	// limit, which the error check above would report. Its speed is
	// BenchmarkOutputCapture's to measure.
	// One print of 100 MB.
	res = Run(context.Background(), lesson(t, "\tfmt.Println(strings.Repeat(\"y\", 100<<20))", "strings"), Options{Limits: Limits{Memory: 1 << 30}})
	if res.Err != nil || len(res.PlainText()) > DefaultMaxOutput+2000 {
		t.Errorf("100 MB print: %v, %d bytes kept", res.Err, len(res.PlainText()))
	}
}

func TestSetOverridesParameters(t *testing.T) {
	l := lesson(t, "\tk := nb.Int(\"k\", 3, 1, 9, \"how many\")\n\tfmt.Println(\"k is\", k)")
	if out := Run(context.Background(), l, Options{}).PlainText(); !strings.Contains(out, "k is 3") {
		t.Errorf("default run: %q", out)
	}
	if out := Run(context.Background(), l, Options{Set: map[string]string{"k": "7"}}).PlainText(); !strings.Contains(out, "k is 7") {
		t.Errorf("--set k=7: %q", out)
	}
	res := Run(context.Background(), l, Options{Set: map[string]string{"kk": "7"}})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "k (int, default 3, 1 to 9): how many") {
		t.Errorf("unknown --set: %v", res.Err)
	}
	res = Run(context.Background(), l, Options{Set: map[string]string{"k": "12"}})
	if res.Err == nil || !strings.Contains(res.Err.Error(), `--set k=12: "12" is not an integer from 1 to 9`) {
		t.Errorf("out of range --set: %v", res.Err)
	}
}

func TestCompileOnly(t *testing.T) {
	if e := Compile(context.Background(), lesson(t, "\tfmt.Println(\"x\")"), Options{}); e != nil {
		t.Error(e)
	}
	e := Compile(context.Background(), lesson(t, "\tx := undefinedName + 1\n\t_ = x"), Options{})
	if e == nil || e.Error() != "t.go:21:7: undefined: undefinedName" {
		t.Errorf("got %v", e)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res := Run(ctx, lesson(t, "\tfor {\n\t}"), Options{})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "the run was cancelled") {
		t.Errorf("got %v", res.Err)
	}
}

// TestExportsAreTheSandbox bypasses the checker and talks to the
// interpreter with the symbols a lesson gets: denied functions do not
// exist, and changing a package variable changes only the lesson's copy.
func TestExportsAreTheSandbox(t *testing.T) {
	i := interp.New(interp.Options{})
	if err := i.Use(Exports()); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`import ("image/color"; "github.com/rlhfsim/rlhfsim/plots"; "github.com/rlhfsim/rlhfsim/sim/prefs"; "gonum.org/v1/plot/plotter")`); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`plots.Gray = color.RGBA{}; plotter.DefaultLineStyle.Width = 0`); err != nil {
		t.Logf("changing a copy: %v", err)
	}
	if plots.Gray == (color.RGBA{}) || plotter.DefaultLineStyle.Width == 0 {
		t.Error("a lesson changed a package variable of the host")
	}
	// Within one lesson too, a copy is a copy: the palette and the themes
	// are functions that return new values (issue 22, item 14).
	v, err := i.Eval(`pal := plots.Palette(); pal[0] = color.Black; th := plots.Slide(); th.Width = 1; plots.Palette()[0] == plots.Blue && plots.Slide().Width != 1`)
	if err != nil || !v.Bool() {
		t.Errorf("a lesson's copy of the palette or a theme changed later reads: %v %v", v, err)
	}
	for _, src := range []string{`plots.Save`, `prefs.WriteFile`, `prefs.ReadFile`} {
		if _, err := i.Eval(src); err == nil {
			t.Errorf("%s is reachable", src)
		}
	}
}

// TestSlowCompileIsNamed: a lesson whose compiling runs past the time
// limit is reported as a slow compile, not as a cell that loops.
func TestSlowCompileIsNamed(t *testing.T) {
	lim := Limits{Cell: 150 * time.Millisecond}
	if res := Run(context.Background(), lesson(t, "\tfmt.Println(1 + 2*3)"), Options{Limits: lim}); res.Err != nil {
		t.Fatalf("a short lesson: %v", res.Err)
	}
	body := strings.Repeat("\tfmt.Println(1 + 2*3)\n", 50000)
	res := Run(context.Background(), lesson(t, body), Options{Limits: lim})
	re, ok := res.Err.(*notebook.RunError)
	if !ok || re.Kind != notebook.StopCompile || !strings.Contains(re.Error(), "compiling the lesson took longer than 150ms") {
		t.Errorf("got %v", res.Err)
	}
}

// BenchmarkTrivialLesson times a lesson that prints one line: starting a
// worker process, its interpreter and symbol set-up, compiling and
// running. It is the cost the process boundary adds to every lesson.
func BenchmarkTrivialLesson(b *testing.B) {
	l := lesson(b, "\tfmt.Println(\"hello\")")
	for i := 0; i < b.N; i++ {
		if res := Run(context.Background(), l, Options{}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// TestDeathMessages names each way a worker can end from what the runtime
// printed last: the cases a lesson cannot easily provoke on purpose.
func TestDeathMessages(t *testing.T) {
	lim := Limits{}.withDefaults()
	for _, c := range []struct {
		killed, last string
		kind         notebook.StopKind
		want         string
	}{
		{"", "runtime: goroutine stack exceeds 67108864-byte limit\nfatal error: stack overflow\n", notebook.StopStack, "stack overflow: the lesson's stack grew past 64 MiB (unbounded recursion?)"},
		{"", "fatal error: runtime: out of memory\n", notebook.StopMemory, "used more than 2 GiB of memory"},
		{"", "goroutine 1 [running]:\nfatal error: concurrent map writes\n", notebook.StopCrash, "the interpreter crashed: fatal error: concurrent map writes"},
		{"", "", notebook.StopCrash, "the interpreter crashed: it stopped without a word"},
		{"cell", "", notebook.StopTimeout, "did not finish within 10s"},
		{"lesson", "", notebook.StopTimeout, "the lesson did not finish within 5m0s"},
		{"compile", "", notebook.StopCompile, "compiling the lesson took longer than 10s"},
	} {
		kind, what := death(c.killed, c.last, nil, lim)
		if kind != c.kind || !strings.HasPrefix(what, c.want) {
			t.Errorf("%q %q: %s %q, want %s %q", c.killed, c.last, kind, what, c.kind, c.want)
		}
	}
}

func TestEventsAreBounded(t *testing.T) {
	res := Run(context.Background(), lesson(t, "\tfor i := 0; i < 20000; i++ {\n\t\tnb.Check(\"again\", true, \"\")\n\t}"), Options{Limits: small})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "t.go:21: panic: nb: more than 10000 figures, tables, checks and quizzes") || res.Checks != maxEvents {
		t.Errorf("%d checks, error %v", res.Checks, res.Err)
	}
}

// TestCompileContainsATypeCheckerBomb: constants that double a string 31
// times made the type checker build a 32 GiB string in the process that
// ran "rlhfsim check", which died with a fatal out-of-memory trace. The
// check now runs in the worker, under its memory limit, and comes back as
// a problem that names the lesson.
func TestCompileContainsATypeCheckerBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("\tconst a0 = \"xx\"\n")
	for i := 1; i <= 31; i++ {
		fmt.Fprintf(&b, "\tconst a%d = a%d + a%d\n", i, i-1, i-1)
	}
	b.WriteString("\tfmt.Println(len(a31))")
	errs := Compile(context.Background(), lesson(t, b.String()), Options{Limits: Limits{Memory: 512 << 20}})
	if len(errs) == 0 || !strings.Contains(errs.Error(), "t.go") {
		t.Errorf("got %v", errs)
	}
}

// TestCompileListsEveryProblem: check reports all the checker's problems,
// not only the first, now that the checker runs in the worker.
func TestCompileListsEveryProblem(t *testing.T) {
	errs := Compile(context.Background(), lesson(t, "\tgo func() {}()\n\tgo func() {}()"), Options{})
	if len(errs) != 2 {
		t.Errorf("got %d problems: %v", len(errs), errs)
	}
}

// TestWorkerDiesWithItsRunner kills a runner with SIGKILL while its
// worker spins in an endless loop. The worker used to spin on for as long
// as it liked (13 s after a 5 s limit); it now sees its request pipe
// close and exits within a few seconds.
func TestWorkerDiesWithItsRunner(t *testing.T) {
	if os.Getenv("RLHFSIM_TEST_RUNNER") == "1" {
		Run(context.Background(), lesson(t, "\tfor {\n\t}"), Options{Limits: Limits{Cell: time.Hour, Lesson: time.Hour}})
		return
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("finds the worker through /proc")
	}
	runner := exec.Command(os.Args[0], "-test.run=^TestWorkerDiesWithItsRunner$")
	runner.Env = append(os.Environ(), "RLHFSIM_TEST_RUNNER=1")
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	defer runner.Process.Kill()
	child := 0
	for deadline := time.Now().Add(20 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		child = childOf(runner.Process.Pid)
	}
	if child == 0 {
		t.Fatal("the runner started no worker")
	}
	time.Sleep(500 * time.Millisecond) // into the loop
	runner.Process.Kill()
	runner.Wait()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(child) {
			return
		}
	}
	syscall.Kill(child, syscall.SIGKILL)
	t.Errorf("worker %d still runs 5 s after its runner died", child)
}

// childOf returns the pid of a process whose parent is pid, or 0.
func childOf(pid int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after ")".
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return n
		}
	}
	return 0
}

// alive reports whether pid runs (a zombie has finished).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// TestOutputBudgetsAreForTheLesson: the cap on printed text was per cell,
// so 200 cells of 1 MiB each put 200 MiB on the runner; and one 60 MB
// table fitted the event budget. The lesson's printed text is now cut off
// once, with a message, past 8 MiB in all, and an oversized table stops
// the lesson at its line.
func TestOutputBudgetsAreForTheLesson(t *testing.T) {
	var body strings.Builder
	for range 12 {
		body.WriteString("\t// %%\n\tfor i := 0; i < 1100; i++ {\n\t\tfmt.Print(strings.Repeat(\"x\", 1000))\n\t}\n\n")
	}
	res := Run(context.Background(), lesson(t, body.String(), "strings"), Options{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	text := res.PlainText()
	if n := strings.Count(text, "x"); n > maxLessonOutput || n < maxLessonOutput-(1<<20) {
		t.Errorf("%d bytes of output kept, want about %d", n, maxLessonOutput)
	}
	if strings.Count(text, "this lesson printed more than 8 MiB in all") != 1 {
		t.Error("the lesson's budget was not announced exactly once")
	}
	res = Run(context.Background(), lesson(t, "\trows := [][]string{}\n\tfor i := 0; i < 40000; i++ {\n\t\trows = append(rows, []string{strings.Repeat(\"y\", 100)})\n\t}\n\tnb.Table([]string{\"h\"}, rows)", "strings"), Options{})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "this table is") || !strings.Contains(res.Err.Error(), "more than 2 MiB") {
		t.Errorf("a 4 MB table: %v", res.Err)
	}
}

// BenchmarkOutputCapture prints 20,000 lines of 1 KB from a lesson: the
// capture must stay linear in the output (it once took 8 s).
//
//	go test -run X -bench OutputCapture ./notebook/worker/
func BenchmarkOutputCapture(b *testing.B) {
	body := "\tline := strings.Repeat(\"x\", 1000)\n\tfor i := 0; i < 20000; i++ {\n\t\tfmt.Println(line)\n\t}"
	l := lesson(b, body, "strings")
	for b.Loop() {
		if res := Run(context.Background(), l, Options{Limits: small}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// TestAVariantReachesEveryDefault: in a student's run, each engine
// default that depends on the hidden world is the student's (gold
// weights through every way a lesson gets them, annotators' quirk and
// temperature), with no global in the engine; a run without a student
// sees the standard world.
func TestAVariantReachesEveryDefault(t *testing.T) {
	code, err := world.Code([]byte("a test secret of enough length"), "ada")
	if err != nil {
		t.Fatal(err)
	}
	v, err := world.Student("ada", code)
	if err != nil {
		t.Fatal(err)
	}
	body := `	p := world.Prompt{Category: world.Advice}
	phi := make([]float64, world.NumFeatures)
	phi[world.Helpfulness] = 1
	fw, _ := world.New(nil)
	fw2, _ := world.New(&world.Settings{LengthOffset: -0.2})
	lin, _ := world.GoldByName(world.GoldLinear)
	fmt.Printf("spec %.6f\n", world.DefaultGoldSpec().W[world.Helpfulness])
	fmt.Printf("linear %.6f %.6f\n", world.LinearGoldSpec().W[world.Filler], lin.W[world.Filler])
	fmt.Printf("funcs %.6f %.6f\n", world.DefaultGold()(p, phi), world.LinearGold()(p, phi))
	fmt.Printf("worlds %.6f %.6f %.6f\n", world.Default().Gold(p, phi), fw.Gold(p, phi), fw2.Gold(p, phi))
	fmt.Printf("tau %.6f\n", pipeline.Default().Data.Tau)
	fmt.Printf("quirk %s\n", annotate.Quirk(1).Name())`
	l := lesson(t, body, "github.com/rlhfsim/rlhfsim/sim/world", "github.com/rlhfsim/rlhfsim/sim/pipeline", "github.com/rlhfsim/rlhfsim/sim/annotate")
	want := func(v world.Variant) string {
		p := world.Prompt{Category: world.Advice}
		phi := make([]float64, world.NumFeatures)
		phi[world.Helpfulness] = 1
		g, lin := v.DefaultGold(), v.LinearGold()
		r := g.Func()(p, phi)
		return fmt.Sprintf("spec %.6f\nlinear %.6f %.6f\nfuncs %.6f %.6f\nworlds %.6f %.6f %.6f\ntau %.6f\nquirk %s\n",
			g.W[world.Helpfulness], lin.W[world.Filler], lin.W[world.Filler], r, lin.Func()(p, phi), r, r, r,
			pipeline.DefaultFor(v).Data.Tau, annotate.QuirkOf(v, 1).Name())
	}
	for _, c := range []struct {
		name string
		v    world.Variant
	}{{"ada", v}, {"standard", world.Variant{}}} {
		res := Run(context.Background(), l, Options{Variant: c.v})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if out := res.PlainText(); !strings.Contains(out, want(c.v)) {
			t.Errorf("%s's run prints\n%s\nwant\n%s", c.name, out, want(c.v))
		}
	}
	if want(v) == want(world.Variant{}) {
		t.Error("ada's world is the standard one: the test cannot tell them apart")
	}
}

// niceOf reads the nice values of a process's threads from /proc.
func niceOf(t *testing.T, pid string) []int {
	tasks, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + pid + "/task/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		n, _ := strconv.Atoi(f[16]) // field 19 of proc(5), counted from 1 with pid and comm
		out = append(out, n)
	}
	return out
}

// TestWorkerYieldsTheProcessor: every thread of a running worker is
// five nicer than its runner, so that a server full of runs still
// answers at once.
func TestWorkerYieldsTheProcessor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("nice values are set on Linux")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, lesson(t, "\tfor {\n\t}"), Options{Limits: Limits{Cell: time.Hour, Lesson: time.Hour}})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	child := 0
	for deadline := time.Now().Add(20 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		child = childOf(os.Getpid())
	}
	if child == 0 {
		t.Fatal("no worker started")
	}
	time.Sleep(500 * time.Millisecond) // into the loop, its threads started
	own := niceOf(t, "self")[0]
	want := min(19, own+5)
	got := niceOf(t, strconv.Itoa(child))
	for _, n := range got {
		if n != want {
			t.Errorf("the worker's threads have nice values %v, want all %d (the runner's %d, plus 5)", got, want, own)
			break
		}
	}
}
