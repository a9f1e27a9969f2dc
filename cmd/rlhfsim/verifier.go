package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// verifierFlags are the pipeline's verifier options.
type verifierFlags struct {
	fs         *pflag.FlagSet
	reward     string
	categories string
	bar        float64
	fn, fp     float64
	weak       float64
	weight     float64
	watch      bool
}

var rewardNames = map[pipeline.Reward]string{
	pipeline.RewardModel:    "the reward model",
	pipeline.RewardVerifier: "the verifier",
	pipeline.RewardMix:      "the reward model plus the verifier",
}

func (v *verifierFlags) register(fs *pflag.FlagSet) {
	v.fs = fs
	fs.StringVar(&v.reward, "reward", string(pipeline.RewardModel), "what the policy optimises and best-of-n selects by: "+enum.List(pipeline.Rewards()...)+" (the learned reward model, the verifier where answers can be checked, or the reward model plus --verifier-weight for a pass)")
	fs.StringVar(&v.categories, "verifier-categories", "factual,coding", "prompt categories the verifier can check, comma-separated")
	fs.Float64Var(&v.bar, "verifier-bar", 0, fmt.Sprintf("correctness (a z-score) a right answer exceeds: 0 is about half right, 2 a hard problem (-%v to %v)", verify.MaxBar, verify.MaxBar))
	fs.Float64Var(&v.fn, "verifier-fn", 0, "chance the verifier fails a right answer (0 to 1)")
	fs.Float64Var(&v.fp, "verifier-fp", 0, "chance the verifier passes any wrong answer (0 to 1)")
	fs.Float64Var(&v.weak, "weak-tests", 0, "chance the verifier passes a wrong answer in its tests' blind spot (cue-01 high) (0 to 1)")
	fs.Float64Var(&v.weight, verifierWeight, pipeline.DefaultVerifierWeight, flagHelp(verifierWeightParam()))
	fs.BoolVar(&v.watch, "verify", false, "record the verifier's rates even when the policy optimises the reward model")
}

// verifierWeight is the one policy parameter the verifier's flags own:
// its flag shows the weight a run uses, DefaultVerifierWeight, where the
// Config holds 0 for it.
const verifierWeight = "verifier-weight"

func verifierWeightParam() pipeline.Param { return param(verifierWeight) }

// used reports whether the run has a verifier: one was asked for, or a
// flag configured it.
func (v *verifierFlags) used() bool {
	if v.reward != string(pipeline.RewardModel) || v.watch {
		return true
	}
	for _, f := range []string{"verifier-categories", "verifier-bar", "verifier-fn", "verifier-fp", "weak-tests", "verifier-weight"} {
		if v.fs != nil && v.fs.Changed(f) {
			return true
		}
	}
	return false
}

func (v *verifierFlags) parseCategories() ([]world.Category, error) {
	var cs []world.Category
	for _, name := range strings.Split(v.categories, ",") {
		c, err := world.ParseCategory(strings.TrimSpace(name))
		if err != nil {
			return nil, usagef("invalid --verifier-categories %q: %v", v.categories, err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func (v *verifierFlags) validate() error {
	if err := firstError(
		option("reward", pipeline.Reward(v.reward).Validate()),
		checkRange("verifier-bar", v.bar, -verify.MaxBar, verify.MaxBar),
		checkRange("verifier-fn", v.fn, 0, 1),
		checkRange("verifier-fp", v.fp, 0, 1),
		checkRange("weak-tests", v.weak, 0, 1),
	); err != nil {
		return err
	}
	if err := checkParam(verifierWeight, verifierWeightParam(), v.weight); err != nil {
		return err
	}
	_, err := v.parseCategories()
	return err
}

// apply sets the policy's verifier; validate has passed.
func (v *verifierFlags) apply(p *pipeline.Policy) {
	if !v.used() {
		return
	}
	cs, _ := v.parseCategories()
	p.Reward, p.VerifierWeight = pipeline.Reward(v.reward), v.weight
	p.Verifier = &verify.Settings{Categories: cs, Bar: v.bar, FalseNegative: v.fn, FalsePositive: v.fp, WeakTests: v.weak}
}

func printVerifier(w io.Writer, v *pipeline.VerifierReport, peak int) {
	names := make([]string, len(v.Settings.Categories))
	for i, c := range v.Settings.Categories {
		names[i] = c.String()
	}
	s := v.Settings
	fmt.Fprintf(w, "\nverifier of %s prompts (%.0f%% of the policy's): right means correctness above %g; fails a right answer %.0f%%, passes a wrong one %.0f%%, weak tests %.0f%%\n",
		strings.Join(names, " and "), 100*v.Coverage, s.Bar, 100*s.FalseNegative, 100*s.FalsePositive, 100*s.WeakTests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tpass\tright\tgold (checked)\tgold (open-ended)\t")
	every := max(1, len(v.Steps)/10)
	for i, st := range v.Steps {
		if i%every != 0 && i != len(v.Steps)-1 && st.Step != peak {
			continue
		}
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%+.3f\t%+.3f\t\n", st.Step, st.Pass, st.Right, st.GoldChecked, st.GoldOpen)
	}
	tw.Flush()
	first, last := v.Steps[0], v.Steps[len(v.Steps)-1]
	if gap := (last.Pass - last.Right) - (first.Pass - first.Right); gap > 0.1 {
		fmt.Fprintf(w, "the pass rate rose %.2f more than the right rate: the policy found the verifier's weakness\n", gap)
	}
	if len(v.BoNChecked) > 0 && len(v.BoNOpen) > 0 {
		c, o := v.BoNChecked, v.BoNOpen
		fmt.Fprintf(w, "best-of-%d moves gold %+.3f on the checked prompts and %+.3f on the open-ended ones\n",
			c[len(c)-1].N, c[len(c)-1].Gold-c[0].Gold, o[len(o)-1].Gold-o[0].Gold)
	}
}
