package notebook

import (
	"strings"
	"testing"
)

const exerciseLesson = header + `package main

import (
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
)

func main() {
	// %% [markdown]
	// Write the loss.

	// %% [exercise loss]
	loss := func(m float64) float64 {
		// BEGIN SOLUTION
		return math.Log1p(math.Exp(-m))
		// END SOLUTION
	}

	// %% [tests loss]
	nb.Check("loss(0) is log 2", math.Abs(loss(0)-math.Ln2) < 1e-12, "softplus(-m)")
	nb.TrueFalse("hidden", true, "in tests")

	// %%
	nb.Quiz("Which?", []string{"x", "y"}, 1,
		"because y")
	nb.TrueFalse("Is it?", false, "no")
	nb.Predict("Guess", []string{"a", "b"}, 0, "a it was")
	best := 1
	nb.Predict("Computed", []string{"a", "b"}, best, "b, as the run found")
}
`

// TestStudentSourceStripsSolutionsTestsAndAnswers: the student's copy
// has a stub for the solution, no tests cell, questions without answers
// (a prediction with a written truth too), and computed predictions as
// they were; its exercise code and the instructor's
// splice back into a lesson with the same cells.
func TestStudentSourceStripsSolutionsTestsAndAnswers(t *testing.T) {
	l, err := Parse("x", "x.go", []byte(exerciseLesson))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Exercises(); len(got) != 1 || got[0] != "loss" {
		t.Fatalf("exercises %v", got)
	}
	if sh := l.Cells[1].Shown; strings.Contains(sh, "Log1p") || !strings.Contains(sh, `panic("exercise loss: not written yet; write your code here")`) {
		t.Errorf("the exercise shows its solution:\n%s", sh)
	}
	src, err := l.StudentSource()
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, gone := range []string{"Log1p", "BEGIN SOLUTION", "[tests loss]", "nb.Check", "because y", `"no"`, "in tests", "a it was"} {
		if strings.Contains(s, gone) {
			t.Errorf("the student's copy holds %q:\n%s", gone, s)
		}
	}
	for _, kept := range []string{"\t\tpanic(\"exercise loss: not written yet; write your code here\")\n\t}\n",
		`nb.Ask("Which?", []string{"x", "y"})`, `nb.AskTrueFalse("Is it?")`, `nb.Ask("Guess", []string{"a", "b"})`,
		`nb.Predict("Computed", []string{"a", "b"}, best, "b, as the run found")`} {
		if !strings.Contains(s, kept) {
			t.Errorf("the student's copy lacks %q:\n%s", kept, s)
		}
	}
	sl, err := Parse("x", "x.go", src)
	if err != nil {
		t.Fatal(err)
	}
	code, ok := sl.ExerciseCode("loss")
	if !ok {
		t.Fatal("the student's copy lost the exercise")
	}
	back, err := l.WithExercise("loss", strings.Replace(code, `panic("exercise loss: not written yet; write your code here")`, "return m", 1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(back), "\t\treturn m\n") || !strings.Contains(string(back), "[tests loss]") {
		t.Errorf("the spliced lesson:\n%s", back)
	}
	if _, err := l.WithExercise("loss", "x := 1\n// %%\n_ = x"); err == nil || !strings.Contains(err.Error(), "cell marker") {
		t.Errorf("code with a marker: %v", err)
	}
	if _, err := l.WithExercise("nope", "x"); err == nil {
		t.Error("an exercise that does not exist")
	}
}

// TestExerciseCodeStaysInItsCell: a student's exercise may declare only
// what the instructor's cell declares and write only its own variables,
// since the hidden tests run after it in the same function.
func TestExerciseCodeStaysInItsCell(t *testing.T) {
	instructor := "loss := func(m float64) float64 {\n\t// BEGIN SOLUTION\n\treturn m\n\t// END SOLUTION\n}"
	for _, c := range []struct{ code, err string }{
		{"loss := func(m float64) float64 {\n\tvar s float64\n\tfor i := 0; i < 3; i++ {\n\t\ts += m\n\t}\n\treturn s\n}", ""},
		{"loss := func(m float64) (out float64) {\n\tswitch x := m; {\n\tcase x > 0:\n\t\tout = x\n\t}\n\treturn\n}", ""},
		{"nb := 1\nloss := func(m float64) float64 { return m }", "declares nb at its top level"},
		{"var data []int\nloss := func(m float64) float64 { return m }", "declares data"},
		{"d.Rankings = nil\nloss := func(m float64) float64 { return m }", "assigns to d"},
		{"loss := func(m float64) float64 { counter++; return m }", "assigns to counter"},
		{"loss := func(m float64) float64 {\n\tif true {\n\t\td := 1\n\t\t_ = d\n\t}\n\td = nil\n\treturn m\n}", "assigns to d"},
		{"loss := func(m float64) float64 { for i := range xs { xs[i] = 0 }; return m }", "assigns to xs"},
		{"loss := func(m float64 {", "does not parse"},
	} {
		err := checkExercise(instructor, c.code)
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: %v, want %q", c.code, err, c.err)
		}
	}
}

// TestSealTestsNamesOnlyTheTestsChecks: the nonce goes in front of the
// tests cell's checks and no others.
func TestSealTestsNamesOnlyTheTestsChecks(t *testing.T) {
	l, err := Parse("x", "x.go", []byte(exerciseLesson))
	if err != nil {
		t.Fatal(err)
	}
	src, err := SealTests(l, "loss", "N0NCE: ")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if !strings.Contains(s, `nb.Check("N0NCE: " + ("loss(0) is log 2"), math.Abs`) || strings.Count(s, "N0NCE") != 1 {
		t.Errorf("sealed:\n%s", s)
	}
	if _, err := SealTests(l, "nope", "N"); err == nil {
		t.Error("sealed an exercise with no tests")
	}
}
