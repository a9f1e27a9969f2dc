package nb

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"

	"github.com/rlhfsim/rlhfsim/internal/nbrt"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// counters number the events of each kind. Each lesson runs in a
// process of its own, so they start from zero for every lesson.
var counters = map[notebook.Kind]int{}

func emit(e notebook.Event) {
	if e.Kind != notebook.Param && e.Kind != notebook.Table {
		counters[e.Kind]++
		e.N = counters[e.Kind]
	}
	if s := nbrt.Current; s != nil {
		s.Event(e) // the runner keeps the event and prints it its own way
		return
	}
	fmt.Print(e.PlainText())
	if e.Kind == notebook.Figure {
		saveCompiled(e)
	}
}

// Seed returns the seed of this run: --seed under "rlhfsim run", 1 when
// compiled. Seed every simulation with it, so a run can be reproduced.
func Seed() uint64 {
	if s := nbrt.Current; s != nil {
		return s.Seed()
	}
	if v, ok := compiledOverride("seed"); ok {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return n
		}
	}
	return 1
}

// student is the name of the student the lesson runs for: "" in the
// standard world, and always in a compiled lesson.
func student() string {
	if s := nbrt.Current; s != nil {
		return s.Student()
	}
	return ""
}

func override(name string) (string, bool) {
	if s := nbrt.Current; s != nil {
		return s.Override(name)
	}
	return compiledOverride(name)
}

// compiledOverride reads "--set name=value" (or "-set") from the command
// line of a compiled lesson.
func compiledOverride(name string) (string, bool) {
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		var kv string
		switch {
		case a == "--set" || a == "-set":
			if i+1 < len(args) {
				kv = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--set="):
			kv = strings.TrimPrefix(a, "--set=")
		case a == "--seed" || a == "-seed":
			if name == "seed" && i+1 < len(args) {
				return args[i+1], true
			}
		}
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// declare validates a parameter's default and any value set from outside
// with the same rules "rlhfsim run --set" uses, emits it and returns the
// value as text.
func declare(p notebook.ParamSpec) string {
	if _, err := p.Parse(p.Default); err != nil {
		panic(fmt.Sprintf("nb: parameter %s: default %v", p.Name, err))
	}
	p.Value = p.Default
	if s, ok := override(p.Name); ok {
		v, err := p.Parse(s)
		if err != nil {
			panic(fmt.Sprintf("nb: parameter %s: %v", p.Name, err))
		}
		p.Value = v
	}
	emit(notebook.Event{Kind: notebook.Param, Param: p})
	return p.Value
}

// Float declares a real parameter with a default, bounds and help text,
// and returns its value for this run.
func Float(name string, def, min, max float64, help string) float64 {
	v := declare(notebook.ParamSpec{Name: name, Type: notebook.FloatParam, Help: help,
		Default: notebook.FormatFloat(def), Min: notebook.FormatFloat(min), Max: notebook.FormatFloat(max)})
	x, _ := strconv.ParseFloat(v, 64)
	return x
}

// Int declares an integer parameter.
func Int(name string, def, min, max int, help string) int {
	v := declare(notebook.ParamSpec{Name: name, Type: notebook.IntParam, Help: help,
		Default: strconv.Itoa(def), Min: strconv.Itoa(min), Max: strconv.Itoa(max)})
	n, _ := strconv.Atoi(v)
	return n
}

// Bool declares a true/false parameter.
func Bool(name string, def bool, help string) bool {
	return declare(notebook.ParamSpec{Name: name, Type: notebook.BoolParam, Help: help,
		Default: strconv.FormatBool(def)}) == "true"
}

// Choice declares a parameter that takes one of the given options.
func Choice(name, def string, options []string, help string) string {
	if len(options) == 0 {
		panic(fmt.Sprintf("nb: parameter %s: no options", name))
	}
	return declare(notebook.ParamSpec{Name: name, Type: notebook.ChoiceParam, Help: help,
		Default: def, Options: append([]string(nil), options...)})
}

// Must stops the lesson with err if it is not nil. Use it for errors a
// lesson does not expect, such as a configuration a parameter made
// invalid: the runner reports the message and the line.
func Must(err error) {
	if err != nil {
		panic(err)
	}
}

// Figure shows a plot with a one-line caption.
func Figure(caption string, p *plot.Plot) {
	if p == nil {
		panic("nb: Figure of a nil plot (did a plots builder return an error?)")
	}
	emit(notebook.Event{Kind: notebook.Figure, Text: caption, Plot: p})
}

// Table shows rows of text under column headers.
func Table(headers []string, rows [][]string) {
	emit(notebook.Event{Kind: notebook.Table, Headers: append([]string(nil), headers...), Rows: rows})
}

// Check records a self-check: what should have happened in this run, and,
// if it did not, a hint that names the misconception behind it. It returns
// pass.
func Check(what string, pass bool, hint string) bool {
	emit(notebook.Event{Kind: notebook.Check, Text: what, Pass: pass, Hint: hint})
	return pass
}

// Quiz asks a multiple-choice question; answer indexes options.
func Quiz(question string, options []string, answer int, explanation string) {
	if answer < 0 || answer >= len(options) {
		panic(fmt.Sprintf("nb: quiz %q: answer %d is not an option index", question, answer))
	}
	quiz(question, options, answer, explanation)
}

// Ask is a Quiz whose answer is not in the lesson: the student's choice
// is recorded and graded later, against the instructor's copy. "rlhfsim
// release" turns every Quiz of a student's copy into an Ask.
func Ask(question string, options []string) {
	if len(options) < 2 {
		panic(fmt.Sprintf("nb: question %q: give at least two options", question))
	}
	quiz(question, options, notebook.Graded, "")
}

// quiz shows options in the student's order; answer may be Graded.
func quiz(question string, options []string, answer int, explanation string) {
	order := QuizOrder(question, len(options), Seed(), student())
	shown := make([]string, len(options))
	at := answer // Graded stays Graded
	for i, j := range order {
		shown[i] = options[j]
		if j == answer {
			at = i
		}
	}
	emit(notebook.Event{Kind: notebook.Quiz, Text: question, Options: shown, Answer: at, Explanation: explanation})
}

// QuizOrder returns the order in which a quiz's n options are shown: a
// permutation drawn from the question, the seed and the student's name,
// so the right answer's letter differs between students and seeds but is
// the same every time one student reruns one seed. The name counts as
// world.Student counts it, ignoring case and surrounding spaces. Options
// must not depend on their order ("all of the above" cannot be an
// option).
func QuizOrder(question string, n int, seed uint64, student string) []int {
	h := fnv.New64a()
	h.Write([]byte(question))
	h.Write([]byte{0})
	h.Write([]byte(world.NormalName(student)))
	return rand.New(rand.NewPCG(h.Sum64(), seed)).Perm(n)
}

// TrueFalse asks whether a statement is true.
func TrueFalse(statement string, answer bool, explanation string) {
	a := 1
	if answer {
		a = 0
	}
	emit(notebook.Event{Kind: notebook.Quiz, Text: statement, Options: []string{"true", "false"}, Answer: a, Explanation: explanation})
}

// AskTrueFalse is a TrueFalse whose answer is not in the lesson, as Ask
// is a Quiz's.
func AskTrueFalse(statement string) {
	emit(notebook.Event{Kind: notebook.Quiz, Text: statement, Options: []string{"true", "false"}, Answer: notebook.Graded})
}

// Number asks for a number this run computed, truth, and accepts answers
// within a relative tolerance tol of it (0.05: within 5%); explanation is
// shown once the student has answered. Ask for what the student's own
// run shows, such as "the KL at which your gold reward peaks": each
// student's variant has its own truth.
func Number(question string, truth, tol float64, explanation string) {
	if math.IsNaN(truth) || math.IsInf(truth, 0) {
		panic(fmt.Sprintf("nb: number %q: the truth is %v", question, truth))
	}
	if !(tol > 0 && tol < 1) {
		panic(fmt.Sprintf("nb: number %q: tolerance %v is not between 0 and 1", question, tol))
	}
	emit(notebook.Event{Kind: notebook.Number, Text: question, Value: truth, Tol: tol, Explanation: explanation})
}

// Predict asks the student to guess before the simulation reveals the
// truth: truth indexes options and was computed by this run, and reveal
// explains it. Renderers hide the answer until the student has chosen.
func Predict(question string, options []string, truth int, reveal string) {
	if truth < 0 || truth >= len(options) {
		panic(fmt.Sprintf("nb: prediction %q: truth %d is not an option index", question, truth))
	}
	emit(notebook.Event{Kind: notebook.Predict, Text: question, Options: append([]string(nil), options...), Answer: truth, Explanation: reveal})
}
