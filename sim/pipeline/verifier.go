package pipeline

import (
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Reward names what the policy optimises and best-of-n selects by.
type Reward string

// The rewards.
const (
	RewardModel    Reward = "rm"       // the learned reward model (the default)
	RewardVerifier Reward = "verifier" // the verifier's verdict, where there is one
	RewardMix      Reward = "mix"      // the reward model plus the verdict, weighted
)

// Rewards lists the valid rewards.
func Rewards() []Reward { return []Reward{RewardModel, RewardVerifier, RewardMix} }

// Validate reports a reward that is not one of Rewards; "" means rm.
func (r Reward) Validate() error { return enum.Option(ErrConfig, "reward", r, Rewards()...) }

// DefaultVerifierWeight is what a pass adds to the reward model's score
// in the mix when Policy.VerifierWeight is zero: about the spread of the
// reward model's scores on base-policy answers, so that neither signal
// drowns the other.
const DefaultVerifierWeight = 2

// VerifierStep is the verifier's view of the policy after one step.
// Rates are over the prompts the verifier checks; GoldOpen is over the
// others. A field is 0 when the policy has none of its prompts (coverage
// 0 or 1), so that reports stay valid JSON.
type VerifierStep struct {
	Step int `json:"step"`
	// Pass is the expected verdict: the probability that an answer
	// passes.
	Pass float64 `json:"pass"`
	// Right is the probability that an answer is right, which is what
	// Pass should measure.
	Right float64 `json:"right"`
	// GoldChecked and GoldOpen are the expected gold reward on the
	// checked and on the open-ended prompts.
	GoldChecked float64 `json:"gold_checked"`
	GoldOpen    float64 `json:"gold_open"`
}

// VerifierReport is what a run's verifier saw.
type VerifierReport struct {
	Settings verify.Settings `json:"settings"`
	// Coverage is the fraction of the policy's prompts it checks.
	Coverage float64        `json:"coverage"`
	Steps    []VerifierStep `json:"steps"`
	// BoNChecked and BoNOpen are the best-of-n sweep (selected by the
	// run's reward) on the checked and on the open-ended prompts alone.
	BoNChecked []policy.BoN `json:"best_of_n_checked,omitempty"`
	BoNOpen    []policy.BoN `json:"best_of_n_open,omitempty"`
}

// verifier builds the run's verifier, or nil when neither the reward nor
// the configuration asks for one.
func (c Policy) verifier() (*verify.Verifier, error) {
	if c.Verifier == nil && (c.Reward == "" || c.Reward == RewardModel) {
		return nil, nil
	}
	v, err := verify.New(c.Verifier)
	return v, config(err)
}

// reward returns the function the policy optimises, given the reward
// model's proxy.
func (c Policy) reward(v *verify.Verifier, proxy policy.RewardFunc) policy.RewardFunc {
	switch c.Reward {
	case RewardVerifier:
		return v.Reward
	case RewardMix:
		w := c.VerifierWeight
		if w == 0 {
			w = DefaultVerifierWeight
		}
		return v.Mix(proxy, w)
	}
	return proxy
}

// bonScore is what best-of-n selects a response by when the policy's
// reward is not the reward model alone: the verifier's verdict, or the
// reward model's score proxy plus the verifier weight for a pass. The
// verdict is drawn once per sample (a pass or a fail, not its
// probability, as a real selection sees).
func (c Policy) bonScore(v *verify.Verifier, p world.Prompt, phi []float64, proxy float64, src *rand.Rand) float64 {
	if c.Reward == "" || c.Reward == RewardModel {
		return proxy
	}
	w, out := c.VerifierWeight, proxy
	if w == 0 {
		w = DefaultVerifierWeight
	}
	if c.Reward != RewardMix {
		w, out = 1, 0
	}
	if v.Check(p, phi, src) {
		out += w
	}
	return out
}

// watchVerifier returns the functions whose expectations make a
// VerifierStep, and the coverage of prompts.
func watchVerifier(v *verify.Verifier, prompts []world.Prompt, gold world.GoldFunc) ([]policy.RewardFunc, float64) {
	n := 0
	for _, p := range prompts {
		if v.Checks(p) {
			n++
		}
	}
	cov := float64(n) / float64(len(prompts))
	on := func(checked bool, f policy.RewardFunc) policy.RewardFunc {
		return func(p world.Prompt, phi []float64) float64 {
			if v.Checks(p) != checked {
				return 0
			}
			return f(p, phi)
		}
	}
	return []policy.RewardFunc{v.Reward, on(true, v.RightRate), on(true, gold), on(false, gold)}, cov
}

// verifierSteps turns the watched expectations, which average over all
// prompts, into rates over the checked and the open prompts.
func verifierSteps(run *policy.Run, cov float64, first int) []VerifierStep {
	var out []VerifierStep
	per := func(x, frac float64) float64 {
		if frac == 0 {
			return 0
		}
		return x / frac
	}
	for _, s := range run.Steps {
		w := s.Watch[first:]
		out = append(out, VerifierStep{Step: s.Step, Pass: per(w[0], cov), Right: per(w[1], cov),
			GoldChecked: per(w[2], cov), GoldOpen: per(w[3], 1-cov)})
	}
	return out
}
