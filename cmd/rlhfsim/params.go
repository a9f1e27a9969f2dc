package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
)

// paramFlags are flags made from pipeline.Params: each writes into a
// Config, and its help text and range check come from the table.
type paramFlags struct {
	c      *pipeline.Config
	params []pipeline.Param
	names  map[string]string // parameter name -> flag name, where they differ
}

// register adds the parameters keep accepts to fs as flags writing into
// c; rename gives a parameter another flag name.
func (f *paramFlags) register(fs *pflag.FlagSet, c *pipeline.Config, keep func(pipeline.Param) bool, rename map[string]string) {
	f.c = c
	if f.names == nil {
		f.names = map[string]string{}
	}
	for _, p := range pipeline.Params() {
		if !keep(p) {
			continue
		}
		name := p.Name
		if r, ok := rename[p.Name]; ok {
			name = r
		}
		f.names[p.Name] = name
		f.params = append(f.params, p)
		switch v := p.Field(c).(type) {
		case *int:
			fs.IntVar(v, name, *v, flagHelp(p))
		case *float64:
			fs.Float64Var(v, name, *v, flagHelp(p))
		}
	}
}

// names lists the flag names registered.
func (f *paramFlags) flagNames() []string {
	var out []string
	for _, p := range f.params {
		out = append(out, f.flag(p.Name))
	}
	return out
}

// flag is the flag name of the parameter called name.
func (f *paramFlags) flag(name string) string { return f.names[name] }

// validate reports the first flag out of its parameter's range. A flag
// shows its default, so 0 is no way to ask for it here: the range is
// checked as written, without ZeroDefault.
func (f *paramFlags) validate() error {
	for _, p := range f.params {
		if err := checkParam(f.flag(p.Name), p, p.Value(f.c)); err != nil {
			return err
		}
	}
	return nil
}

// flagHelp is p's help as a flag's: the range as checkParam checks it.
func flagHelp(p pipeline.Param) string {
	p.ZeroDefault = false
	return p.Help()
}

// checkParam reports v out of p's range as the value of --flag.
func checkParam(flag string, p pipeline.Param, v float64) error {
	p.ZeroDefault = false
	if p.In(v) {
		return nil
	}
	r := p.Range()
	if strings.Contains("-0123456789", r[:1]) {
		r = "from " + r
		if p.Integer() {
			r = "an integer " + r
		}
	}
	return usagef("invalid --%s %v: must be %s", flag, v, r)
}
