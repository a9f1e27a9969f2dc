package nb

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/plot"

	"github.com/rlhfsim/rlhfsim/internal/nbrt"
)

// counters number the events of each kind.
var counters = map[nbrt.Kind]int{}

func emit(e nbrt.Event) {
	if e.Kind != nbrt.Param && e.Kind != nbrt.Table {
		counters[e.Kind]++
		e.N = counters[e.Kind]
	}
	if s := nbrt.Current; s != nil {
		fmt.Fprint(s, nbrt.PlainText(e))
		s.Event(e)
		return
	}
	fmt.Print(nbrt.PlainText(e))
	if e.Kind == nbrt.Figure {
		saveCompiled(e)
	}
}

// Reset forgets the event counters; the notebook runtime calls it between
// lessons. Lessons have no reason to.
func Reset() { counters = map[nbrt.Kind]int{} }

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

func bad(name, value, want string) {
	panic(fmt.Sprintf("nb: parameter %s: %q is not %s", name, value, want))
}

// Float declares a real parameter with a default, bounds and help text,
// and returns its value for this run.
func Float(name string, def, min, max float64, help string) float64 {
	if !(min <= def && def <= max) {
		panic(fmt.Sprintf("nb: parameter %s: default %v outside [%v, %v]", name, def, min, max))
	}
	v := def
	if s, ok := override(name); ok {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || !(x >= min && x <= max) {
			bad(name, s, fmt.Sprintf("a number from %v to %v", min, max))
		}
		v = x
	}
	emit(nbrt.Event{Kind: nbrt.Param, Param: nbrt.ParamInfo{Name: name, Type: "float", Help: help,
		Default: fmtFloat(def), Value: fmtFloat(v), Min: fmtFloat(min), Max: fmtFloat(max)}})
	return v
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Int declares an integer parameter.
func Int(name string, def, min, max int, help string) int {
	if !(min <= def && def <= max) {
		panic(fmt.Sprintf("nb: parameter %s: default %d outside [%d, %d]", name, def, min, max))
	}
	v := def
	if s, ok := override(name); ok {
		x, err := strconv.Atoi(s)
		if err != nil || x < min || x > max {
			bad(name, s, fmt.Sprintf("an integer from %d to %d", min, max))
		}
		v = x
	}
	emit(nbrt.Event{Kind: nbrt.Param, Param: nbrt.ParamInfo{Name: name, Type: "int", Help: help,
		Default: strconv.Itoa(def), Value: strconv.Itoa(v), Min: strconv.Itoa(min), Max: strconv.Itoa(max)}})
	return v
}

// Bool declares a true/false parameter.
func Bool(name string, def bool, help string) bool {
	v := def
	if s, ok := override(name); ok {
		x, err := strconv.ParseBool(s)
		if err != nil {
			bad(name, s, "true or false")
		}
		v = x
	}
	emit(nbrt.Event{Kind: nbrt.Param, Param: nbrt.ParamInfo{Name: name, Type: "bool", Help: help,
		Default: strconv.FormatBool(def), Value: strconv.FormatBool(v)}})
	return v
}

// Choice declares a parameter that takes one of the given options.
func Choice(name, def string, options []string, help string) string {
	in := func(s string) bool {
		for _, o := range options {
			if o == s {
				return true
			}
		}
		return false
	}
	if !in(def) {
		panic(fmt.Sprintf("nb: parameter %s: default %q is not one of %v", name, def, options))
	}
	v := def
	if s, ok := override(name); ok {
		if !in(s) {
			bad(name, s, "one of "+strings.Join(options, ", "))
		}
		v = s
	}
	emit(nbrt.Event{Kind: nbrt.Param, Param: nbrt.ParamInfo{Name: name, Type: "choice", Help: help,
		Default: def, Value: v, Options: append([]string(nil), options...)}})
	return v
}

// Figure shows a plot with a one-line caption.
func Figure(caption string, p *plot.Plot) {
	if p == nil {
		panic("nb: Figure of a nil plot (did a plots builder return an error?)")
	}
	emit(nbrt.Event{Kind: nbrt.Figure, Text: caption, Plot: p})
}

// Table shows rows of text under column headers.
func Table(headers []string, rows [][]string) {
	emit(nbrt.Event{Kind: nbrt.Table, Headers: append([]string(nil), headers...), Rows: rows})
}

// Check records a self-check: what should have happened in this run, and,
// if it did not, a hint that names the misconception behind it. It returns
// pass.
func Check(what string, pass bool, hint string) bool {
	emit(nbrt.Event{Kind: nbrt.Check, Text: what, Pass: pass, Hint: hint})
	return pass
}

// Quiz asks a multiple-choice question; answer indexes options.
func Quiz(question string, options []string, answer int, explanation string) {
	if answer < 0 || answer >= len(options) {
		panic(fmt.Sprintf("nb: quiz %q: answer %d is not an option index", question, answer))
	}
	emit(nbrt.Event{Kind: nbrt.Quiz, Text: question, Options: append([]string(nil), options...), Answer: answer, Explanation: explanation})
}

// TrueFalse asks whether a statement is true.
func TrueFalse(statement string, answer bool, explanation string) {
	a := 1
	if answer {
		a = 0
	}
	emit(nbrt.Event{Kind: nbrt.Quiz, Text: statement, Options: []string{"true", "false"}, Answer: a, Explanation: explanation})
}

// Predict asks the student to guess before the simulation reveals the
// truth: truth indexes options and was computed by this run, and reveal
// explains it. Renderers hide the answer until the student has chosen.
func Predict(question string, options []string, truth int, reveal string) {
	if truth < 0 || truth >= len(options) {
		panic(fmt.Sprintf("nb: prediction %q: truth %d is not an option index", question, truth))
	}
	emit(nbrt.Event{Kind: nbrt.Predict, Text: question, Options: append([]string(nil), options...), Answer: truth, Explanation: reveal})
}
