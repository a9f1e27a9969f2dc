package pipeline

import (
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Audit configures an early warning that needs no gold reward: every
// Every steps, the data's annotators compare Pairs pairs of the policy's
// current answers (two answers to one prompt, drawn afresh), and the run
// records how often the reward model orders each pair as they chose. On
// the base policy that is about the model's held-out accuracy on labels;
// as the policy moves to where the model is wrong it falls. It costs
// Pairs labels per check, Pairs (Steps/Every + 1) in all, and its own
// random stream, so auditing a run leaves the run unchanged.
type Audit struct {
	// Pairs is the number of comparisons per check; zero means no audit.
	Pairs int
	// Every is the number of steps between checks; zero means 10.
	Every int
}

// MaxAuditPairs is the most comparisons per check Policy.Validate
// accepts.
const MaxAuditPairs = 100_000

// AuditPoint is one check of an audit.
type AuditPoint struct {
	Step int `json:"step"`
	// Agreement is the share of the labelled pairs the reward model
	// orders as the annotators chose (ties count one half).
	Agreement float64 `json:"agreement"`
	// Labels is the number of comparisons bought so far, this check's
	// included.
	Labels int `json:"labels"`
}

// auditor returns the Settings.Inspect hook that runs a configured audit
// and the slice it appends its checks to.
func (c Config) auditor(rm policy.RewardFunc, gold world.GoldFunc, seed uint64) (func(int, policy.Policy), *[]AuditPoint) {
	a := c.Policy.Audit
	every := a.Every
	if every == 0 {
		every = 10
	}
	var out []AuditPoint
	ann := c.Data.Annotator()
	src := rand.New(rng.Stream(seed, rng.Audit))
	labels := 0
	return func(step int, pol policy.Policy) {
		if step%every != 0 {
			return
		}
		prompts := pol.Prompts()
		agree := 0.0
		for range a.Pairs {
			i := src.IntN(len(prompts))
			x, y := pol.Sample(i, src), pol.Sample(i, src)
			first := ann.Choose(gold, prompts[i], x.Phi, y.Phi, src)
			d := rm(prompts[i], x.Phi) - rm(prompts[i], y.Phi)
			if !first {
				d = -d
			}
			agree += stats.Concordance(d, 1)
		}
		labels += a.Pairs
		out = append(out, AuditPoint{Step: step, Agreement: agree / float64(a.Pairs), Labels: labels})
	}, &out
}
