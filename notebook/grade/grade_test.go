package grade

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

var secret = []byte("a course secret for the grader's tests")

func testCourse(t *testing.T) []*notebook.Lesson {
	t.Helper()
	ls, err := notebook.Load(os.DirFS("testdata/course"), "testdata/course")
	if err != nil || len(ls) != 2 {
		t.Fatalf("the test course: %d lessons, %v", len(ls), err)
	}
	return ls
}

// student is one generated student: what they hand in and what the
// grade must be.
type pupil struct {
	name, file string
	raw        []byte // the submission file as handed in
	want       map[string]float64
	// feedback holds words each item's feedback must contain.
	feedback map[string]string
}

// truths are a student's right answers, computed from the variant alone,
// not by running the lesson: correctness above helpfulness or not, and
// the weight of helpfulness.
func truths(t *testing.T, name string) (code, more string, help float64) {
	code, err := world.Code(secret, name)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := world.Student(name, code)
	more = "helpfulness"
	if v.W[world.Correctness] > v.W[world.Helpfulness] {
		more = "correctness"
	}
	return code, more, v.W[world.Helpfulness]
}

const rightLoss = "loss := func(m float64) (l, g float64) {\n\tl = math.Log1p(math.Exp(-m))\n\tg = -1 / (1 + math.Exp(m))\n\treturn l, g\n}"

func sub(name, code string, answers []Answer, loss string) []byte {
	s := Submission{Format: Format, Student: name, Variant: code, Answers: answers}
	if loss != "" {
		s.Exercises = []Exercise{{Lesson: "02-softplus", Name: "loss", Code: loss}}
	}
	var b bytes.Buffer
	s.Write(&b)
	return b.Bytes()
}

func answers(quiz, predict string, number float64) []Answer {
	return []Answer{
		{Lesson: "01-world", Kind: "quiz", Question: "What does a reward model learn from?", Choice: quiz},
		{Lesson: "01-world", Kind: "predict", Question: "Which weighs more in your world's gold reward?", Choice: predict, Seed: 1},
		{Lesson: "01-world", Kind: "number", Question: "The gold weight of helpfulness in your world?", Choice: strconv.FormatFloat(number, 'g', -1, 64)},
	}
}

func other(s string) string {
	if s == "helpfulness" {
		return "correctness"
	}
	return "helpfulness"
}

// class generates thirty submissions: right, partly right, wrong, empty,
// malformed, tampered and hostile.
func class(t *testing.T) []pupil {
	var out []pupil
	add := func(name string, raw []byte, want map[string]float64, feedback map[string]string) {
		out = append(out, pupil{name: name, file: fmt.Sprintf("%02d.json", len(out)+1), raw: raw, want: want, feedback: feedback})
	}
	all := func(q, p, n, ex float64) map[string]float64 {
		return map[string]float64{"quiz 1": q, "predict 1": p, "number 1": n, "exercise loss": ex}
	}
	for i := range 4 {
		name := fmt.Sprintf("Right Student %d", i)
		code, more, help := truths(t, name)
		add(name, sub(name, code, answers("comparisons", more, help*1.005), rightLoss), all(1, 1, 1, 3), map[string]string{"exercise loss": "all 3 hidden tests pass"})
	}
	for i := range 4 {
		name := fmt.Sprintf("Partly Student %d", i)
		code, more, help := truths(t, name)
		// The gradient's sign is wrong: two of three tests fail.
		bad := strings.Replace(rightLoss, "g = -1", "g = 1", 1)
		add(name, sub(name, code, answers("comparisons", other(more), help*1.1), bad), all(1, 0, 0, 1), map[string]string{"exercise loss": "1 of 3 hidden tests pass; failed: the gradient at 0 is -1/2", "number 1": "wrong"})
	}
	for i := range 4 {
		name := fmt.Sprintf("Wrong Student %d", i)
		code, more, help := truths(t, name)
		add(name, sub(name, code, answers("gold rewards", other(more), -help), "loss := func(m float64) (l, g float64) { return 0, 0 }"), all(0, 0, 0, 0), map[string]string{"quiz 1": `the answer is "comparisons"`})
	}
	for i := range 3 {
		name := fmt.Sprintf("Empty Student %d", i)
		code, _, _ := truths(t, name)
		add(name, sub(name, code, nil, ""), all(0, 0, 0, 0), map[string]string{"quiz 1": "not answered", "exercise loss": "not submitted"})
	}
	// Malformed files: one row each, saying why.
	add("", []byte("not json at all"), nil, map[string]string{"submission": "not JSON"})
	add("", []byte(`{"format":"something else","student":"x"}`), nil, map[string]string{"submission": "format"})
	add("", append([]byte(`{"format":"rlhfsim-submission/1","student":"`), bytes.Repeat([]byte("x"), MaxBytes)...), nil, map[string]string{"submission": "larger than"})
	// Tampered: a classmate's code, and a classmate's answers.
	{
		name := "Tamper One"
		_, more, help := truths(t, name)
		code2, _, _ := truths(t, "Right Student 0")
		add(name, sub(name, code2, answers("comparisons", more, help), rightLoss), all(1, 1, 1, 3), map[string]string{"submission": "not this name's"})
	}
	{
		name := "Copier"
		code, _, _ := truths(t, name)
		_, more0, help0 := truths(t, "Right Student 0")
		_, more, help := truths(t, name)
		p := 0.0
		if more0 == more {
			p = 1
		}
		n := 0.0
		if d := help0/help - 1; d < 0.01 && d > -0.01 {
			n = 1
		}
		add(name, sub(name, code, answers("comparisons", more0, help0), rightLoss), all(1, p, n, 3), nil)
	}
	// Hostile code: each stops alone, with a line that says why.
	for i, c := range []struct{ code, why string }{
		{"loss := func(m float64) (l, g float64) { for { } }", "time"},
		{"loss := func(m float64) (l, g float64) {\n\tvar keep [][]byte\n\tfor {\n\t\tkeep = append(keep, make([]byte, 1<<26))\n\t}\n}", "memory"},
		{"loss := func(m float64) (l, g float64) { panic(\"boom\") }", "boom"},
		{"loss := func(m float64) (l, g float64) { os.Exit(0); return }", "undefined: os"},
		{"loss := func(m float64) (l, g float64) { return }\n// %%\nnb.Check(\"fake\", true, \"\")", "cell marker"},
		{"var loss func(m float64) (l, g float64)\nloss = func(m float64) (l, g float64) { return loss(m) }", "recurs"},
		// Checks the student's code makes are not the hidden tests'.
		{"loss := func(m float64) (l, g float64) { nb.Check(\"loss(0) is log 2\", true, \"\"); nb.Check(\"the gradient at 0 is -1/2\", true, \"\"); return 0, 0 }", "0 of 3 hidden tests pass"},
		// Shadowing what the tests call, or writing what they read.
		{"check := nb.Check\nnb := struct{ Check func(string, bool, string) bool }{func(w string, _ bool, h string) bool { return check(w, true, h) }}\nloss := func(m float64) (l, g float64) { return }", "declares check, nb at its top level"},
		{"loss := func(m float64) (l, g float64) { math.Pi = 0; return }", "assigns to math"},
	} {
		name := fmt.Sprintf("Hostile Student %d", i)
		code, more, help := truths(t, name)
		add(name, sub(name, code, answers("comparisons", more, help), c.code), all(1, 1, 1, 0), map[string]string{"exercise loss": c.why})
	}
	// Right code that also makes checks of its own scores 3, no more.
	{
		name := "Chatty Student"
		code, more, help := truths(t, name)
		chatty := strings.Replace(rightLoss, "return l, g", "for i := 0; i < 50; i++ {\n\t\tnb.Check(\"free\", true, \"\")\n\t}\n\treturn l, g", 1)
		add(name, sub(name, code, answers("comparisons", more, help), chatty), all(1, 1, 1, 3), map[string]string{"exercise loss": "all 3 hidden tests pass"})
	}
	if len(out) != 30 {
		t.Fatalf("the class has %d submissions, want 30", len(out))
	}
	return out
}

// TestAClassOfThirtyGrades grades thirty generated submissions and checks
// every student's every item, the rows of the malformed ones, and that
// the CSV holds one row per item.
func TestAClassOfThirtyGrades(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about a hundred lessons")
	}
	students := class(t)
	var in []Input
	for _, s := range students {
		sub, err := Read(bytes.NewReader(s.raw))
		in = append(in, Input{Name: s.file, Sub: sub, Err: err})
	}
	g := &Grader{Lessons: testCourse(t), Secret: secret, Parallel: 2,
		Limits: worker.Limits{Cell: 3 * time.Second, Lesson: 20 * time.Second, Memory: 512 << 20}}
	graded := g.GradeAll(context.Background(), in, nil)
	for i, s := range students {
		got := map[string]Item{}
		for _, it := range graded[i].Items {
			key := it.Item
			if j := strings.Index(key, ":"); j > 0 {
				key = key[:j]
			}
			got[key] = it
		}
		for item, pts := range s.want {
			if it, ok := got[item]; !ok || it.Points != pts {
				t.Errorf("%s (%s): %s: %v points (%q), want %v", s.file, s.name, item, it.Points, it.Feedback, pts)
			}
		}
		for item, words := range s.feedback {
			if it := got[item]; !strings.Contains(it.Feedback, words) {
				t.Errorf("%s (%s): %s: feedback %q lacks %q", s.file, s.name, item, it.Feedback, words)
			}
		}
		if s.want == nil && len(graded[i].Items) != 1 {
			t.Errorf("%s: a malformed submission gave %d rows", s.file, len(graded[i].Items))
		}
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, graded); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n := 1
	for _, g := range graded {
		n += len(g.Items)
	}
	if len(rows) != n || strings.Join(rows[0], ",") != "submission,student,variant,lesson,item,kind,points,max,feedback" {
		t.Errorf("the CSV has %d rows, want %d; header %v", len(rows), n, rows[0])
	}
}

// TestCSVDefusesFormulas: a name a spreadsheet would run is written as
// text.
func TestCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	WriteCSV(&b, []Graded{{Items: []Item{{Student: "=HYPERLINK(\"x\")", Feedback: "@SUM(A1)", Max: 1}}}})
	if !strings.Contains(b.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(b.String(), "'@SUM(A1)") {
		t.Errorf("formulas not defused:\n%s", b.String())
	}
	if SafeCell("-3.5") != "-3.5" || SafeCell("-3.5+A1") != "'-3.5+A1" {
		t.Errorf("a negative number became %q, a formula after one %q", SafeCell("-3.5"), SafeCell("-3.5+A1"))
	}
	if FeedbackFile("Ada Lovelace") == FeedbackFile("ada-lovelace") || !strings.HasPrefix(FeedbackFile("../../etc"), "etc-") {
		t.Errorf("feedback file names: %q %q %q", FeedbackFile("Ada Lovelace"), FeedbackFile("ada-lovelace"), FeedbackFile("../../etc"))
	}
}
