package notebook

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/lessons"
)

func lesson(t testing.TB, body string, imports ...string) *Lesson {
	t.Helper()
	src := header + "package main\n\nimport (\n"
	for _, im := range append([]string{"fmt", "github.com/rlhfsim/rlhfsim/nb"}, imports...) {
		src += "\t\"" + im + "\"\n"
	}
	src += ")\n\nvar _ = fmt.Sprint\nvar _ = nb.Seed\n\nfunc boom(s []int) int { return s[3] }\n\nfunc main() {\n\t// %%\n\tfmt.Println(\"first cell\")\n\n\t// %%\n" + body + "\n\n\t// %%\n\tfmt.Println(\"last cell\")\n}\n"
	l, err := Parse("t", "t.go", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return l
}

// TestRunnerFailures runs a lesson that fails in each documented way, and
// after each a good lesson, to show the host goes on. In the generated
// file the second cell's marker is on line 20 and its body starts on 21;
// an extra import moves both down one.
func TestRunnerFailures(t *testing.T) {
	for _, c := range []struct {
		name, body string
		imports    []string
		kind       string
		want       string // regexp on the error
	}{
		{"infinite loop", "\tfor {\n\t}", nil, "timeout", `^t\.go:20: the cell did not finish within 200ms \(an endless loop\?\)`},
		{"panic", "\tpanic(\"on purpose\")", nil, "panic", `^t\.go:21: panic: on purpose; the rest of the lesson was not run$`},
		{"runtime error", "\tfmt.Println(boom(nil))", nil, "panic", `^t\.go:21: panic: .*index out of range.* \(inside boom\)`},
		{"compile error", "\tx := undefinedName + 1\n\t_ = x", nil, "compile", `^t\.go:21:7: undefined: undefinedName$`},
		{"forbidden import", "\t_ = os.Args", []string{"os"}, "check", `^t\.go:9: package os is not available in lessons`},
		{"range over int", "\tfor i := range 10 {\n\t\t_ = i\n\t}", nil, "check", `^t\.go:21:2: range over an integer crashes the lesson interpreter; write for i := 0; i < n; i\+\+ instead$`},
		{"goroutine panic", "\tgo func() { panic(\"in a goroutine\") }()", nil, "check", `^t\.go:21:2: go statement: lessons may not start goroutines`},
	} {
		res := Run(lesson(t, c.body, c.imports...), Options{Timeout: 200 * time.Millisecond})
		re, ok := res.Err.(*RunError)
		if !ok {
			t.Errorf("%s: error %v (%T), want a *RunError", c.name, res.Err, res.Err)
			continue
		}
		if re.Kind != c.kind || !regexp.MustCompile(c.want).MatchString(re.Error()) {
			t.Errorf("%s: %s error %q, want %s matching %s", c.name, re.Kind, re.Error(), c.kind, c.want)
		}
		if c.kind == "panic" || c.kind == "timeout" {
			if res.Cells[0].Status != Done || res.Cells[1].Status != Failed || res.Cells[2].Status != NotRun {
				t.Errorf("%s: cell statuses %v %v %v, want done, failed, not run", c.name, res.Cells[0].Status, res.Cells[1].Status, res.Cells[2].Status)
			}
			if got := PlainText(res); !strings.HasPrefix(got, "first cell\n") || strings.Contains(got, "last cell") {
				t.Errorf("%s: output %q", c.name, got)
			}
		}
		ok2 := Run(lesson(t, "\tfmt.Println(\"fine\")"), Options{})
		if ok2.Err != nil || PlainText(ok2) != "first cell\nfine\nlast cell\n" {
			t.Fatalf("after %s, a good lesson gave %v, %q", c.name, ok2.Err, PlainText(ok2))
		}
	}
}

func TestCheckReportsEveryTrap(t *testing.T) {
	body := "\tfor i := range 3 {\n\t\t_ = i\n\t}\n\tm := max(1, 2)\n\tclear(map[int]int{})\n\t_ = m\n" +
		"\tvar fs []func()\n\tfor j := 0; j < 2; j++ {\n\t\tfs = append(fs, func() { fmt.Println(j) })\n\t}\n" +
		"\t_ = rand.N(5)\n\tgo fmt.Println()\n\t_ = math.Ln2 - 0.1"
	errs := lesson(t, body, "math/rand/v2", "math").Check()
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	for _, want := range []string{
		"t.go:23:2: range over an integer",
		"t.go:26:7: the max builtin is missing from the lesson interpreter; use math.Max",
		"t.go:27:2: the clear builtin",
		"t.go:31:19: this closure captures the loop variable j",
		"t.go:33:6: rand.N is a generic function, which the lesson interpreter cannot call; use rand.IntN or rand.Int64N",
		"t.go:34:2: go statement",
		"t.go:35:6: the lesson interpreter cannot mix the constant math.Ln2 with the literal 0.1",
	} {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem starting %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 7 {
		t.Errorf("%d problems, want 7:\n%s", len(got), strings.Join(got, "\n"))
	}
}

func TestSetOverridesParameters(t *testing.T) {
	l := lesson(t, "\tk := nb.Int(\"k\", 3, 1, 9, \"how many\")\n\tfmt.Println(\"k is\", k)")
	if out := PlainText(Run(l, Options{})); !strings.Contains(out, "k is 3") {
		t.Errorf("default run: %q", out)
	}
	if out := PlainText(Run(l, Options{Set: map[string]string{"k": "7"}})); !strings.Contains(out, "k is 7") {
		t.Errorf("--set k=7: %q", out)
	}
	res := Run(l, Options{Set: map[string]string{"kk": "7"}})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "k (int, default 3, 1 to 9): how many") {
		t.Errorf("unknown --set: %v", res.Err)
	}
}

func loadCourse(t testing.TB) []*Lesson {
	t.Helper()
	ls, err := Load(lessons.FS, "lessons")
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func demo(t testing.TB) *Lesson {
	for _, l := range loadCourse(t) {
		if l.Meta.ID == "00-notebook-tour" {
			return l
		}
	}
	t.Fatal("no demo lesson")
	return nil
}

// TestCompiledAndInterpretedAgree compiles the demo lesson with the Go
// toolchain and compares its output with the interpreter's, byte for byte,
// with default parameters and with parameters set.
func TestCompiledAndInterpretedAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a lesson with the go command")
	}
	for _, set := range []map[string]string{nil, {"tokens": "300", "verbose": "true", "category": "coding"}} {
		args := []string{"run", "../lessons/00-notebook-tour"}
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
		res := Run(demo(t), Options{Set: set})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got := PlainText(res); got != string(compiled) {
			t.Errorf("set %v: interpreted output\n%s\ndiffers from compiled\n%s", set, got, compiled)
		}
	}
}

func TestHTMLIsReproducibleAndSelfContained(t *testing.T) {
	render := func() []byte {
		var b bytes.Buffer
		if err := RenderHTML(&b, Run(demo(t), Options{}), nil, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := render(), render()
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different HTML")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:|@import`).Find(a); m != nil {
		t.Errorf("the page loads something from outside: %q", m)
	}
	for _, want := range []string{"<svg", "class=\"quiz", "class=\"check pass", "<table class=\"nbt\"", "class=\"chroma\"", "<script>"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
	var idx bytes.Buffer
	var entries []CourseEntry
	for _, l := range loadCourse(t) {
		entries = append(entries, CourseEntry{Meta: l.Meta})
	}
	if err := RenderIndex(&idx, entries); err != nil || !bytes.Contains(idx.Bytes(), []byte("00-notebook-tour.html")) {
		t.Errorf("index: %v", err)
	}
}

func TestCourseChecksClean(t *testing.T) {
	ls := loadCourse(t)
	for _, l := range ls {
		if errs := l.Check(); errs != nil {
			t.Errorf("%s: %v", l.Meta.ID, errs)
		}
		if e := l.Compile(); e != nil {
			t.Errorf("%s: %v", l.Meta.ID, e)
		}
	}
	if errs := CheckCourse(ls); len(errs) > 0 {
		t.Error(errs)
	}
}

func TestRunDemoRendersEverywhere(t *testing.T) {
	res := Run(demo(t), Options{})
	if res.Err != nil || res.Checks == 0 || res.FailedChecks != 0 {
		t.Fatalf("demo: err %v, %d checks, %d failed", res.Err, res.Checks, res.FailedChecks)
	}
	var term, md bytes.Buffer
	if err := RenderTerminal(&term, res, TermOptions{Interactive: true, In: strings.NewReader("b\na\n\n")}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A tour of the notebook", "✓ the gold reward peaks", "your answer (a-c, Enter to skip): ", "✓ right.", "✗ not quite.", "answer: b) 60 tokens"} {
		if !strings.Contains(term.String(), want) {
			t.Errorf("terminal output lacks %q", want)
		}
	}
	if err := RenderMarkdown(&md, res, nil); err != nil || !strings.Contains(md.String(), "```go") || !strings.Contains(md.String(), "<details><summary>Answer</summary>") {
		t.Errorf("markdown: %v", err)
	}
}

// BenchmarkDemo times a whole run of the demo lesson: a fresh interpreter,
// its standard-library set-up, parsing and running every cell. The first
// iteration in a process is the cold start; b.N > 1 averages warm runs.
func BenchmarkDemo(b *testing.B) {
	src, err := lessons.FS.ReadFile("00-notebook-tour/main.go")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		l, err := Parse("00-notebook-tour", "main.go", src)
		if err != nil {
			b.Fatal(err)
		}
		if res := Run(l, Options{}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
