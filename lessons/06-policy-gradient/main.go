// Title: Policy gradient with a learned reward
// Summary: The reward model's scores become continuous supervision for the policy: REINFORCE, a baseline, the KL penalty and the objective they optimise.
// Minutes: 15
// Learn-before: 05-dual-role
// Learn-after: 07-length-hacking, 11-outcome-vs-process, 14-dpo
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// variance returns the total variance of gradient estimates, summed over
// their components.
func variance(est [][]float64) float64 {
	total := 0.0
	n := float64(len(est))
	for k := range est[0] {
		m := 0.0
		for _, g := range est {
			m += g[k]
		}
		m /= n
		for _, g := range est {
			total += (g[k] - m) * (g[k] - m) / (n - 1)
		}
	}
	return total
}

func main() {
	// %% [markdown]
	// The reward model is trained; now it teaches. The policy writes an
	// answer, the reward model scores it, and the policy shifts towards
	// answers that score well. People are no longer in the loop: a few
	// thousand comparisons became a scorer that can judge any number of
	// new answers.
	//
	// The policy maximises
	//
	// `J = E[r(x, y)] - beta KL(pi || pi_ref)`
	//
	// the expected reward minus a penalty for drifting from the base
	// policy pi_ref. Its gradient can be estimated from samples alone
	// (**REINFORCE**): `grad J ~ mean over samples of (R - b) grad log pi(y|x)`,
	// where R is the reward minus `beta (log pi - log pi_ref)` and b is a
	// **baseline**.

	// %%
	c := pipeline.Default()
	c.Seed = nb.Seed()
	w, _, err := c.Data.World()
	nb.Must(err)
	_, tr, err := c.Reward()
	nb.Must(err)
	fmt.Printf("reward model trained: test accuracy %.3f; its raw scores average %+.2f on base-policy answers\n", tr.Metrics.TestAccuracy, tr.Scorer.Offset)

	// %% [markdown]
	// ## Why a baseline
	//
	// Any baseline that does not depend on the sample leaves the estimate
	// unbiased, but a good one shrinks its variance. The reward model's
	// level is arbitrary (lesson 05): suppose its scores happen to sit
	// around some level instead of 0. Then every sample pushes its own
	// answer up, and most of that push is noise. We compare many gradient
	// estimates with no baseline and with the **leave-one-out** baseline of
	// RLOO (the mean reward of the other samples of the same prompt), on an
	// exact policy over pools of base-policy answers.

	// %%
	reps := nb.Int("estimates", 400, 50, 4000, "gradient estimates per baseline")
	level := nb.Float("level", 5, -20, 20, "constant the reward model's scores sit around")
	raw := func(p world.Prompt, phi []float64) float64 { return tr.Scorer.Score(phi) + level }
	prompts := w.Prompts(20, 0, rng.Stream(c.Seed, "lesson06/pool-prompts"))
	pool := policy.NewPool(w, prompts, 32, rng.Stream(c.Seed, "lesson06/pool"))
	r := rng.Stream(c.Seed, "lesson06/estimates")
	vars := map[policy.Baseline]float64{}
	for _, base := range []policy.Baseline{policy.NoBaseline, policy.LOOBaseline} {
		var est [][]float64
		for i := 0; i < reps; i++ {
			g := make([]float64, world.NumFeatures)
			nb.Must(policy.GradientEstimate(pool, raw, &policy.Estimate{Beta: 0.1, Baseline: base, Samples: 32, PerPrompt: 8}, g, r))
			est = append(est, g)
		}
		vars[base] = variance(est)
	}
	nb.Table([]string{"baseline", "total variance of the gradient estimate"}, [][]string{
		{"none", fmt.Sprintf("%.3f", vars[policy.NoBaseline])},
		{"leave-one-out (RLOO)", fmt.Sprintf("%.3f", vars[policy.LOOBaseline])},
	})
	fmt.Printf("with the baseline the variance is %.0f%% of what it is without\n", 100*vars[policy.LOOBaseline]/vars[policy.NoBaseline])
	nb.Check("the leave-one-out baseline lowers the variance of the policy gradient",
		level*level < 1 || vars[policy.LOOBaseline] < 0.7*vars[policy.NoBaseline],
		"subtracting what the other samples of the prompt earned removes the shared level of the rewards, which carries no information about which answer is better")

	// %% [markdown]
	// ## Optimising the policy
	//
	// Our generative policy moves the mean of the base policy's features
	// (and scales their spread), so it writes new answers. We run RLOO for
	// a few hundred steps and record, at every step, the **proxy** reward
	// (the reward model's normalised score), the hidden **gold** reward and
	// the KL divergence from the base policy.

	// %%
	beta := nb.Float("beta", 0.1, 0, 5, "KL coefficient")
	steps := nb.Int("steps", 200, 20, 2000, "policy-gradient steps")
	pprompts := w.Prompts(200, pipeline.PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts))
	g := policy.NewGaussian(w, pprompts, 16, rng.Stream(c.Seed, rng.Draws))
	run, err := policy.Optimize(g, tr.Scorer.Func(), w.Gold, &policy.Settings{Algo: policy.RLOO, Beta: beta, Steps: steps, LR: 0.02}, rng.Stream(c.Seed, rng.Optimize))
	nb.Must(err)
	pc, err := plots.PolicyCurves(run.Steps, nil)
	nb.Must(err)
	nb.Figure("Proxy reward and gold reward during RLOO", pc)
	first, last := run.Steps[0], run.Steps[len(run.Steps)-1]
	fmt.Printf("proxy %+.3f -> %+.3f; gold %+.3f -> %+.3f; KL %.3f -> %.3f; entropy %.2f -> %.2f nats\n", first.Proxy, last.Proxy, first.Gold, last.Gold, first.KL, last.KL, first.Entropy, last.Entropy)
	bestGold := first.Gold
	for _, s := range run.Steps {
		bestGold = math.Max(bestGold, s.Gold)
	}
	if beta <= 1 {
		// A larger beta holds the policy so close to the base policy that
		// the scores barely move: its regularised optimum is at
		// KL = w' Sigma w / (2 beta^2).
		nb.Check("the policy improves on the reward model's scores, and the hidden gold reward rises with them, at least at first",
			last.Proxy > first.Proxy+0.5 && bestGold > first.Gold+0.5,
			"with annotators who judge fairly, the scores point the policy towards genuinely better answers, at least early on")
	}

	// %% [markdown]
	// The policy's entropy barely moves. Under a reward that is a straight
	// line in the features, a Gaussian gains nothing by narrowing: moving
	// its mean is the whole answer. Language models do lose entropy under
	// RLHF, concentrating on a few favoured answers; a reward model with
	// curves (an MLP) makes this policy narrow too.

	// %% [markdown]
	// ## The KL coefficient
	//
	// The objective is E[r] - beta KL(pi || pi_ref). Before you look: with
	// a larger beta, does the policy end closer to or further from the base
	// policy?

	// %%
	betas := []float64{0.05, 0.2, 0.8}
	// For a linear reward model w the regularised optimum of this policy
	// is known in closed form: KL* = w' Sigma w / (2 beta^2).
	weights := tr.Scorer.Model.Params()
	var kls, optKLs []float64
	var rows [][]string
	for _, b := range betas {
		gb := policy.NewGaussian(w, pprompts, 16, rng.Stream(c.Seed, rng.Draws))
		// Only the last step is read here, so only it is recorded
		// (Record): the run is the same, without evaluating the others.
		rb, err := policy.Optimize(gb, tr.Scorer.Func(), w.Gold, &policy.Settings{Algo: policy.RLOO, Beta: b, Steps: steps, LR: 0.02, Record: steps}, rng.Stream(c.Seed, rng.Optimize))
		nb.Must(err)
		s := rb.Steps[len(rb.Steps)-1]
		kls = append(kls, s.KL)
		opt := gb.OptimalKL(weights, b)
		optKLs = append(optKLs, opt)
		rows = append(rows, []string{fmt.Sprint(b), fmt.Sprintf("%.2f", opt), fmt.Sprintf("%.2f", s.KL), fmt.Sprintf("%.0f%%", 100*s.KL/opt), fmt.Sprintf("%+.3f", s.Proxy), fmt.Sprintf("%+.3f", s.Gold)})
	}
	ordered := kls[0] > kls[1] && kls[1] > kls[2]
	truth := 1
	if ordered {
		truth = 0
	}
	nb.Predict("A larger KL coefficient beta makes the policy end...",
		[]string{"closer to the base policy (smaller KL)", "further from it (larger KL)"}, truth,
		"The penalty beta KL grows with beta, so the optimum trades less reward for staying close to the base policy.")
	nb.Table([]string{"beta", "KL of the optimum", "final KL", "share reached", "final proxy", "final gold"}, rows)
	nb.Check("a larger beta gives a smaller final KL", ordered,
		"beta is the price of every nat of divergence from the base policy")
	reached := true
	for i := range kls {
		reached = reached && kls[i] <= 1.2*optKLs[i]
	}
	nb.Check("no run goes past the KL of its optimum", reached,
		"the penalty pulls the policy back towards the base policy harder the further it goes; the optimum is where the pull matches the reward's slope")

	// %% [markdown]
	// A small beta puts the optimum far away, and the run stops wherever its
	// steps run out: the table's share reached. A large beta puts it close,
	// and the run arrives and stays. So beta acts less like a fence than like
	// a destination: it decides where along its path the policy stops.

	// %%
	nb.Quiz("What is the main advantage of first training a reward model on comparisons and then optimising the policy against its scores?",
		[]string{"the reward model is cheaper to run than the policy",
			"a few human comparisons become a scorer for any new response, so no person has to judge every sample",
			"the reward model's scores are always correct",
			"it removes the need for a base policy"}, 1,
		"Comparisons are expensive and few; the reward model generalises them into a function that scores every answer the policy writes, with graded feedback that policy gradients can use.")

	// %% [markdown]
	// ## Exercise: the leave-one-out baseline
	//
	// Write the advantages RLOO gives k samples of one prompt: each reward
	// minus the mean reward of the **other** k - 1 samples. For one sample
	// there is no other: give it advantage 0.

	// %% [exercise loo-baseline]
	loo := func(rewards []float64) []float64 {
		adv := make([]float64, len(rewards))
		// BEGIN SOLUTION
		if len(rewards) < 2 {
			return adv
		}
		sum := 0.0
		for _, r := range rewards {
			sum += r
		}
		for i, r := range rewards {
			adv[i] = r - (sum-r)/float64(len(rewards)-1)
		}
		// END SOLUTION
		return adv
	}

	// %% [tests loo-baseline]
	// Brute force: the mean of the others, summed one by one.
	brute := func(r []float64, i int) float64 {
		s := 0.0
		for j, x := range r {
			if j != i {
				s += x
			}
		}
		return r[i] - s/float64(len(r)-1)
	}
	agree, zero := true, true
	for _, r := range [][]float64{{1, 2}, {0.5, -1, 3, 2}, {4, 4, 4}, {-2, 0.1, 0.3, 7, 1.5, -0.4, 2.2, 0.9}} {
		a := loo(r)
		total := 0.0
		for i := range r {
			agree = agree && len(a) == len(r) && math.Abs(a[i]-brute(r, i)) < 1e-12
			total += a[i]
		}
		zero = zero && math.Abs(total) < 1e-9
	}
	nb.Check("each advantage is the reward minus the mean of the other samples", agree, "leave the sample itself out of its own baseline")
	nb.Check("the advantages of one prompt sum to zero", zero, "k/(k-1) times the deviation from the mean, which sums to zero")
	one := loo([]float64{3})
	nb.Check("a single sample gets advantage 0, not NaN", len(one) == 1 && one[0] == 0, "with k = 1 there are no other samples to average")

	// %%
	mineAdv := loo([]float64{1, 0, 0, 0})
	fmt.Printf("your advantages of rewards 1, 0, 0, 0: %.3f\n", mineAdv)
	nb.Check("your advantage of the one rewarded sample is 1 (its reward minus the others' mean, 0)", math.Abs(mineAdv[0]-1) < 1e-12,
		"the other three samples earned nothing, so their mean is 0")
}
