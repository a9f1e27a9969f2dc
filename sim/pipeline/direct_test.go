package pipeline

import (
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestDPOMeetsTheRewardModelsOptimum: on the pool policy, DPO fitted to
// the training pairs and RL's KL-regularised optimum for a linear
// Bradley-Terry reward model fitted to the same pairs exactly (L-BFGS, no
// regularisation) are the same policy: the implicit reward is the reward
// model's score times one, up to a per-prompt constant. IPO, which asks
// each pair for a fixed margin instead of a likelihood, lands elsewhere.
func TestDPOMeetsTheRewardModelsOptimum(t *testing.T) {
	run := func(m Method) *Result {
		c := Default()
		c.Data.Prompts = 1000
		c.RM.Optimizer = reward.LBFGS
		c.Policy.Kind, c.Policy.Method, c.Policy.Prompts, c.Policy.BoN = Pool, m, 40, nil
		r, err := Run(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run(DPO)
	d := r.Direct
	t.Logf("DPO: %+v", *d)
	if *d.TVToRMOptimum > 1e-3 || d.ImplicitRMAgreement < 0.999 {
		t.Errorf("DPO: TV to the reward model's optimum %.2g (want <= 1e-3), agreement with it %.4f (want >= 0.999)", *d.TVToRMOptimum, d.ImplicitRMAgreement)
	}
	// Both estimate one number on different base-policy samples (the
	// pool's 40 prompts, the ~600 test pairs): 0.05 is about three
	// standard errors of the smaller sample.
	if diff := d.ImplicitGoldAgreement - r.RM.Metrics.GoldAgreement; diff > 0.05 || diff < -0.05 {
		t.Errorf("implicit reward's gold agreement %.3f, reward model's held out %.3f", d.ImplicitGoldAgreement, r.RM.Metrics.GoldAgreement)
	}
	if n := len(r.Run.Steps); n != 2 || r.Run.Steps[1].KL <= 0 {
		t.Errorf("DPO run has %d steps, final KL %v: want the base policy and the optimum", n, r.Run.Steps[n-1].KL)
	}
	ipo := run(IPO).Direct
	t.Logf("IPO: %+v", *ipo)
	if *ipo.TVToRMOptimum < 0.01 {
		t.Errorf("IPO reached the Bradley-Terry optimum (TV %.2g): it should not", *ipo.TVToRMOptimum)
	}
}

// TestDPOOnTheGenerativePolicy: with a linear gold reward, the generative
// policy's implicit reward after DPO orders base-policy draws almost
// exactly as the reward model fitted exactly to the same pairs does
// (measured 0.99 or more on seeds 1-3), and the run moves the policy. The
// total variation to RL's optimum is not reported: it has no closed form
// for the generative policy.
func TestDPOOnTheGenerativePolicy(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		c := Default()
		c.Seed = seed
		c.Data.Gold = world.GoldLinear
		c.RM.Optimizer = reward.LBFGS
		c.Policy.Method, c.Policy.Prompts, c.Policy.BoN = DPO, 40, nil
		r, err := Run(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := r.Direct
		t.Logf("seed %d: %+v, final KL %.2f", seed, *d, r.Run.Steps[1].KL)
		if d.ImplicitRMAgreement < 0.98 || d.TVToRMOptimum != nil || r.Run.Steps[1].KL <= 0.1 {
			t.Errorf("seed %d: implicit agreement with the reward model %.3f (want >= 0.98), TV %v (want none), KL %.2f", seed, d.ImplicitRMAgreement, d.TVToRMOptimum, r.Run.Steps[1].KL)
		}
	}
}
