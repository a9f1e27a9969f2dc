package policy

import (
	"fmt"
	"math"
)

// Settings configures Optimize. The zero value gives the documented
// defaults, except Beta, whose zero value means no KL penalty.
type Settings struct {
	// Algo is the algorithm; the zero value means RLOO.
	Algo Algo
	// Beta is the KL coefficient of E[r] - Beta KL(pi || pi_ref), applied
	// as a per-sample penalty Beta (log pi(y) - log pi_ref(y)).
	Beta float64
	// TargetKL, if positive, adapts Beta after every step towards that KL:
	// Beta *= 1 + 0.1 clip(KL/TargetKL - 1, -0.2, 0.2) (Ziegler et al. 2019).
	TargetKL float64
	// Steps is the number of policy updates; zero means 300.
	Steps int
	// LR is Adam's learning rate (gradient ascent); zero means 0.05.
	LR float64
	// Samples is the number of responses drawn per step; zero means 64.
	Samples int
	// PerPrompt is the number of responses per prompt within a step, which
	// the leave-one-out baseline needs at least 2 of; zero means 4.
	PerPrompt int
	// Clip is PPO's clip range epsilon; zero means 0.2.
	Clip float64
	// PPOEpochs is the number of surrogate updates per batch; zero means 4.
	PPOEpochs int
	// Watch are further functions whose expectation under the policy is
	// recorded at every recorded step, in Step.Watch, beside the proxy and gold:
	// a verifier's pass rate, say, or the gold reward on some prompts
	// alone. They are measured, never optimised.
	Watch []RewardFunc
	// Record is how often the run records the policy's statistics (its
	// proxy and gold rewards, KL, features and Watch): at every Record-th
	// step, and at step 0 (the base policy) and the last; zero or one
	// means every step. Recording evaluates the policy, most of a step's
	// time for a Gaussian policy, and leaves the run as it was when the
	// rewards and watched functions keep no state between calls (the
	// engine's do not): a run whose intermediate steps nobody reads ends
	// at the same last step, bit for bit, having skipped them.
	//
	// Run.Steps then holds the recorded steps only: find a step by its
	// Step.Step, not by its position (a step number, such as the one
	// pipeline's GoldPeak returns, is a position only when every step is
	// recorded). A
	// run that diverges is caught at the next recorded step, which the
	// error names. The adaptive KL controller (TargetKL) reads the KL at
	// every step, so it needs every step recorded; OptimizeDirect records
	// every step whatever Record says.
	Record int
	// Progress, if not nil, is called after every recorded step.
	Progress func(Step)
	// Inspect, if not nil, is called with the policy before the first
	// step (step 0) and after every step, to measure it the way Watch
	// cannot: by sampling pairs of its answers for a simulated audit,
	// say. It must not change the policy, and should draw from a source
	// of its own, so that inspecting a run leaves the run as it was.
	Inspect func(step int, pol Policy)
}

// Validate reports settings Optimize cannot use, with what they want.
func (s *Settings) Validate() error {
	_, err := s.resolve()
	return err
}

// DefaultSettings returns what the zero Settings means: the one place
// the defaults are written.
func DefaultSettings() Settings {
	return Settings{Algo: RLOO, Steps: 300, LR: 0.05, Samples: 64, PerPrompt: 4, Clip: 0.2, PPOEpochs: 4, Record: 1}
}

// Resolve returns the settings Optimize uses for s, its zero values
// replaced by their defaults (nil means all defaults), or an error that
// says which setting it cannot use.
func (s *Settings) Resolve() (Settings, error) { return s.resolve() }

func (s *Settings) resolve() (Settings, error) {
	r := DefaultSettings()
	if s != nil {
		r.Beta, r.TargetKL, r.Progress, r.Watch, r.Inspect = s.Beta, s.TargetKL, s.Progress, s.Watch, s.Inspect
		for _, f := range []struct {
			dst *int
			v   int
		}{{&r.Steps, s.Steps}, {&r.Samples, s.Samples}, {&r.PerPrompt, s.PerPrompt}, {&r.PPOEpochs, s.PPOEpochs}, {&r.Record, s.Record}} {
			if f.v != 0 {
				*f.dst = f.v
			}
		}
		if s.Algo != "" {
			r.Algo = s.Algo
		}
		if s.LR != 0 {
			r.LR = s.LR
		}
		if s.Clip != 0 {
			r.Clip = s.Clip
		}
	}
	if err := r.Algo.Validate(); err != nil {
		return r, err
	}
	switch {
	case !(r.Beta >= 0) || math.IsInf(r.Beta, 0):
		return r, fmt.Errorf("%w: beta %v, want a finite value >= 0", ErrSettings, r.Beta)
	case !(r.TargetKL >= 0) || math.IsInf(r.TargetKL, 0):
		return r, fmt.Errorf("%w: target KL %v, want a finite value >= 0", ErrSettings, r.TargetKL)
	case r.TargetKL > 0 && r.Beta == 0:
		return r, fmt.Errorf("%w: an adaptive KL controller needs a starting beta above 0", ErrSettings)
	case r.Record < 1:
		return r, fmt.Errorf("%w: record every %d steps, want 1 or more (0 means every step)", ErrSettings, r.Record)
	case r.Record > 1 && r.TargetKL > 0:
		return r, fmt.Errorf("%w: the adaptive KL controller (target KL %v) reads the KL at every step: record every step", ErrSettings, r.TargetKL)
	case r.Steps < 1 || r.Samples < 1 || r.PerPrompt < 1 || r.PPOEpochs < 1:
		return r, fmt.Errorf("%w: steps, samples, samples per prompt and PPO epochs must be positive", ErrSettings)
	case !(r.LR > 0) || math.IsInf(r.LR, 0):
		return r, fmt.Errorf("%w: learning rate %v, want above 0", ErrSettings, r.LR)
	case !(r.Clip > 0 && r.Clip < 1):
		return r, fmt.Errorf("%w: clip %v, want between 0 and 1", ErrSettings, r.Clip)
	case r.Algo != Reinforce && r.Algo != Exact && r.PerPrompt < 2:
		return r, fmt.Errorf("%w: %s needs at least 2 samples per prompt for its leave-one-out baseline", ErrSettings, r.Algo)
	}
	return r, nil
}

// Step is the state of the policy after one update. Step 0 is the base
// policy.
type Step struct {
	Step  int     `json:"step"`
	KL    float64 `json:"kl"`
	Proxy float64 `json:"proxy"`
	Gold  float64 `json:"gold"`
	// GoldAgreement is Stats.GoldAgreement: the proxy's accuracy against
	// gold on the current policy's own responses.
	GoldAgreement float64 `json:"gold_agreement"`
	Entropy       float64 `json:"entropy"`
	Length        float64 `json:"length"`
	// Features is the expected value of every feature.
	Features []float64 `json:"features"`
	// GradNorm is the norm of the update's gradient estimate.
	GradNorm float64 `json:"grad_norm"`
	// Beta is the KL coefficient used by this step.
	Beta float64 `json:"beta"`
	// SampleKL is the Monte Carlo estimate mean(log pi - log pi_ref) over
	// the step's own samples (the "k1" estimator), for comparison with KL.
	SampleKL float64 `json:"sample_kl"`
	// Watch holds the expectation of each of Settings.Watch, in order.
	Watch []float64 `json:"watch,omitempty"`
}

// Run is the record of one optimisation.
type Run struct {
	Steps           []Step `json:"steps"`
	KLEstimator     string `json:"kl_estimator"`
	RewardEstimator string `json:"reward_estimator"`
}
