// Title: Overoptimisation and Goodhart's law
// Summary: Push harder on a learned reward and the true reward rises, peaks and falls, with fair annotators and no bias planted. Best-of-n and RL apply the pressure; Gao et al.'s laws describe the curve; the hidden gold reward, taken apart term by term, names the kinds of Goodhart effect behind it.
// Minutes: 25
// Learn-before: 07-length-hacking
// Learn-after: 13-keeping-honest
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// paid sums the reward model's weights times the policy's change in the
// features lo to hi-1: what a linear reward model pays for that change.
func paid(w []float64, from, to policy.Step, lo, hi int) float64 {
	s := 0.0
	for i := lo; i < hi; i++ {
		s += w[i] * (to.Features[i] - from.Features[i])
	}
	return s
}

func main() {
	// %% [markdown]
	// "When a measure becomes a target, it ceases to be a good measure"
	// (Goodhart's law, in Strathern's words). A reward model is a measure
	// of quality learned from comparisons; RLHF makes it the target. This
	// lesson pushes on it harder and harder and watches the truth.
	//
	// Nothing is rigged here: the annotators are fair (no length bias, no
	// position bias), the reward model is trained as in lesson 04, and the
	// gold reward is the one the annotators judged by. Still, the reward
	// model was fitted to base-policy answers, and optimisation leaves
	// them behind.
	//
	// ## Best-of-n
	//
	// The simplest optimiser: draw n answers from the base policy and keep
	// the one the reward model scores highest. It changes nothing in the
	// policy and needs no training, and n is a dial of optimisation
	// pressure. Its distance from the base policy has a closed form: the
	// best of n draws is the k-th lowest of a pool of M with probability
	// (k/M)^n - ((k-1)/M)^n, so its KL is computed exactly here, and it is
	// never more than log n - (n-1)/n.
	//
	// Before you look: as n goes from 1 to 1,024, what happens to the gold
	// reward of the chosen answer?

	// %%
	beta := nb.Float("beta", 0.2, 0.05, 0.5, "KL coefficient of the RL run")
	seed := nb.Seed()
	c := pipeline.Default()
	c.Seed = seed
	c.Policy.Settings.Beta = beta
	_, gold, err := c.Data.World()
	nb.Must(err)
	// Record the policy's expected value of each term of the gold reward
	// at every step, to take the gold reward apart below.
	for k := world.GoldTerm(0); k < world.NumGoldTerms; k++ {
		c.Policy.Settings.Watch = append(c.Policy.Settings.Watch, gold.TermFunc(k))
	}
	res, err := pipeline.Run(c, nil)
	nb.Must(err)
	bon := res.BoN
	top := 0
	for i := range bon {
		if bon[i].Gold > bon[top].Gold {
			top = i
		}
	}
	last := len(bon) - 1
	shape := 0
	switch {
	case top == 0:
		shape = 2
	case top < last:
		shape = 1
	}
	nb.Predict("As n grows from 1 to 1,024, the gold reward of the best-of-n answer...",
		[]string{"keeps rising", "rises, peaks, then falls", "falls from the start"}, shape,
		fmt.Sprintf("It peaks at n = %d (gold %+.2f) and is %+.2f at n = %d.", bon[top].N, bon[top].Gold, bon[last].Gold, bon[last].N))
	var rows [][]string
	within := true
	for _, b := range bon {
		rows = append(rows, []string{fmt.Sprint(b.N), fmt.Sprintf("%.3f", b.KL), fmt.Sprintf("%.3f", b.Bound),
			fmt.Sprintf("%+.3f", b.Proxy), fmt.Sprintf("%+.3f", b.Gold)})
		within = within && b.KL <= b.Bound+1e-9
	}
	nb.Table([]string{"n", "KL (exact)", "log n - (n-1)/n", "proxy", "gold"}, rows)
	nb.Check("best-of-n's KL never exceeds log n - (n-1)/n", within,
		"for a policy with no ties, log n - (n-1)/n is the exact KL; choosing from a finite pool of base answers puts it slightly below, most where n nears the pool's size")
	mid := 0
	for i, b := range bon {
		if b.N == 256 {
			mid = i
		}
	}
	fmt.Printf("from n = 256 to n = 1,024: proxy %+.2f, gold %+.2f\n", bon[last].Proxy-bon[mid].Proxy, bon[last].Gold-bon[mid].Gold)
	nb.Check("by n = 1,024 best-of-n has stopped paying in gold (from n = 256 it moves less than 0.15) while the proxy still climbs (by more than 0.3)",
		math.Abs(bon[last].Gold-bon[mid].Gold) < 0.15 && bon[last].Proxy-bon[mid].Proxy > 0.3,
		"the answers the reward model scores highest among many are more and more often the ones it scores too high: selecting on the proxy selects its errors")

	// %% [markdown]
	// ## Gao et al.'s laws
	//
	// Gao, Schulman and Hilton (2022) measured this in large models and
	// found two simple laws in d = sqrt(KL), the distance travelled:
	//
	// - best-of-n: gold gain = d (alpha - beta d)
	// - RL: gold gain = d (alpha - beta log d)
	//
	// alpha is the slope at the start, the gold gained per unit of
	// distance while the reward model is still right; beta is how fast
	// the gain bends down as the reward model's errors take over. Fitted to
	// best-of-n, the first law peaks at d* = alpha / (2 beta); the second
	// at d* = exp(alpha/beta - 1).

	// %%
	var bc, rc plots.Curve
	for _, b := range bon {
		bc.KL, bc.Gold, bc.Proxy = append(bc.KL, b.KL), append(bc.Gold, b.Gold), append(bc.Proxy, b.Proxy)
	}
	for _, s := range res.Run.Steps {
		rc.KL, rc.Gold, rc.Proxy = append(rc.KL, s.KL), append(rc.Gold, s.Gold), append(rc.Proxy, s.Proxy)
	}
	bf, err := stats.FitGao(stats.GaoBoN, bc.KL, bc.Gold)
	nb.Must(err)
	rf, err := stats.FitGao(stats.GaoRL, rc.KL, rc.Gold)
	nb.Must(err)
	bc.Fit, rc.Fit = &bf, &rf
	fig, err := plots.Overoptimisation(bc, rc, nil)
	nb.Must(err)
	nb.Figure("Gold and proxy gain against sqrt(KL) for best-of-n and RL, with the fitted laws", fig)
	fmt.Printf("best-of-n: gold gain = %s, R^2 %.3f; its peak at d = %.2f (KL %.2f)\n", bf, bf.R2, bf.Alpha/(2*bf.Beta), math.Pow(bf.Alpha/(2*bf.Beta), 2))
	fmt.Printf("RL:        gold gain = %s, R^2 %.3f\n", rf, rf.R2)
	nb.Check("the best-of-n law fits the best-of-n curve closely (R^2 above 0.95)", bf.R2 > 0.95,
		"Gao et al.'s d (alpha - beta d) is the shape of selection on a noisy proxy: a gain linear in the distance, minus errors that grow faster")
	peak, drop := res.GoldPeak()
	if beta <= 0.2 {
		nb.Check("the RL run's gold peaks inside the run and falls back by more than 0.5", peak > 0 && peak < len(res.Run.Steps)-1 && drop > 0.5,
			"the proxy keeps paying as the policy leaves the answers the reward model was trained on; the gold reward stops agreeing")
	}

	// %% [markdown]
	// ## What went wrong, term by term
	//
	// Real RLHF never sees the gold reward; here we can open it. It is a
	// sum of terms, each a mechanism of its own, and each one a kind of
	// Goodhart effect in Manheim and Garrabrant's list:
	//
	// - **quality** with diminishing returns: near the base policy more
	//   helpfulness is worth about its weight, far above it little. A
	//   linear reward model learned the local slope and keeps paying it.
	//   *Extremal*: the relation between proxy and truth changes far from
	//   the data.
	// - **incoherence**: an answer that pushes any trait beyond about two
	//   standard deviations of what the base policy writes stops making
	//   sense. The base policy almost never goes there, so the reward model
	//   never saw it. *Extremal* too.
	// - **length**, good up to an ideal and bad beyond, and travelling with
	//   helpfulness: a policy can buy length instead of quality. *Causal*.
	// - the **cues**, traits that travel with helpfulness but are worth
	//   nothing: a model trained on finite data weighs them by chance, and
	//   the policy moves them for free. *Regressional*: the proxy is the
	//   truth plus an error, and optimising it selects the error.
	//
	// The table sets what the reward model paid for each change against
	// what the gold reward paid, from the base policy to the gold peak and
	// to the end of the run.

	// %%
	w := res.RM.Scorer.Model.Params()
	s0, sp, se := res.Run.Steps[0], res.Run.Steps[peak], res.Run.Steps[len(res.Run.Steps)-1]
	term := func(s policy.Step, k world.GoldTerm) float64 { return s.Watch[k] - s0.Watch[k] }
	row := func(name, kind string, proxyAt func(policy.Step) float64, goldAt func(policy.Step) float64) []string {
		return []string{name, kind, fmt.Sprintf("%+.2f", proxyAt(sp)), fmt.Sprintf("%+.2f", goldAt(sp)),
			fmt.Sprintf("%+.2f", proxyAt(se)), fmt.Sprintf("%+.2f", goldAt(se))}
	}
	zero := func(policy.Step) float64 { return 0 }
	nb.Table([]string{"mechanism", "Goodhart", "RM paid (peak)", "gold paid (peak)", "RM paid (end)", "gold paid (end)"}, [][]string{
		row("quality (helpful, correct, clear, harmless)", "extremal",
			func(s policy.Step) float64 { return paid(w, s0, s, world.Helpfulness, world.Length) },
			func(s policy.Step) float64 { return term(s, world.TermQuality) }),
		row("incoherence", "extremal", zero, func(s policy.Step) float64 { return term(s, world.TermIncoherence) }),
		row("length", "causal",
			func(s policy.Step) float64 { return paid(w, s0, s, world.Length, world.Length+1) },
			func(s policy.Step) float64 { return term(s, world.TermLength) }),
		row("filler and flattery", "",
			func(s policy.Step) float64 { return paid(w, s0, s, world.Filler, world.NumNamed) },
			func(s policy.Step) float64 { return term(s, world.TermStyle) }),
		row("cues", "regressional",
			func(s policy.Step) float64 { return paid(w, s0, s, world.Cue0, world.NumFeatures) }, zero),
		row("total", "",
			func(s policy.Step) float64 { return s.Proxy - s0.Proxy },
			func(s policy.Step) float64 { return s.Gold - s0.Gold }),
	})
	if drop > 0.5 {
		worst, which := 0.0, world.GoldTerm(0)
		for k := world.GoldTerm(0); k < world.NumGoldTerms; k++ {
			if d := se.Watch[k] - sp.Watch[k]; d < worst {
				worst, which = d, k
			}
		}
		fmt.Printf("from the peak to the end, the term that fell most: %s (%+.2f)\n", which, worst)
		nb.Check("past the peak, incoherence is what the gold reward loses most to", which == world.TermIncoherence,
			"the reward model never saw answers this far out, so it has no idea they stopped making sense: extremal Goodhart")
		nb.Check("by the end, the reward model pays more for quality than the gold reward gives", paid(w, s0, se, world.Helpfulness, world.Length) > term(se, world.TermQuality),
			"a linear model learned the slope near the data; the true returns diminish, so far out the model overpays")
	}

	// %%
	fmt.Printf("on held-out base-policy pairs the reward model orders %.0f%% as the gold reward does; on the RL policy's own answers at the end, %.0f%%\n",
		100*res.RM.Metrics.GoldAgreement, 100*se.GoldAgreement)

	// %% [markdown]
	// The reward model is not bad at the answers it was trained on, as the
	// first number shows. It is wrong about answers that did not exist
	// when it was trained, and optimisation manufactures exactly those. Pressure
	// helps while the model is right and hurts once it is not; best-of-n
	// and RL differ in how fast they spend the distance, not in that.
	//
	// What moves the peak? More data and a larger model move it later and
	// higher in Gao et al.'s experiments; here that holds for an MLP reward
	// model, which can learn the diminishing returns (try `rlhfsim sweep
	// --models mlp --betas 0 --prompts 200,2000,20000`), but not for the
	// linear default, which cannot represent them at any data size.

	// %%
	nb.Quiz("With fair annotators and no planted bias, why does the gold reward still fall when the policy optimises the reward model hard?",
		[]string{"because the reward model is trained with too few epochs",
			"because optimisation moves the policy to answers unlike those the reward model was trained on, where its errors (overpaying for quality, not seeing incoherence, weighing chance cues) are what the policy climbs",
			"because the KL penalty pushes the gold reward down",
			"because best-of-n and RL are biased estimators"}, 1,
		"The reward model is a good measure where it was fitted. Optimisation makes it a target and leaves that region; there, whatever it gets wrong is what scores highest.")
	why := fmt.Sprintf("Here the gold reward of best-of-n peaks at n = %d and falls after: the top of the proxy's ranking fills with the answers it overrates.", bon[top].N)
	if top == last {
		why = "Here the gold reward of best-of-n has all but stopped rising by n = 1,024 while the proxy climbs on, and in most worlds of this simulator it turns down: the top of the proxy's ranking fills with the answers it overrates."
	}
	nb.TrueFalse("Best-of-n with a larger n always gives answers that are truly better.", false, why)
}
