package render

import (
	"math"
	"strconv"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// control is one parameter as a form control.
type control struct {
	notebook.ParamSpec
	Input, Step string
}

func controlsOf(ps []notebook.ParamSpec) []control {
	var out []control
	for _, p := range ps {
		c := control{ParamSpec: p}
		switch p.Type {
		case notebook.FloatParam:
			c.Input, c.Step = "range", SliderStep(p.Min, p.Max, p.Default)
		case notebook.IntParam:
			c.Input, c.Step = "range", "1"
		case notebook.BoolParam:
			c.Input = "checkbox"
		case notebook.ChoiceParam:
			c.Input = "select"
		}
		out = append(out, c)
	}
	return out
}

// SliderStep is a float parameter's slider step: one on whose grid, counted from lo, the lower
// end, the upper end and the default all lie, so a browser never snaps
// the value it shows away from the value the lesson runs with: the
// largest of 1, 2 or 5 times a power of ten, at most a fiftieth of the
// range, that divides both hi - lo and def - lo; "any" if none down to a
// ten-thousandth of the range does.
func SliderStep(lo, hi, def string) string {
	a, err1 := strconv.ParseFloat(lo, 64)
	b, err2 := strconv.ParseFloat(hi, 64)
	d, err3 := strconv.ParseFloat(def, 64)
	if err1 != nil || err2 != nil || !(b > a) {
		return "any"
	}
	if err3 != nil {
		d = a
	}
	on := func(x, st float64) bool {
		k := (x - a) / st
		return math.Abs(k-math.Round(k)) < 1e-6
	}
	for p := math.Pow(10, math.Floor(math.Log10((b-a)/50))); p >= (b-a)/1e5; p /= 10 {
		for _, m := range []float64{5, 2, 1} {
			st := m * p
			if st <= (b-a)/50 && on(b, st) && on(d, st) {
				return strconv.FormatFloat(st, 'g', -1, 64)
			}
		}
	}
	return "any"
}
