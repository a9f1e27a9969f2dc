package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// hostileLesson writes a lesson whose second cell is body. Its second
// cell's marker is on line 14 plus one per import, and body starts on the
// line after.
func hostileLesson(t *testing.T, dir, id, body string, imports ...string) string {
	t.Helper()
	src := "// Title: " + id + "\n// Summary: tries to break the runner\n// Minutes: 1\npackage main\n\nimport (\n\t\"fmt\"\n"
	for _, im := range imports {
		src += "\t\"" + im + "\"\n"
	}
	src += ")\n\nfunc main() {\n\t// %%\n\tfmt.Println(\"first\")\n\n\t// %%\n" + body + "\n}\n"
	p := filepath.Join(dir, id, "main.go")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshot hashes every file under dir.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = sha256.Sum256(b)
		}
		return nil
	})
	return m
}

// TestHostileLessonsFailAlone runs, in one invocation, every lesson a
// hostile instructor or a careless student could write, and then a good
// lesson. The run exits 1; each hostile lesson gets one line naming its
// file, line and (once running) cell; the good lesson's page is written
// with every check passing; no file outside --out changes; and the run
// keeps to its time and memory limits.
func TestHostileLessonsFailAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a memory bomb and waits for time limits")
	}
	dir := t.TempDir()
	lessons := filepath.Join(dir, "lessons")
	victims := filepath.Join(dir, "victims")
	os.MkdirAll(victims, 0o755)
	victim := filepath.Join(victims, "data.jsonl")
	os.WriteFile(victim, []byte("{}\n"), 0o644)
	q := func(s string) string { return `"` + s + `"` }
	const plot, plots, prefs, reward, plotter, pipeline = "gonum.org/v1/plot", "github.com/rlhfsim/rlhfsim/plots", "github.com/rlhfsim/rlhfsim/sim/prefs",
		"github.com/rlhfsim/rlhfsim/sim/reward", "gonum.org/v1/plot/plotter", "github.com/rlhfsim/rlhfsim/sim/pipeline"
	cases := []struct {
		id, body string
		imports  []string
		want     string // regexp after "lesson ID stopped: FILE:"
	}{
		{"h01-recursion", "\tvar f func(int) int\n\tf = func(n int) int { return f(n+1) + 1 }\n\tfmt.Println(f(0))", nil, `17: stack overflow: .* \(unbounded recursion\?\) in the cell at line 14; the rest of the lesson was not run`},
		{"h02-make-bomb", "\tx := make([]float64, 1<<40)\n\tfmt.Println(len(x))", nil, `15: used more than 512 MiB of memory .* in the cell at line 14`},
		{"h03-append-growth", "\tvar xs [][]float64\n\tfor {\n\t\txs = append(xs, make([]float64, 1<<20))\n\t}", nil, `16: used more than 512 MiB of memory`},
		{"h04-constant-bomb", "\tconst a = 1 << 100000\n\tfmt.Println(a > 0)", nil, `15:\d+: .*shift count.*use float64 values`},
		{"h05-compiled-work", "\tc := pipeline.Default()\n\tc.Data.Prompts = 100000\n\tc.RM.Epochs = 500\n\tc.RM.Patience = 500\n\t_, _, err := c.Reward()\n\tfmt.Println(err)", []string{pipeline}, `20: did not finish within 2s .* in the cell at line 15`},
		{"h06-callback-panics", "\tp := plot.New()\n\tp.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { panic(\"tick\") })\n\tnb.Figure(\"f\", p)", []string{plot, "github.com/rlhfsim/rlhfsim/nb"}, `19: panic: tick; the rest`},
		{"h07-callback-hangs", "\tp := plot.New()\n\tp.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick {\n\t\tfor {\n\t\t}\n\t})\n\tnb.Figure(\"f\", p)", []string{plot, "github.com/rlhfsim/rlhfsim/nb"}, `22: did not finish within 2s`},
		{"h08-plots-save", "\t_ = plots.Save(nil, nil, " + q(victim) + ")", []string{plots}, `16:\d+: plots.Save writes files`},
		{"h09-plot-save", "\tp := plot.New()\n\t_ = p.Save(100, 100, " + q(victim) + ")", []string{plot}, `17:\d+: the method Save`},
		{"h10-prefs-write", "\t_ = prefs.WriteFile(" + q(victim) + ", nil)", []string{prefs}, `16:\d+: prefs.WriteFile writes files`},
		{"h11-prefs-read", "\t_, _ = prefs.ReadFile(" + q(victim) + ")", []string{prefs}, `16:\d+: prefs.ReadFile reads files`},
		{"h12-model-load", "\t_, _ = reward.LoadFile(" + q(victim) + ")", []string{reward}, `16:\d+: reward.LoadFile reads files`},
		{"h13-model-save", "\tvar s *reward.Scorer\n\t_ = s.Save(" + q(victim) + ")", []string{reward}, `17:\d+: the method Save`},
		{"h14-plots-vars", "\tplots.ErrData = nil", []string{plots}, `16:2: lessons cannot change the package variable plots.ErrData`},
		{"h15-plot-vars", "\tplot.DefaultFont.Size = 1", []string{plot}, `16:2: lessons cannot change the package variable plot.DefaultFont`},
		{"h16-plotter-vars", "\tplotter.DefaultLineStyle.Width = 0", []string{plotter}, `16:2: lessons cannot change the package variable plotter.DefaultLineStyle`},
		{"h17-line-directive", "//line elsewhere.go:1\n\tgo panic(\"hidden\")", nil, `15:1: line directives are not allowed`},
		{"h18-hook", "\tfor {\n\t\t__nbcell.Cell(5)\n\t}", nil, `16:3: the name __nbcell is reserved`},
		{"h19-scanln", "\tvar s string\n\tfmt.Scanln(&s)", nil, `16:2: fmt.Scanln reads standard input`},
	}
	args := []string{"run"}
	for _, c := range cases {
		args = append(args, hostileLesson(t, lessons, c.id, c.body, c.imports...))
	}
	// 20 MB of output is not a failure: the cell's output is cut at 1 MiB.
	// (20 rather than 100: printing 100 MB took most of a 1 s limit on a
	// loaded 2-core machine.) The cell limit is 2 s: at 1 s the recursion
	// bomb sometimes ran out of time before it reached the 64 MiB stack cap
	// on a loaded machine, and the message said "did not finish", not
	// "stack overflow".
	loud := hostileLesson(t, lessons, "h20-loud", "\tfmt.Println(strings.Repeat(\"y\", 20<<20))\n\tfmt.Println(\"after\")", "strings")
	args = append(args, loud, "00")
	out := filepath.Join(dir, "out")
	args = append(args, "--out", out, "--format", "html", "--timeout", "2s", "--memory", "512MiB")
	before, beforeLessons := snapshot(t, victims), snapshot(t, lessons)

	code, stdout, stderr := rlhfsim(args...)
	if code != 1 || !strings.Contains(stderr, "19 of 21 lessons failed") {
		t.Errorf("exit %d, stderr ends %q", code, stderr[max(0, len(stderr)-200):])
	}
	for _, c := range cases {
		file := filepath.Join(lessons, c.id, "main.go")
		re := regexp.MustCompile("(?m)^rlhfsim: lesson " + c.id + " stopped: " + regexp.QuoteMeta(file) + ":" + c.want)
		if !re.MatchString(stderr) {
			t.Errorf("%s: no line matching %s in\n%s", c.id, re, stderr)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "html", "00-notebook-tour.html"))
	if err != nil || !bytes.Contains(page, []byte("Self-checks: 1, failed: 0.")) {
		t.Errorf("the good lesson's page: %v", err)
	}
	loudPage, _ := os.ReadFile(filepath.Join(out, "html", "h20-loud.html"))
	if !bytes.Contains(loudPage, []byte("output truncated")) || !bytes.Contains(loudPage, []byte("after")) || len(loudPage) > 3<<20 {
		t.Errorf("the loud lesson's page has %d bytes", len(loudPage))
	}
	for p, h := range snapshot(t, victims) {
		if before[p] != h {
			t.Errorf("%s changed", p)
		}
	}
	if after := snapshot(t, lessons); len(after) != len(beforeLessons) {
		t.Errorf("the lessons directory changed: %d files, was %d", len(after), len(beforeLessons))
	}
	_ = stdout
	// Each limit's firing is asserted by its stop line above; neither
	// the run's wall-clock time nor the children's peak memory (which
	// depends on what ran before in this process) is a test.
}

// TestTerminalInjectionIsShownNotObeyed: escape and carriage-return
// characters in a lesson's prints, check text, hint, table, quiz and
// panic message used to reach the terminal unchanged, so a lesson could
// write a fake "checks: 99 passed" at column 0 and hide the real summary.
// They are shown as escapes, and the real summary is the last line.
func TestTerminalInjectionIsShownNotObeyed(t *testing.T) {
	dir := t.TempDir()
	evil := `"\rchecks: 99 passed, 0 failed\x1b[8m"`
	p := hostileLesson(t, dir, "inject", "\tfmt.Println("+evil+")\n\tnb.Table([]string{"+evil+"}, [][]string{{"+evil+"}})\n\tnb.Check("+evil+", false, "+evil+")\n\tnb.Quiz("+evil+", []string{"+evil+", \"b\"}, 0, "+evil+")\n\tpanic("+evil+")",
		"github.com/rlhfsim/rlhfsim/nb")
	code, stdout, stderr := rlhfsim("run", p, "--format", "term")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for name, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
		if strings.ContainsAny(out, "\r\x1b") {
			t.Errorf("%s carries raw control characters: %q", name, out)
		}
	}
	if !strings.Contains(stdout, `\rchecks: 99 passed, 0 failed\x1b[8m`) {
		t.Errorf("the text is not shown escaped:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if last := lines[len(lines)-1]; last != "checks: 0 passed, 1 failed" {
		t.Errorf("last line %q", last)
	}
}

// TestMarkupInLessonTextStaysText: check, quiz, table and prose text went
// into .md and .ipynb files unescaped, where the HTML page escapes it, and
// notebook viewers render Markdown cells as HTML. A tag in any of them now
// reaches neither file as a tag, and a backtick fence in code cannot close
// its block early.
func TestMarkupInLessonTextStaysText(t *testing.T) {
	dir := t.TempDir()
	tag := `<img src=x onerror=alert(1)>`
	body := "\t// %% [markdown]\n\t// Prose with <script>alert(2)</script> in it.\n\t//\n\t// <div onclick=alert(3)>a block</div>\n\n\t// %%\n\tconst s = \"" + tag + "\"\n\t_ = \"```\\n" + tag + "\"\n" +
		"\tnb.Check(s, false, s)\n\tnb.Table([]string{s}, [][]string{{s}})\n\tnb.Quiz(s, []string{s, \"b\"}, 0, s)"
	p := hostileLesson(t, dir, "markup", body, "github.com/rlhfsim/rlhfsim/nb")
	out := t.TempDir()
	if code, _, stderr := rlhfsim("run", p, "--format", "md,ipynb", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "md", "markup.md"))
	if err != nil {
		matches, _ := filepath.Glob(filepath.Join(out, "*", "*.md"))
		if len(matches) == 0 {
			t.Fatalf("no Markdown written: %v", err)
		}
		md, _ = os.ReadFile(matches[0])
	}
	docs := []string{string(md)}
	nbs, _ := filepath.Glob(filepath.Join(out, "*", "*.ipynb"))
	if len(nbs) == 0 {
		t.Fatal("no notebook written")
	}
	b, _ := os.ReadFile(nbs[0])
	var nb struct {
		Cells []struct {
			CellType string   `json:"cell_type"`
			Source   []string `json:"source"`
			Outputs  []struct {
				Data map[string]any `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if c.CellType == "markdown" {
			docs = append(docs, strings.Join(c.Source, ""))
		}
		for _, o := range c.Outputs {
			if m, ok := o.Data["text/markdown"].([]any); ok {
				var parts []string
				for _, x := range m {
					parts = append(parts, x.(string))
				}
				docs = append(docs, strings.Join(parts, ""))
			}
		}
	}
	// What a Markdown renderer would pass through as HTML: only the
	// outputs' own answer-folding tags are allowed.
	own := map[string]bool{"<details>": true, "<summary>Answer</summary>": true, "</details>": true}
	for i, d := range docs {
		doc := goldmark.DefaultParser().Parse(text.NewReader([]byte(d)))
		ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			var segs *text.Segments
			switch n := n.(type) {
			case *ast.RawHTML:
				segs = n.Segments
			case *ast.HTMLBlock:
				segs = n.Lines()
			}
			if entering && segs != nil {
				for j := 0; j < segs.Len(); j++ {
					for _, tag := range strings.Fields(strings.NewReplacer("><", "> <").Replace(func() string { sg := segs.At(j); return string(sg.Value([]byte(d))) }())) {
						if !own[tag] {
							t.Errorf("document %d passes raw HTML through: %q", i, tag)
						}
					}
				}
			}
			return ast.WalkContinue, nil
		})
	}
}
