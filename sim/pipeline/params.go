package pipeline

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// Param is one number of a Config a person may set, written once: its
// name (the command line's flag), what it means, its range and where it
// lives in a Config. The command line registers its flags, help text and
// range checks from Params, and each part's Validate checks its own
// parameters from the same entries, so no bound is written twice. The
// defaults are the values in Default.
//
// Zero means one thing everywhere: the default for a count or a size
// whose zero would be meaningless (prompts, epochs, a learning rate),
// and zero itself for a quantity whose zero is a value (a temperature, a
// bias, beta). The held-out fractions follow prefs.Settings (zero means
// 0.1, a negative fraction none).
type Param struct {
	Part  Part   // which part of a Config holds it
	Name  string // the command line's flag
	Usage string // what it means, without its range
	// Min and Max bound the value; MinOpen excludes Min itself.
	Min, Max float64
	MinOpen  bool
	// ZeroDefault says 0 means the part's default, allowed whatever Min.
	ZeroDefault bool
	// Field points at the value in c: an *int or a *float64.
	Field func(c *Config) any
}

// Part names the part of a Config a parameter belongs to.
type Part int

// The parts of a Config.
const (
	PartData Part = iota
	PartRM
	PartPolicy
)

// Params lists every numeric parameter, in the order of the help text.
func Params() []Param {
	return []Param{
		// The data.
		{PartData, "prompts", "number of prompts", 1, 1_000_000, false, true, func(c *Config) any { return &c.Data.Prompts }},
		{PartData, "k", "responses ranked per prompt", 2, prefs.MaxK, false, true, func(c *Config) any { return &c.Data.K }},
		{PartData, "tau", "annotator temperature (0 = perfect, large = coin flips)", 0, 100, false, false, func(c *Config) any { return &c.Data.Tau }},
		{PartData, "length-bias", "annotator utility added per log token of length", -10, 10, false, false, func(c *Config) any { return &c.Data.LengthBias }},
		{PartData, "position-bias", "annotator utility added to the response shown first", -10, 10, false, false, func(c *Config) any { return &c.Data.PositionBias }},
		{PartData, "flattery-bias", "annotator utility added per unit of flattery", -10, 10, false, false, func(c *Config) any { return &c.Data.FlatteryBias }},
		{PartData, "quirk", "strength of the student's hidden annotator taste", -10, 10, false, false, func(c *Config) any { return &c.Data.Quirk }},
		{PartData, "flaw", "strength of the bias the student's production annotators hide in the capstone", -10, 10, false, false, func(c *Config) any { return &c.Data.Flaw }},
		{PartData, "val", "fraction of prompts held out for validation; 0 means 0.1, -1 none", -1, 0.99, false, true, func(c *Config) any { return &c.Data.Val }},
		{PartData, "test", "fraction of prompts held out for test; 0 means 0.1, -1 none", -1, 0.99, false, true, func(c *Config) any { return &c.Data.Test }},
		{PartData, "annotators", "number of annotators; each has its own rating offset and scale", 1, 100, false, true, func(c *Config) any { return &c.Data.Annotators }},
		{PartData, "tau-spread", "log-sd of the annotators' temperatures around --tau", 0, 2, false, false, func(c *Config) any { return &c.Data.TauSpread }},
		{PartData, "distractors", "append this many irrelevant random features to every response", 0, 1000, false, false, func(c *Config) any { return &c.Data.Distractors }},
		// The reward model.
		{PartRM, "margin", "Bradley-Terry margin m in -log sigma(r_w - r_l - m)", -100, 100, false, false, func(c *Config) any { return &c.RM.Objective.Margin }},
		{PartRM, "l2", "weight decay: adds (l2/2)||theta||^2", 0, 100, false, false, func(c *Config) any { return &c.RM.Objective.L2 }},
		{PartRM, "center", "reward centering: adds center*(r_w + r_l)^2 (TRL uses 0.01)", 0, 100, false, false, func(c *Config) any { return &c.RM.Objective.Center }},
		{PartRM, "epochs", "epochs (for lbfgs: most iterations)", 1, 100_000, false, true, func(c *Config) any { return &c.RM.Epochs }},
		{PartRM, "rm-lr", "reward-model learning rate for adam and sgd", 0, 100, true, true, func(c *Config) any { return &c.RM.LR }},
		{PartRM, "batch", "minibatch size in prompts (grouping prompt) or pairs (flat)", 1, 1_000_000, false, true, func(c *Config) any { return &c.RM.Batch }},
		{PartRM, "patience", "stop after this many epochs without a lower validation loss; -1 never stops early", -1, 100_000, false, true, func(c *Config) any { return &c.RM.Patience }},
		{PartRM, "ensemble", "train this many reward models on bootstrap resamples and optimise their aggregate; 0 or 1 uses one model", 0, MaxEnsemble, false, false, func(c *Config) any { return &c.RM.Ensemble }},
		{PartRM, "ensemble-k", "standard deviations lcb subtracts; 0 means 1", 0, 100, false, false, func(c *Config) any { return &c.RM.K }},
		{PartRM, "ensemble-view", "fraction of the features each ensemble member is trained on, a random subset of its own; 0 or 1 means all", 0, 1, false, false, func(c *Config) any { return &c.RM.View }},
		// The policy.
		{PartPolicy, "beta", "KL coefficient of E[r] - beta KL", 0, 100, false, false, func(c *Config) any { return &c.Policy.Beta }},
		{PartPolicy, "target-kl", "adapt beta towards this KL; 0 keeps beta fixed", 0, 1000, false, false, func(c *Config) any { return &c.Policy.TargetKL }},
		{PartPolicy, "steps", "policy updates", 1, 100_000, false, true, func(c *Config) any { return &c.Policy.Steps }},
		{PartPolicy, "lr", "policy learning rate, Adam", 0, 10, true, true, func(c *Config) any { return &c.Policy.LR }},
		{PartPolicy, "samples", "responses sampled per step", 1, 100_000, false, true, func(c *Config) any { return &c.Policy.Samples }},
		{PartPolicy, "per-prompt", "responses per prompt within a step; rloo and ppo need 2 or more", 1, 1000, false, true, func(c *Config) any { return &c.Policy.PerPrompt }},
		{PartPolicy, "clip", "PPO clip range", 0, 1, true, true, func(c *Config) any { return &c.Policy.Clip }},
		{PartPolicy, "ppo-epochs", "PPO updates per batch", 1, 100, false, true, func(c *Config) any { return &c.Policy.PPOEpochs }},
		{PartPolicy, "policy-prompts", "prompts the policy answers", 1, 100_000, false, true, func(c *Config) any { return &c.Policy.Prompts }},
		{PartPolicy, "pool-size", "base-policy responses per prompt in the pool", 1, 10_000, false, true, func(c *Config) any { return &c.Policy.PoolSize }},
		{PartPolicy, "draws", "common random draws per prompt for the generative policy", 1, 10_000, false, true, func(c *Config) any { return &c.Policy.Draws }},
		{PartPolicy, "verifier-weight", fmt.Sprintf("what a pass adds to the reward model's score in the mix; 0 means %d", DefaultVerifierWeight), 0, 100, false, false, func(c *Config) any { return &c.Policy.VerifierWeight }},
	}
}

// Range says what values p takes, for help text and errors: "0 to 100",
// "above 0, at most 10", with "; 0 means the default" when it does.
func (p Param) Range() string {
	lo, hi := p.format(p.Min), p.format(p.Max)
	var s string
	switch {
	case p.MinOpen && p.Max == 1 && !p.isInt():
		s = "between " + lo + " and " + hi
	case p.MinOpen:
		s = "above " + lo + ", at most " + hi
	default:
		s = lo + " to " + hi
	}
	if p.ZeroDefault && !(p.Min < 0 || (p.Min == 0 && !p.MinOpen)) {
		s += "; 0 means the default"
	}
	return s
}

// Help is the usage with its range, as the command line shows it.
func (p Param) Help() string { return p.Usage + " (" + p.Range() + ")" }

// Integer reports whether p is a whole number.
func (p Param) Integer() bool { return p.isInt() }

func (p Param) isInt() bool {
	_, ok := p.Field(&Config{}).(*int)
	return ok
}

func (p Param) format(v float64) string {
	if p.isInt() {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Value is p's value in c.
func (p Param) Value(c *Config) float64 {
	switch f := p.Field(c).(type) {
	case *int:
		return float64(*f)
	case *float64:
		return *f
	}
	panic("pipeline: parameter " + p.Name + " is neither int nor float64")
}

// In reports whether v is in p's range.
func (p Param) In(v float64) bool {
	if math.IsNaN(v) || (v == 0 && p.ZeroDefault) {
		return v == 0
	}
	if p.MinOpen {
		if !(v > p.Min) {
			return false
		}
	} else if v < p.Min {
		return false
	}
	return v <= p.Max
}

// check reports the first parameter of part out of its range in c.
func check(c *Config, part Part) error {
	for _, p := range Params() {
		if p.Part != part {
			continue
		}
		if v := p.Value(c); !p.In(v) {
			return bad("%s = %v (want %s)", p.Name, v, p.Range())
		}
	}
	return nil
}
