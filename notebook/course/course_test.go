package course

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/internal/nbschema"
	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
	"go/ast"
	"go/token"
	"strconv"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

func embedded(t testing.TB) *Course {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demo(t testing.TB) *notebook.Lesson {
	sel, err := embedded(t).Select([]string{"00"})
	if err != nil {
		t.Fatal(err)
	}
	return sel[0]
}

func run(t testing.TB, l *notebook.Lesson, o worker.Options) *notebook.Result {
	t.Helper()
	return worker.Run(context.Background(), l, o)
}

// TestCourseRunsOnSixSeeds runs every lesson with the default seed and
// five others and requires every self-check to pass: a check that holds on
// one seed only would be testing luck, not the phenomenon. The default
// run (seed 1) also holds each lesson to the course's promise: a figure, a
// self-check, a quiz, a parameter and course-map metadata.
func TestCourseRunsOnSixSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole course six times")
	}
	ls := embedded(t).Lessons
	if len(ls) < 8 {
		t.Fatalf("the course has %d lessons, want the tour and seven more", len(ls))
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			for _, l := range ls {
				res := run(t, l, worker.Options{Seed: seed, Limits: worker.Limits{Cell: time.Minute}})
				if res.Err != nil {
					t.Errorf("%s, seed %d: %v", l.Meta.ID, seed, res.Err)
					continue
				}
				if seed == 1 {
					hasTheParts(t, l, res)
				}
				for _, e := range res.Events(notebook.Check) {
					if !e.Pass {
						t.Errorf("%s, seed %d: check failed: %s (hint: %s)", l.Meta.ID, seed, e.Text, e.Hint)
					}
				}
			}
		})
	}
}

// hasTheParts checks the course's promise for lesson l, whose default run
// gave res: a figure, a self-check, a quiz, a parameter and course-map
// metadata.
func hasTheParts(t *testing.T, l *notebook.Lesson, res *notebook.Result) {
	t.Helper()
	for _, k := range []notebook.Kind{notebook.Figure, notebook.Check, notebook.Quiz, notebook.Param} {
		if len(res.Events(k)) == 0 {
			t.Errorf("%s has no %s", l.Meta.ID, k)
		}
	}
	if len(l.Meta.LearnBefore) == 0 && l.Meta.ID != "00-notebook-tour" {
		t.Errorf("%s has no learn-before", l.Meta.ID)
	}
}

// TestCompiledAndInterpretedAgree compiles the demo lesson with the Go
// toolchain and compares its output with the interpreter's, byte for byte,
// with default parameters and with parameters set.
func TestCompiledAndInterpretedAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a lesson with the go command")
	}
	for _, set := range []map[string]string{nil, {"tokens": "300", "verbose": "true", "category": "coding"}} {
		args := []string{"run", "../../lessons/00-notebook-tour"}
		for k, v := range set {
			args = append(args, "--set", k+"="+v)
		}
		cmd := exec.Command("go", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		compiled, err := cmd.Output()
		if err != nil {
			t.Fatalf("go run: %v\n%s", err, stderr.String())
		}
		res := run(t, demo(t), worker.Options{Set: set})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got := res.PlainText(); got != string(compiled) {
			t.Errorf("set %v: interpreted output\n%s\ndiffers from compiled\n%s", set, got, compiled)
		}
	}
}

func TestHTMLIsReproducibleAndSelfContained(t *testing.T) {
	page := func() []byte {
		var b bytes.Buffer
		if err := render.HTML(&b, run(t, demo(t), worker.Options{}), nil, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := page(), page()
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different HTML")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:|@import`).Find(a); m != nil {
		t.Errorf("the page loads something from outside: %q", m)
	}
	for _, want := range []string{"<svg", "class=\"quiz", "class=\"check pass", "<table class=\"nbt\"", "class=\"chroma\"", "<script>",
		`<div role="img" aria-label="Figure 1. `, "horizontal axis &#34;answer length (tokens)&#34; from"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	var idx bytes.Buffer
	var entries []render.CourseEntry
	for _, l := range embedded(t).Lessons {
		entries = append(entries, render.CourseEntry{Meta: l.Meta})
	}
	if err := render.Index(&idx, entries); err != nil || !bytes.Contains(idx.Bytes(), []byte("00-notebook-tour.html")) {
		t.Errorf("index: %v", err)
	}
}

func TestCourseChecksClean(t *testing.T) {
	c := embedded(t)
	for _, l := range c.Lessons {
		if errs := Check(context.Background(), l, worker.Limits{}); errs != nil {
			t.Errorf("%s: %v", l.Meta.ID, errs)
		}
	}
	if errs := notebook.CheckCourse(c.Lessons); len(errs) > 0 {
		t.Error(errs)
	}
}

func TestRunDemoRendersEverywhere(t *testing.T) {
	res := run(t, demo(t), worker.Options{})
	if res.Err != nil || res.Checks == 0 || res.FailedChecks != 0 {
		t.Fatalf("demo: err %v, %d checks, %d failed", res.Err, res.Checks, res.FailedChecks)
	}
	var term, md bytes.Buffer
	// Right on the prediction (b, 60 tokens), wrong on the quiz (an
	// option other than its answer, in this run's order), then skip.
	wrong := string(rune('a' + (res.Events(notebook.Quiz)[0].Answer+1)%3))
	if err := render.Terminal(&term, res, render.TermOptions{Interactive: true, In: strings.NewReader("b\n" + wrong + "\n\n")}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A tour of the notebook", "✓ the gold reward peaks", "your answer (a-c, Enter to skip): ", "✓ right.", "✗ not quite.", "answer: b) 60 tokens"} {
		if !strings.Contains(term.String(), want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	if err := render.Markdown(&md, res, nil); err != nil || !strings.Contains(md.String(), "```go") || !strings.Contains(md.String(), "The answer is not printed here") {
		t.Errorf("markdown: %v", err)
	}
}

// TestAKilledLessonLosesNothingBefore runs a good lesson, then one that
// dies of a stack overflow, then a good one: the first lesson's pages
// were written when it ended, and the third still runs.
func TestAKilledLessonLosesNothingBefore(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "98-bad", "main.go")
	src := "// Title: Bad\n// Summary: dies\n// Minutes: 1\npackage main\n\nfunc main() {\n\t// %%\n\tvar f func(int) int\n\tf = func(n int) int { return f(n+1) + 1 }\n\tprintln(f(0))\n}\n"
	if err := WriteFile(bad, []byte(src)); err != nil {
		t.Fatal(err)
	}
	c := embedded(t)
	sel, err := c.Select([]string{"00", bad, "00"})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stderr bytes.Buffer
	rep, err := c.Run(context.Background(), sel, nil, Options{Out: out, Formats: Formats{HTML, Markdown}, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stopped != 1 || !strings.Contains(stderr.String(), "lesson 98-bad stopped: "+bad+":10: stack overflow") {
		t.Errorf("stopped %d: %s", rep.Stopped, stderr.String())
	}
	for _, f := range []string{"html/00-notebook-tour.html", "html/98-bad.html", "html/index.html", "md/00-notebook-tour.md", "figures/00-notebook-tour-figure-1.svg", "figures/00-notebook-tour-figure-1.png"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("missing %s", f)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "html", "98-bad.html"))
	if !bytes.Contains(page, []byte("stack overflow")) {
		t.Error("the failed lesson's page does not say why it stopped")
	}
}

func TestRouteAndSelectErrors(t *testing.T) {
	c := embedded(t)
	sel, _ := c.Select([]string{"00"})
	for _, set := range []map[string]string{{"nope": "1"}, {"tokens": "5000"}, {"tokens": "x"}} {
		if _, err := Route(sel, set); err == nil {
			t.Errorf("%v: no error", set)
		} else if _, ok := err.(*InputError); !ok {
			t.Errorf("%v: %T is not an input error", set, err)
		}
	}
	if _, err := c.Select([]string{"zz"}); err == nil || !strings.Contains(err.Error(), `"zz" matches no lesson`) {
		t.Errorf("select zz: %v", err)
	}
	if _, err := ParseSet([]string{"novalue"}); err == nil {
		t.Error("--set without = was accepted")
	}
	// No output directory is an error, not the current directory.
	wd, _ := os.Getwd()
	before, _ := os.ReadDir(wd)
	if _, err := c.Run(context.Background(), sel, nil, Options{}); err == nil || !strings.Contains(err.Error(), "Options.Out is empty") {
		t.Errorf("a run without Out: %v", err)
	}
	if after, _ := os.ReadDir(wd); len(after) != len(before) {
		t.Error("a run without Out wrote into the current directory")
	}
}

// TestRunsAreByteIdentical runs two lessons twice into two directories:
// every file written, pages and figures alike, is the same.
func TestRunsAreByteIdentical(t *testing.T) {
	c := embedded(t)
	sel, err := c.Select([]string{"00", "03"})
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, d := range dirs {
		if _, err := c.Run(context.Background(), sel, nil, Options{Out: d, Formats: Formats{HTML, Markdown}}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	filepath.WalkDir(dirs[0], func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dirs[0], p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", rel)
		}
		n++
		return nil
	})
	if n < 8 {
		t.Errorf("only %d files written", n)
	}
}

// TestTemplateIsARealLesson: the lesson "rlhfsim new" copies parses,
// checks, runs with every check passing, and has the parts every lesson
// has; the course itself does not list it.
func TestTemplateIsARealLesson(t *testing.T) {
	src, err := NewLesson("99-new")
	if err != nil {
		t.Fatal(err)
	}
	l, err := notebook.Parse("99-new", "99-new/main.go", src)
	if err != nil {
		t.Fatal(err)
	}
	if l.Meta.Title != "99-new" {
		t.Errorf("title %q", l.Meta.Title)
	}
	res := run(t, l, worker.Options{})
	if res.Err != nil || res.Checks == 0 || res.FailedChecks != 0 {
		t.Fatalf("the template: %v, %d checks, %d failed", res.Err, res.Checks, res.FailedChecks)
	}
	for _, k := range []notebook.Kind{notebook.Figure, notebook.Check, notebook.Quiz, notebook.Param, notebook.Predict} {
		if len(res.Events(k)) == 0 {
			t.Errorf("the template has no %s", k)
		}
	}
	for _, l := range embedded(t).Lessons {
		if l.Meta.ID == notebook.TemplateDir {
			t.Error("the template is listed as a lesson of the course")
		}
	}
	if _, err := NewLesson("template"); err == nil {
		t.Error("a lesson may be called template")
	}
}

// TestEveryParameterRangeRuns runs each lesson with each parameter at each
// end of its advertised range (and every option of a choice), one at a
// time, on seeds 1 and 2: no value a student may set can stop a lesson,
// and every check holds. (Seeds 1 to 3 until the course's tests neared
// CI's 30 minutes; seed luck at the defaults is the six-seed and
// twenty-student tests' job.) Where a phenomenon does not hold at an extreme, the
// lesson guards its check with the condition and says why in a comment or
// its prose. (One seed let claims through that failed on others: lesson
// 05 at 200 prompts, lesson 02 at tau 4.)
func TestEveryParameterRangeRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every lesson at the ends of every parameter")
	}
	for _, l := range embedded(t).Lessons {
		for _, p := range l.Params {
			var values []string
			switch p.Type {
			case notebook.FloatParam, notebook.IntParam:
				values = []string{p.Min, p.Max}
			case notebook.BoolParam:
				values = []string{"true", "false"}
			case notebook.ChoiceParam:
				values = p.Options
			}
			for _, v := range values {
				for seed := uint64(1); seed <= 2; seed++ {
					l, p, v := l, p, v
					t.Run(fmt.Sprintf("%s/%s=%s/seed=%d", l.Meta.ID, p.Name, v, seed), func(t *testing.T) {
						t.Parallel()
						res := run(t, l, worker.Options{Seed: seed, Set: map[string]string{p.Name: v}, Limits: worker.Limits{Cell: time.Minute}})
						if res.Err != nil {
							t.Errorf("%v", res.Err)
						}
						for _, e := range res.Events(notebook.Check) {
							if !e.Pass {
								t.Errorf("check fails: %s (hint: %s)", e.Text, e.Hint)
							}
						}
					})
				}
			}
		}
	}
}

// testSecret is the course secret the tests draw students' variants with.
var testSecret = []byte("rlhfsim test course secret")

// variantOf returns a student's variant under testSecret.
func variantOf(t testing.TB, name string) world.Variant {
	t.Helper()
	code, err := world.Code(testSecret, name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := world.Student(name, code)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// studentNames are twenty names whose variants of the hidden world the
// course must hold in: every lesson runs and every self-check passes.
var studentNames = []string{"ada", "alan", "grace", "edsger", "barbara", "donald", "ken", "dennis", "linus", "guido",
	"rob", "robert", "margaret", "katherine", "frances", "john", "tim", "vint", "radia", "shafi"}

// seesVariant reports whether a lesson can reach a student's variant of
// the hidden world: only through the engine defaults the runner binds,
// which live in pipeline, world and annotate. A lesson that imports none
// of them runs the same for every student but for its quiz order.
func seesVariant(l *notebook.Lesson) bool {
	for _, im := range l.Imports {
		switch im.Path {
		case "github.com/rlhfsim/rlhfsim/sim/pipeline", "github.com/rlhfsim/rlhfsim/sim/world", "github.com/rlhfsim/rlhfsim/sim/annotate":
			return true
		}
	}
	return false
}

// TestCourseHoldsForTwentyStudents runs the whole course in twenty
// students' variants of the hidden world (gold weights and annotator noise
// drawn from their codes) and requires every check to pass, so a
// student's numbers differ while what the lessons say stays true. A
// lesson that cannot see the variant (seesVariant) runs for the first
// student only: the others would repeat its run exactly.
func TestCourseHoldsForTwentyStudents(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole course twenty times")
	}
	ls := embedded(t).Lessons
	var mu sync.Mutex
	found := map[string]map[string]bool{} // question: the answers students got
	t.Cleanup(func() {
		// Copying a classmate's answer to these fails: they differ.
		for q, as := range found {
			if len(as) < 2 {
				t.Errorf("every student gets the same answer to %q: %v", q, as)
			}
		}
		if len(found) < 3 {
			t.Errorf("%d questions ask for the hidden taste or flaw, want 3", len(found))
		}
	})
	for _, name := range studentNames {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := variantOf(t, name)
			var exported map[string]*notebook.Result
			if name == studentNames[0] {
				exported = exportsAreValid(t, embedded(t), v)
			}
			for _, l := range ls {
				if !seesVariant(l) && name != studentNames[0] {
					continue
				}
				res := exported[l.Meta.ID]
				if res == nil {
					res = run(t, l, worker.Options{Variant: v, Limits: worker.Limits{Cell: time.Minute}})
				}
				if res.Err != nil {
					t.Errorf("%s: %v", l.Meta.ID, res.Err)
					continue
				}
				// The questions about the variant's hidden taste (lessons 03 and 07)
				// and flaw (lesson 22) must find what the variant planted.
				for _, e := range res.Events(notebook.Quiz) {
					var want string
					switch {
					case strings.Contains(e.Text, "your annotators"):
						want = world.Quirks[v.Quirk]
					case strings.Contains(e.Text, "your production annotators"):
						want = world.Flaws[v.Flaw]
					default:
						continue
					}
					if got := e.Options[e.Answer]; got != want {
						t.Errorf("%s: %q answers %q, but the variant hides %q", l.Meta.ID, e.Text, got, want)
					}
					mu.Lock()
					if found[e.Text] == nil {
						found[e.Text] = map[string]bool{}
					}
					found[e.Text][e.Options[e.Answer]] = true
					mu.Unlock()
				}
				for _, e := range res.Events(notebook.Check) {
					if !e.Pass {
						t.Errorf("%s: check failed: %s", l.Meta.ID, e.Text)
					}
				}
			}
		})
	}
}

// TestStudentsSeeTheirOwnWorld: a student's variant changes what a lesson
// reveals (lesson 01's gold rewards), the same name always gives the same
// page, and a name without a code is the standard world.
func TestStudentsSeeTheirOwnWorld(t *testing.T) {
	sel, err := embedded(t).Select([]string{"01"})
	if err != nil {
		t.Fatal(err)
	}
	l := sel[0]
	text := func(name string) string {
		var v world.Variant
		if name != "" {
			v = variantOf(t, name)
		}
		res := run(t, l, worker.Options{Variant: v})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res.PlainText()
	}
	std, ada, ada2, alan := text(""), text("ada"), text(" Ada "), text("alan")
	if ada == std || ada == alan {
		t.Error("a student's variant did not change the revealed gold rewards")
	}
	if ada != ada2 {
		t.Error("the same name (up to case and spaces) gave different pages")
	}
	res := run(t, l, worker.Options{Variant: world.Variant{Student: "ada"}})
	// The name still orders the quiz's options, so compare what comes
	// before the quiz.
	beforeQuiz := func(s string) string { return s[:strings.Index(s, "Quiz 1:")] }
	if res.Err != nil || beforeQuiz(res.PlainText()) != beforeQuiz(std) {
		t.Errorf("a name without a code is not the standard world: %v", res.Err)
	}
}

// TestEveryLessonExportsAValidNotebook runs the course with --format ipynb
// and validates every notebook against the official nbformat 4.5 schema
// (vendored with its licence in internal/nbschema), so
// they open in Jupyter, JupyterLab, VS Code and Colab with their results.
//
// The same run, rendered in every format for a student, must show no
// answer before it is answered: no quiz's or prediction's explanation
// appears in the terminal (without --reveal), the HTML page's source, the
// Markdown or the notebook, nor does the right option follow an
// "answer" label.
//
// Without -short the twenty-student test makes these checks on its first
// student's run (exportsAreValid), so the course does not run once more
// for them.
func TestEveryLessonExportsAValidNotebook(t *testing.T) {
	if !testing.Short() {
		t.Skip("TestCourseHoldsForTwentyStudents checks the exports of its first student's run")
	}
	exportsAreValid(t, embedded(t), variantOf(t, studentNames[0]))
}

// exportsAreValid runs the course for variant v in every format and makes
// TestEveryLessonExportsAValidNotebook's checks; it returns the results.
func exportsAreValid(t *testing.T, c *Course, v world.Variant) map[string]*notebook.Result {
	t.Helper()
	out := t.TempDir()
	var term bytes.Buffer
	rep, err := c.Run(context.Background(), c.Lessons, nil, Options{Out: out, Variant: v, Limits: worker.Limits{Cell: time.Minute},
		Formats: Formats{IPynb, HTML, Markdown, Term}, Stdout: &term, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	questions := 0
	for _, l := range c.Lessons {
		pages := map[string]string{"terminal": term.String()}
		for _, f := range []string{"html/" + l.Meta.ID + ".html", "md/" + l.Meta.ID + ".md", "ipynb/" + l.Meta.ID + ".ipynb"} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			pages[f] = string(b)
		}
		res := rep.Results[l.Meta.ID]
		for _, e := range append(append(res.Events(notebook.Quiz), res.Events(notebook.Predict)...), res.Events(notebook.Number)...) {
			questions++
			for name, page := range pages {
				for _, form := range []string{e.Explanation, html.EscapeString(e.Explanation), jsonText(e.Explanation)} {
					if strings.Contains(page, form) {
						t.Errorf("%s: %s shows the answer to %q: %q", l.Meta.ID, name, e.Text, e.Explanation)
					}
				}
				if strings.Contains(strings.ToLower(page), "answer: "+string(rune('a'+e.Answer))+")") {
					t.Errorf("%s: %s labels an answer", l.Meta.ID, name)
				}
			}
		}
		b := []byte(pages["ipynb/"+l.Meta.ID+".ipynb"])
		if err := nbschema.Validate(b); err != nil {
			t.Errorf("%s: %v", l.Meta.ID, err)
		}
		if !bytes.Contains(b, []byte(`"image/png"`)) || bytes.Contains(b, []byte(`"image/svg+xml"`)) || bytes.Contains(b, []byte(`"kernelspec"`)) {
			t.Errorf("%s: figures lack PNG outputs, or carry SVG nbconvert would empty, or the notebook names a kernel that does not exist", l.Meta.ID)
		}
	}
	if questions < 30 {
		t.Errorf("only %d questions were checked for hidden answers", questions)
	}
	return rep.Results
}

// jsonText is s as it appears inside a JSON string.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// BenchmarkLessons runs every lesson once per iteration on the default
// seed, interpreted as a student runs it. The target is a lesson that
// feels instant: under a few seconds on two cores. It is a benchmark, not
// a timed test, so a loaded machine cannot fail the suite:
//
//	go test -run X -bench Lessons ./notebook/course/
func BenchmarkLessons(b *testing.B) {
	for _, l := range embedded(b).Lessons {
		b.Run(l.Meta.ID, func(b *testing.B) {
			for b.Loop() {
				if res := run(b, l, worker.Options{Limits: worker.Limits{Cell: time.Minute}}); res.Err != nil {
					b.Fatal(res.Err)
				}
			}
		})
	}
}

// BenchmarkCompiledLessons runs every lesson built by the Go toolchain,
// with its figures written as SVG (as the worker renders them), to set
// against BenchmarkLessons: the interpreter's share of a lesson's time is
// the ratio of the two. The builds happen before the timer starts.
//
//	go test -run X -bench 'Lessons' ./notebook/course/
func BenchmarkCompiledLessons(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("needs the go command")
	}
	dir := b.TempDir()
	for _, l := range embedded(b).Lessons {
		b.Run(l.Meta.ID, func(b *testing.B) {
			bin := filepath.Join(dir, l.Meta.ID)
			if out, err := exec.Command("go", "build", "-o", bin, "../../lessons/"+l.Meta.ID).CombinedOutput(); err != nil {
				b.Fatalf("go build: %v\n%s", err, out)
			}
			figs := b.TempDir()
			b.ResetTimer()
			for b.Loop() {
				cmd := exec.Command(bin)
				cmd.Env = append(os.Environ(), "RLHFSIM_FIGURES="+figs)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

// quizSpec is one nb.Quiz or nb.TrueFalse call as written in a lesson.
type quizSpec struct {
	lesson, question string
	options          []string
	answer           int
	tf               bool // a true/false question; answer 0 is true
}

// quizzes reads every quiz of the course from the lessons' source: the
// question, options and answer are literals, so no lesson needs to run.
func quizzes(t *testing.T) []quizSpec {
	t.Helper()
	str := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(b.Value)
		return s, err == nil
	}
	var out []quizSpec
	for _, l := range embedded(t).Lessons {
		l.NBCalls(func(name string, call *ast.CallExpr) {
			switch name {
			case "Quiz":
				q, _ := str(call.Args[0])
				lit, ok := call.Args[1].(*ast.CompositeLit)
				a, aok := call.Args[2].(*ast.BasicLit)
				if _, ident := call.Args[2].(*ast.Ident); ident && !aok {
					// A question whose answer this run computes (it
					// differs between variants) has no pattern to test.
					return
				}
				if !ok || !aok {
					t.Errorf("%s: a quiz whose options or answer are not literals", l.Meta.ID)
					return
				}
				var opts []string
				for _, e := range lit.Elts {
					s, _ := str(e)
					opts = append(opts, s)
				}
				ans, _ := strconv.Atoi(a.Value)
				out = append(out, quizSpec{lesson: l.Meta.ID, question: q, options: opts, answer: ans})
			case "TrueFalse":
				q, _ := str(call.Args[0])
				id, ok := call.Args[1].(*ast.Ident)
				if !ok {
					t.Errorf("%s: a true/false question whose answer is not a literal", l.Meta.ID)
					return
				}
				ans := 1
				if id.Name == "true" {
					ans = 0
				}
				out = append(out, quizSpec{lesson: l.Meta.ID, question: q, answer: ans, tf: true})
			}
		})
	}
	return out
}

// TestQuizzesAreFair: a student who always picks the longest option, or
// always the same letter, or always "false", must not pass. Across the
// course, at most a third of the multiple-choice answers may be the
// longest option (ties count against), and no letter (after the
// per-student shuffle, here for seed 1 and the standard world) and no
// true/false value may hold more than half the answers.
func TestQuizzesAreFair(t *testing.T) {
	qs := quizzes(t)
	var mc, longest, tfTrue, tf int
	letters := map[int]int{}
	for _, q := range qs {
		if q.tf {
			tf++
			if q.answer == 0 {
				tfTrue++
			}
			continue
		}
		mc++
		long := true
		for i, o := range q.options {
			if i != q.answer && len(o) > len(q.options[q.answer]) {
				long = false
			}
		}
		if long {
			longest++
			t.Logf("%s: the answer is the longest option: %q", q.lesson, q.question)
		}
		for i, j := range nb.QuizOrder(q.question, len(q.options), 1, "") {
			if j == q.answer {
				letters[i]++
			}
		}
	}
	t.Logf("%d multiple-choice quizzes: %d answered by the longest option; letters %v; %d true/false, %d true", mc, longest, letters, tf, tfTrue)
	if mc == 0 || tf == 0 {
		t.Fatal("no quizzes found")
	}
	if 3*longest > mc {
		t.Errorf("%d of %d multiple-choice answers are the longest option (at most a third may be)", longest, mc)
	}
	// "More than half" rounds up: with an odd count one value must hold
	// the larger half.
	for l, n := range letters {
		if 2*n > mc+1 {
			t.Errorf("%d of %d answers are %c)", n, mc, 'a'+l)
		}
	}
	if 2*tfTrue > tf+1 || 2*(tf-tfTrue) > tf+1 {
		t.Errorf("%d of %d true/false answers are true: neither value may hold more than half", tfTrue, tf)
	}
}

// TestEveryExerciseFollowsItsOwnRules: each exercise's solution, handed in
// as a student's code, passes the rules exercise code must follow, and
// its student copy still parses; the course has six exercises.
func TestEveryExerciseFollowsItsOwnRules(t *testing.T) {
	n := 0
	for _, l := range embedded(t).Lessons {
		for _, name := range l.Exercises() {
			n++
			code, _ := l.ExerciseCode(name)
			if _, err := l.WithExercise(name, code); err != nil {
				t.Errorf("%s: %v", l.Meta.ID, err)
			}
		}
		if _, err := l.StudentSource(); err != nil && len(l.Exercises()) > 0 {
			t.Errorf("%s: %v", l.Meta.ID, err)
		}
	}
	if n < 6 {
		t.Errorf("the course has %d exercises, want 6", n)
	}
}

// TestSlidersReachEveryDefaultAndEnd: every float parameter's slider step
// puts its default and both ends on the grid a browser snaps to, so the
// value a slider shows is the value the lesson runs with (lesson 07's
// length_bias of 1 once ran as 0.99, lesson 04's tau could not reach 4).
func TestSlidersReachEveryDefaultAndEnd(t *testing.T) {
	n := 0
	for _, l := range embedded(t).Lessons {
		for _, p := range l.Params {
			if p.Type != notebook.FloatParam {
				continue
			}
			n++
			st := render.SliderStep(p.Min, p.Max, p.Default)
			step, err := strconv.ParseFloat(st, 64)
			if err != nil {
				t.Errorf("%s: %s: step %q", l.Meta.ID, p.Name, st)
				continue
			}
			lo, _ := strconv.ParseFloat(p.Min, 64)
			for _, v := range []string{p.Min, p.Max, p.Default} {
				x, _ := strconv.ParseFloat(v, 64)
				k := (x - lo) / step
				if math.Abs(k-math.Round(k)) > 1e-6 {
					t.Errorf("%s: %s: %s is off the grid of step %s from %s", l.Meta.ID, p.Name, v, st, p.Min)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d float parameters", n)
	}
}

// TestNbconvertShowsTheFigures exports lesson 00 as a notebook and
// renders it with Jupyter's nbconvert, as a course author would: every
// figure must arrive as an image with visible marks (nbconvert once
// emptied the SVGs, keeping only their text). nbconvert is Debian's
// jupyter-nbconvert; without it the test is skipped unless
// RLHFSIM_NBCONVERT_TESTS=1 requires it, as .ci/run does.
func TestNbconvertShowsTheFigures(t *testing.T) {
	exe, err := exec.LookPath("jupyter-nbconvert")
	if err != nil {
		if os.Getenv("RLHFSIM_NBCONVERT_TESTS") == "1" {
			t.Fatal("RLHFSIM_NBCONVERT_TESTS=1 asks for nbconvert: apt-get install jupyter-nbconvert")
		}
		t.Skip("no jupyter-nbconvert")
	}
	res := run(t, demo(t), worker.Options{PNG: true})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	dir := t.TempDir()
	nbFile := filepath.Join(dir, "lesson.ipynb")
	var b bytes.Buffer
	if err := render.IPynb(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nbFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "--to", "html", "--stdout", nbFile).Output()
	if err != nil {
		t.Fatalf("nbconvert: %v", err)
	}
	imgs := regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindAllSubmatch(out, -1)
	if figs := len(res.Events(notebook.Figure)); len(imgs) != figs || figs == 0 {
		t.Fatalf("nbconvert's page has %d images for %d figures", len(imgs), figs)
	}
	for i, m := range imgs {
		raw, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		dark, all := 0, 0
		bb := img.Bounds()
		for y := bb.Min.Y; y < bb.Max.Y; y += 2 {
			for x := bb.Min.X; x < bb.Max.X; x += 2 {
				r, g, bl, _ := img.At(x, y).RGBA()
				all++
				if r+g+bl < 3*0xC000 {
					dark++
				}
			}
		}
		if dark < all/200 {
			t.Errorf("figure %d is nearly blank: %d of %d pixels marked", i+1, dark, all)
		}
	}
}

// TestBlindLessonsAreBlind: a lesson that seesVariant calls blind runs
// with the same checks for two students, so the twenty-student test may
// run it once.
func TestBlindLessonsAreBlind(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lessons that cannot see the variant twice")
	}
	blind := 0
	for _, l := range embedded(t).Lessons {
		if seesVariant(l) {
			continue
		}
		blind++
		var checks [2][]string
		for i, name := range []string{"ada", "alan"} {
			res := run(t, l, worker.Options{Variant: variantOf(t, name)})
			if res.Err != nil {
				t.Fatalf("%s: %v", l.Meta.ID, res.Err)
			}
			for _, e := range res.Events(notebook.Check) {
				checks[i] = append(checks[i], fmt.Sprintf("%s %v", e.Text, e.Pass))
			}
		}
		if !slices.Equal(checks[0], checks[1]) || len(checks[0]) == 0 {
			t.Errorf("%s imports nothing that reaches the variant, yet two students' checks differ (or there are none): %v, %v", l.Meta.ID, checks[0], checks[1])
		}
	}
	if blind == 0 {
		t.Log("no lesson is blind to the variant")
	}
}
