package notebook

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The types of lesson parameters, as ParamSpec.Type spells them.
const (
	FloatParam  = "float"
	IntParam    = "int"
	BoolParam   = "bool"
	ChoiceParam = "choice"
)

// ParamSpec is a lesson parameter: its declaration, and in a run's events
// the value it took. The parser finds the specs whose name is a literal
// before a lesson runs, so that --set can be checked first; nb.Float, Int,
// Bool and Choice build the same spec when the lesson runs. Both validate a
// value with Parse, so the two can never disagree.
type ParamSpec struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Help    string   `json:"help,omitempty"`
	Default string   `json:"default,omitempty"`
	Value   string   `json:"value,omitempty"`
	Min     string   `json:"min,omitempty"` // bounds of numeric parameters; empty when not literal
	Max     string   `json:"max,omitempty"`
	Options []string `json:"options,omitempty"` // the options of a choice
	// Line is where the lesson declares the parameter; 0 in a run's events.
	Line int `json:"-"`
}

// Parse checks a value for the parameter and returns it in canonical form.
// Its error says what is wanted, e.g. "not an integer from 1 to 9".
func (p *ParamSpec) Parse(v string) (string, error) {
	switch p.Type {
	case FloatParam, IntParam:
		var x float64
		var canon string
		if p.Type == IntParam {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return "", fmt.Errorf("%q is not %s", v, p.want())
			}
			x, canon = float64(n), strconv.Itoa(n)
		} else {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return "", fmt.Errorf("%q is not %s", v, p.want())
			}
			x, canon = f, FormatFloat(f)
		}
		lo, e1 := strconv.ParseFloat(p.Min, 64)
		hi, e2 := strconv.ParseFloat(p.Max, 64)
		if (e1 == nil && x < lo) || (e2 == nil && x > hi) {
			return "", fmt.Errorf("%q is not %s", v, p.want())
		}
		return canon, nil
	case BoolParam:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return "", fmt.Errorf("%q is not %s", v, p.want())
		}
		return strconv.FormatBool(b), nil
	case ChoiceParam:
		for _, o := range p.Options {
			if o == v {
				return v, nil
			}
		}
		if len(p.Options) == 0 {
			return v, nil // options not literal: the lesson checks when it runs
		}
		return "", fmt.Errorf("%q is not %s", v, p.want())
	}
	return "", fmt.Errorf("parameter %s has unknown type %q", p.Name, p.Type)
}

// want describes the values the parameter takes.
func (p *ParamSpec) want() string {
	switch p.Type {
	case FloatParam, IntParam:
		kind := "a number"
		if p.Type == IntParam {
			kind = "an integer"
		}
		switch {
		case p.Min != "" && p.Max != "":
			return fmt.Sprintf("%s from %s to %s", kind, p.Min, p.Max)
		case p.Min != "":
			return fmt.Sprintf("%s of at least %s", kind, p.Min)
		case p.Max != "":
			return fmt.Sprintf("%s of at most %s", kind, p.Max)
		}
		return kind
	case BoolParam:
		return "true or false"
	}
	return "one of " + strings.Join(p.Options, ", ")
}

// FormatFloat is how parameter values and bounds are written.
func FormatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Declared returns the lesson's parameters with the values set gives
// them, or their defaults: what a page shows for a run that has not
// reached its parameters yet. Names the lesson does not declare are
// ignored.
func (l *Lesson) Declared(set map[string]string) []ParamSpec {
	var ps []ParamSpec
	for _, p := range l.Params {
		p.Value = p.Default
		if v, ok := set[p.Name]; ok {
			p.Value = v
		}
		ps = append(ps, p)
	}
	return ps
}

// Declares reports whether the lesson has a parameter called name.
func (l *Lesson) Declares(name string) bool {
	for _, p := range l.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// CheckSet checks --set values against the parameters the lesson declares
// with literal names, before anything runs. Errors list the parameters.
func (l *Lesson) CheckSet(set map[string]string) *Error {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := set[k]
		spec := l.Param(k)
		if spec == nil {
			return &Error{File: l.File, Line: 1, Msg: fmt.Sprintf("--set %s: no such parameter. %s", k, l.ParamList())}
		}
		if _, err := spec.Parse(v); err != nil {
			return &Error{File: l.File, Line: spec.Line, Msg: fmt.Sprintf("--set %s=%s: %v. %s", k, v, err, l.ParamList())}
		}
	}
	return nil
}

// Param returns the parameter called name, or nil.
func (l *Lesson) Param(name string) *ParamSpec {
	for i := range l.Params {
		if l.Params[i].Name == name {
			return &l.Params[i]
		}
	}
	return nil
}

// ParamList describes the lesson's parameters in one sentence.
func (l *Lesson) ParamList() string {
	if len(l.Params) == 0 {
		return fmt.Sprintf("Lesson %s has no parameters.", l.Meta.ID)
	}
	var ps []string
	for _, p := range l.Params {
		s := fmt.Sprintf("%s (%s, default %s", p.Name, p.Type, p.Default)
		if p.Min != "" {
			s += fmt.Sprintf(", %s to %s", p.Min, p.Max)
		}
		if len(p.Options) > 0 {
			s += ", one of " + strings.Join(p.Options, "/")
		}
		ps = append(ps, s+"): "+p.Help)
	}
	return fmt.Sprintf("Lesson %s's parameters: %s.", l.Meta.ID, strings.Join(ps, "; "))
}
