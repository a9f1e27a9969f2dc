package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
)

func TestRunLessonWritesEveryFormat(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := rlhfsim("run", "00", "--out", out, "--format", "term,html,md", "--set", "tokens=300")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"A tour of the notebook", "tokens=300", "inspecting a factual answer of 300 tokens", "HTML notebook: " + filepath.Join(out, "html", "index.html")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, f := range []string{"html/index.html", "html/00-notebook-tour.html", "md/00-notebook-tour.md", "figures/00-notebook-tour-figure-1.svg", "figures/00-notebook-tour-figure-1.png"} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("missing %s", f)
		}
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "99-broken")
	if code, _, stderr := rlhfsim("new", "99-broken", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	src, _ := os.ReadFile(filepath.Join(broken, "main.go"))
	os.WriteFile(filepath.Join(broken, "main.go"), []byte(strings.Replace(string(src), `fmt.Println("pairs:", len(d.Pairs))`, `panic("broken on purpose")`, 1)), 0o644)

	// A failing lesson gives exit 1, and the lesson after it still runs.
	code, stdout, stderr := rlhfsim("run", broken, "00", "--out", t.TempDir(), "--format", "term")
	if code != 1 || !strings.Contains(stderr, "lesson 99-broken stopped") || !strings.Contains(stderr, "panic: broken on purpose") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "A tour of the notebook") {
		t.Error("the lesson after the failing one did not run")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "00", "--set", "nope=1"}, "--set nope: no selected lesson has that parameter. Lesson 00-notebook-tour's parameters: tokens (float, default 120, 10 to 1000)"},
		{[]string{"run", "00", "--set", "tokens=5000"}, `--set tokens=5000: "5000" is not a number from 10 to 1000`},
		{[]string{"run", "zz"}, `"zz" matches no lesson`},
		{[]string{"run", "--format", "pdf"}, `--format "pdf"`},
		{[]string{"new", "Bad Name"}, "lower-case letters"},
	} {
		code, _, stderr := rlhfsim(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestCheckLessonsExportNew(t *testing.T) {
	if code, stdout, stderr := rlhfsim("check"); code != 0 || !strings.Contains(stdout, "no problems") {
		t.Errorf("check of the course: exit %d %s %s", code, stdout, stderr)
	}
	if code, stdout, _ := rlhfsim("lessons"); code != 0 || !strings.Contains(stdout, "00-notebook-tour") {
		t.Errorf("lessons: %q", stdout)
	}
	dir := t.TempDir()
	if code, _, stderr := rlhfsim("export", dir); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "00-notebook-tour", "main.go")); err != nil {
		t.Fatal("export did not write the demo lesson")
	}
	if code, _, stderr := rlhfsim("export", dir); code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("second export: exit %d %q", code, stderr)
	}
	// An edited copy runs instead of the embedded lesson.
	p := filepath.Join(dir, "00-notebook-tour", "main.go")
	src, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(src), `"inspecting a %s answer`, `"EDITED: inspecting a %s answer`, 1)), 0o644)
	if code, stdout, _ := rlhfsim("run", filepath.Join(dir, "00-notebook-tour"), "--format", "term", "--out", t.TempDir()); code != 0 || !strings.Contains(stdout, "EDITED") {
		t.Errorf("edited copy: exit %d", code)
	}
	// check reports the interpreter's traps with their lines.
	bad := filepath.Join(dir, "98-bad")
	rlhfsim("new", "98-bad", "--dir", dir)
	src, _ = os.ReadFile(filepath.Join(bad, "main.go"))
	os.WriteFile(filepath.Join(bad, "main.go"), []byte(strings.Replace(string(src), `fmt.Println("pairs:", len(d.Pairs))`, "for i := range 3 {\n\t\tfmt.Println(i)\n\t}", 1)), 0o644)
	line := 1 + strings.Count(string(src[:strings.Index(string(src), `fmt.Println("pairs:"`)]), "\n")
	code, stdout, _ := rlhfsim("check", bad)
	if code != 1 || !strings.Contains(stdout, fmt.Sprintf("main.go:%d:2: range over an integer", line)) {
		t.Errorf("check of a bad lesson: exit %d, %q", code, stdout)
	}
}

// TestSecretCodesKeyAndStudent walks the instructor's loop: make a
// secret, print a student's code, print the student's key, and find the
// key's reveal on the page the student runs with that code.
func TestSecretCodesKeyAndStudent(t *testing.T) {
	t.Setenv(secretEnv, "")
	dir := t.TempDir()
	secret := filepath.Join(dir, "course.secret")
	if code, _, stderr := rlhfsim("secret", "--out", secret); code != 0 {
		t.Fatalf("secret: %s", stderr)
	}
	if st, err := os.Stat(secret); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the secret file: %v, %v", st, err)
	}
	if code, _, stderr := rlhfsim("secret", "--out", secret); code == 0 || !strings.Contains(stderr, "never overwrites") {
		t.Errorf("secret overwrote a file: %s", stderr)
	}
	code, csvOut, stderr := rlhfsim("codes", "--secret", secret, "Ada", " ada ", "Alan")
	rows := strings.Split(strings.TrimSpace(csvOut), "\n")
	if code != 0 || len(rows) != 4 || rows[0] != "student,variant" {
		t.Fatalf("codes: exit %d %q %s", code, csvOut, stderr)
	}
	adaCode := strings.Split(rows[1], ",")[1]
	if strings.Split(rows[2], ",")[1] != adaCode || strings.Split(rows[3], ",")[1] == adaCode {
		t.Errorf("codes: %q", csvOut)
	}

	// key writes nothing where it runs (it once left ./figures behind).
	t.Chdir(t.TempDir())
	code, stdout, stderr := rlhfsim("key", "--secret", secret, "--student", "Ada", "01")
	if ents, _ := os.ReadDir("."); len(ents) != 0 {
		t.Errorf("key wrote %d files into the working directory", len(ents))
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"answer key for Ada, variant " + adaCode + " (seed 1)", "gold weight of helpfulness:", "annotators' tau:", "== 01-hidden-truth",
		"prediction 1: Which answer has the highest gold reward?", "quiz 1:", "checks: 2 of 2 pass in this variant"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("key lacks %q:\n%s", want, stdout)
		}
	}
	// The key reveals what the student's page reveals (shown here with
	// the secret, since --reveal of a graded variant needs it).
	page := func(args ...string) string {
		code, page, stderr := rlhfsim(append([]string{"run", "01", "--format", "term", "--reveal", "--out", t.TempDir()}, args...)...)
		if code != 0 {
			t.Fatalf("run %v: %s", args, stderr)
		}
		return strings.Join(strings.Fields(page), " ")
	}
	i := strings.Index(stdout, "revealed: ")
	reveal := stdout[i+len("revealed: ") : i+strings.Index(stdout[i:], "\n")]
	if !strings.Contains(page("--student", "ada", "--variant", adaCode, "--secret", secret), reveal[:40]) {
		t.Errorf("the key's reveal %q is not on the student's page", reveal)
	}
	if strings.Contains(page("--student", "ada"), reveal[:40]) {
		t.Error("a name without its code drew the student's variant")
	}
	t.Setenv(secretEnv, "too short")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"key", "--secret", secret}, "key needs --student NAME"},
		{[]string{"key", "--secret", secret, "--student", ""}, "key needs --student NAME"},
		{[]string{"key", "--secret", secret, "--student", strings.Repeat("x", 101)}, "invalid --student"},
		{[]string{"key", "--secret", secret, "--student", "ada", "99-nope"}, "99-nope"},
		{[]string{"key", "--student", "ada"}, "at least 16"},
		{[]string{"key", "--student", "ada", "--secret", filepath.Join(dir, "none")}, "--secret"},
		{[]string{"run", "01", "--student", "   ", "--variant", adaCode}, "invalid --student"},
		{[]string{"run", "01", "--student", "ada", "--variant", "12345"}, "16 hex digits"},
		{[]string{"run", "01", "--variant", adaCode}, "--variant needs --student"},
		{[]string{"run", "01", "--student", "ada", "--variant", adaCode, "--reveal"}, "--reveal shows the answers of a graded variant"},
		{[]string{"run", "01", "--student", "ada", "--variant", adaCode, "--interactive", "--answers", filepath.Join(dir, "a.json"), "--set", "k=3"}, "--answers with --set"},
		{[]string{"codes", "--secret", secret}, "codes needs names"},
	} {
		code, stdout, stderr := rlhfsim(c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
	}
	t.Setenv(secretEnv, "")
	if code, _, stderr := rlhfsim("key", "--student", "ada", "01"); code != 2 || !strings.Contains(stderr, "needs the course secret") {
		t.Errorf("key without a secret: exit %d %q", code, stderr)
	}
}

// TestReleaseSubmitGrade walks the whole loop on lesson 03: the
// instructor releases the course, a student writes the exercise and
// answers in the terminal, hands in one file, and the grade reruns the
// lesson in the student's variant with the hidden tests.
func TestReleaseSubmitGrade(t *testing.T) {
	t.Setenv(secretEnv, "")
	dir := t.TempDir()
	secret := filepath.Join(dir, "course.secret")
	rel := filepath.Join(dir, "release")
	if code, _, stderr := rlhfsim("secret", "--out", secret); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := rlhfsim("release", "--out", rel, "--format", "none", "03", "04")
	if code != 0 || !strings.Contains(stdout, "wrote 2 student lessons (2 exercises)") {
		t.Fatalf("release: exit %d %s %s", code, stdout, stderr)
	}
	if code, _, stderr := rlhfsim("release", "--out", rel, "03"); code != 2 || !strings.Contains(stderr, "not empty") {
		t.Errorf("a second release into the same directory: exit %d %s", code, stderr)
	}
	file := filepath.Join(rel, "lessons", "03-lists-to-pairs", "main.go")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"BEGIN SOLUTION", "[tests ranking-to-pairs]", "nb.Quiz(", "The ranking is turned into pairs"} {
		if strings.Contains(string(src), gone) {
			t.Errorf("the student copy holds %q", gone)
		}
	}
	// The student writes the exercise and answers the two questions.
	mine := strings.Replace(string(src), `panic("exercise ranking-to-pairs: not written yet; write your code here")`,
		"for i := range order {\n\t\t\tfor j := i + 1; j < len(order); j++ {\n\t\t\t\tout = append(out, [2]int{order[i], order[j]})\n\t\t\t}\n\t\t}", 1)
	if err := os.WriteFile(file, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	_, csvOut, _ := rlhfsim("codes", "--secret", secret, "Ada")
	variant := strings.Split(strings.Split(strings.TrimSpace(csvOut), "\n")[1], ",")[1]
	answers := filepath.Join(dir, "answers.json")
	var out bytes.Buffer
	c := newRoot()
	c.SetArgs([]string{"run", filepath.Dir(file), "--student", "Ada", "--variant", variant, "--interactive", "--answers", answers, "--format", "term", "--out", filepath.Join(dir, "out")})
	// The prediction's truth is written in the lesson, so the student's
	// copy asks it as a quiz, in Ada's order of the options: find the
	// letter of the right one, "about 4.7 times" (option 1).
	q := "An annotator who ranks 8 answers instead of 4 reads twice as many answers. How many times as many preference pairs does the ranking give?"
	right := string(rune('a' + slices.Index(nb.QuizOrder(q, 4, 1, "Ada"), 1)))
	c.SetIn(strings.NewReader(right + "\nz\na\na\n"))
	c.SetOut(&out)
	c.SetErr(&out)
	if err := c.Execute(); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	// "z" is not an answer: asked again, not skipped.
	if !strings.Contains(out.String(), "saved: it is graded later.") || !strings.Contains(out.String(), `"z" is not one of the answers`) || !strings.Contains(out.String(), "answers: "+answers+" (3)") {
		t.Errorf("the interactive run did not keep three answers:\n%s", out.String())
	}
	sub := filepath.Join(dir, "ada.json")
	code, stdout, stderr = rlhfsim("submit", filepath.Join(rel, "lessons"), "--student", "Ada", "--variant", variant, "--answers", answers, "--out", sub)
	if code != 0 || !strings.Contains(stdout, "3 answers, 1 exercises") || !strings.Contains(stdout, "04-training-as-ranking/bt-loss") {
		t.Fatalf("submit: exit %d %s %s", code, stdout, stderr)
	}
	grades := filepath.Join(dir, "grades")
	code, stdout, stderr = rlhfsim("grade", "--secret", secret, "--only", "03", "--out", grades, sub)
	if code != 0 {
		t.Fatalf("grade: exit %d %s %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(grades, "grades.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The prediction was answered right; the quizzes' marks are whatever
	// "a" was: a row each either way.
	for _, want := range []string{"ada.json,Ada," + variant + ",03-lists-to-pairs,predict 1:", ",predict,1,1,right", "exercise ranking-to-pairs,exercise,3,3,all 3 hidden tests pass", ",quiz,"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("grades.csv lacks %q:\n%s", want, b)
		}
	}
	if _, err := os.Stat(filepath.Join(grades, "feedback", grade.FeedbackFile("Ada"))); err != nil {
		t.Errorf("no feedback page: %v", err)
	}
	if code, _, stderr := rlhfsim("grade", "--out", grades, sub); code != 2 || !strings.Contains(stderr, "needs the course secret") {
		t.Errorf("grade without the secret: exit %d %s", code, stderr)
	}
}

// TestAnExportedCourseWorksAsACourse: a course directory is a selection of
// all its lessons, "course/*" skips the README, and "new" inside the
// course puts the lesson beside the others.
func TestAnExportedCourseWorksAsACourse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "course")
	if code, _, stderr := rlhfsim("export", dir); code != 0 {
		t.Fatal(stderr)
	}
	t.Chdir(dir)
	if code, stdout, stderr := rlhfsim("new", "15-my-lesson"); code != 0 || !strings.Contains(stdout, "wrote 15-my-lesson/main.go") {
		t.Fatalf("new: %d %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "lessons")); err == nil {
		t.Error("new made a nested lessons/ folder")
	}
	glob, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, args := range [][]string{{"check", dir}, append([]string{"check"}, glob...)} {
		code, stdout, stderr := rlhfsim(args...)
		if code != 0 || !strings.Contains(stdout, "lessons: no problems") {
			t.Errorf("%v: exit %d %s %s", args[:2], code, stdout, stderr)
		}
	}
}

// TestTerminalStylesAndSummary: a light style does not paint prose in the
// dark style's light grey, NO_COLOR and plain print no escapes, long code
// lines wrap, and a run of several lessons ends with a summary.
func TestTerminalStylesAndSummary(t *testing.T) {
	out := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := rlhfsim(append([]string{"run", "--format", "term", "--out", out}, args...)...)
		if code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
		return stdout
	}
	light, dark := run("00", "--style", "light"), run("00", "--style", "dark")
	if !strings.Contains(light, "\x1b[") || strings.Contains(light, "38;5;252m") || !strings.Contains(dark, "38;5;252m") {
		t.Error("the light style paints prose in the dark style's grey, or a style paints nothing")
	}
	t.Setenv("NO_COLOR", "1")
	if s := run("00", "--style", "dark"); strings.Contains(s, "\x1b[") {
		t.Error("NO_COLOR printed escapes")
	}
	plain := run("00", "01", "--style", "plain")
	for _, line := range strings.Split(plain, "\n") {
		if strings.HasPrefix(line, "  │ ") && len([]rune(line)) > 80 {
			t.Errorf("a code line of %d columns: %q", len([]rune(line)), line)
		}
	}
	for _, want := range []string{"\nsummary\n", "00-notebook-tour  self-checks: 1 of 1 pass", "2 lessons: 2 with every self-check passing, 0 stopped"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the run lacks %q", want)
		}
	}
	if code, _, stderr := rlhfsim("run", "00", "--style", "neon"); code != 2 || !strings.Contains(stderr, "want auto, dark, light or plain") {
		t.Errorf("--style neon: %d %s", code, stderr)
	}
}
