package policy

import (
	"github.com/rlhfsim/rlhfsim/internal/enum"
)

// Algo names a policy-optimisation algorithm.
type Algo string

// The algorithms.
const (
	Reinforce Algo = "reinforce" // REINFORCE with the batch-mean baseline
	RLOO      Algo = "rloo"      // REINFORCE with a leave-one-out baseline per prompt (the default)
	PPO       Algo = "ppo"       // PPO's clipped surrogate on leave-one-out advantages
	Exact     Algo = "exact"     // gradient ascent on the exact objective (pool only)
)

// Algos lists the valid algorithms.
func Algos() []Algo {
	out := make([]Algo, len(algorithms))
	for i, a := range algorithms {
		out[i] = a.name
	}
	return out
}

// Validate reports an algorithm that is not one of Algos; "" means rloo.
func (a Algo) Validate() error { return enum.Option(ErrSettings, "algorithm", a, Algos()...) }

// Baseline names the baseline subtracted from rewards in a REINFORCE
// gradient estimate.
type Baseline string

// The baselines.
const (
	NoBaseline   Baseline = "none"
	MeanBaseline Baseline = "mean" // the batch mean
	LOOBaseline  Baseline = "loo"  // leave one out: the mean of the prompt's other samples
)

// Baselines lists the valid baselines.
func Baselines() []Baseline { return []Baseline{NoBaseline, MeanBaseline, LOOBaseline} }

// Validate reports a baseline that is not one of Baselines; "" means none.
func (b Baseline) Validate() error { return enum.Option(ErrSettings, "baseline", b, Baselines()...) }
