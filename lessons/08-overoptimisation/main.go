// Title: Overoptimisation and Goodhart's law
// Summary: Push harder on a learned reward and the true reward rises, peaks and falls, with fair annotators. Best-of-n and RL apply the pressure; Gao et al.'s laws describe the curve; the hidden gold reward, taken apart term by term, shows which term makes the fall, and a run without that term shows how much of it that term makes.
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
	// The annotators are fair (no length bias, no position bias), the
	// reward model is trained as in lesson 04, and the gold reward is the
	// one the annotators judged by. Still, the reward model was fitted to
	// base-policy answers, and optimisation leaves them behind.
	//
	// One thing is built into this world, and you should know it before
	// you look: the gold reward punishes an answer that pushes any trait to
	// an extreme (it stops making sense), something base-policy answers
	// seldom do and a linear reward model cannot even express. The end of
	// the lesson runs everything again without that term.
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
	// Before you look: as n goes from 1 to 16,384, what happens to the gold
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
	// "Falls" means giving back at least a tenth of the rise: a dip of a
	// few hundredths is noise in the pool, not a turn.
	rise, fall := bon[top].Gold-bon[0].Gold, bon[top].Gold-bon[last].Gold
	shape := 0
	switch {
	case top == 0:
		shape = 2
	case fall >= 0.1*rise:
		shape = 1
	}
	nb.Predict("As n grows from 1 to 16,384, the gold reward of the best-of-n answer...",
		[]string{"keeps rising, or levels off", "rises, peaks, then gives back at least a tenth of its rise", "falls from the start"}, shape,
		fmt.Sprintf("It peaks at n = %d (gold %+.2f) and is %+.2f at n = %d: it gives back %.0f%% of its rise.", bon[top].N, bon[top].Gold, bon[last].Gold, bon[last].N, 100*fall/rise))
	var rows [][]string
	within := true
	for _, b := range bon {
		rows = append(rows, []string{fmt.Sprint(b.N), fmt.Sprintf("%.3f", b.KL), fmt.Sprintf("%.3f", b.Bound),
			fmt.Sprintf("%+.3f", b.Proxy), fmt.Sprintf("%+.3f", b.Gold)})
		within = within && b.KL <= b.Bound+1e-9
	}
	nb.Table([]string{"n", "KL (exact)", "log n - (n-1)/n", "proxy", "gold"}, rows)
	nb.Check("best-of-n's KL never exceeds log n - (n-1)/n", within,
		"log n - (n-1)/n is the exact KL only when the proxy's scores have no ties (a continuous distribution; Beirami et al. 2024 show it is an upper bound in general); choosing from a finite pool of base answers puts it slightly below, most where n nears the pool's size")
	fmt.Printf("from the gold peak (n = %d) to n = %d: proxy %+.2f, gold %+.2f\n", bon[top].N, bon[last].N, bon[last].Proxy-bon[top].Proxy, -fall)
	nb.Check("by n = 16,384 best-of-n has given back at least a tenth of its gold rise while the proxy still climbs (by more than 0.3 from the gold peak)",
		top > 0 && fall >= 0.1*rise && bon[last].Proxy-bon[top].Proxy > 0.3,
		"the answers the reward model scores highest among many are more and more often the ones it scores too high: selecting on the proxy selects its errors")
	nb.Number("Read it off the table: how high does the gold reward of best-of-n climb in your run, at its peak? (within 5%)", bon[top].Gold, 0.05,
		fmt.Sprintf("The gold peak is %+.3f, at n = %d (KL %.3f nats). The KL of a given n is the same in every world; how much gold it buys depends on your world's weights.", bon[top].Gold, bon[top].N, bon[top].KL))

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
	bc, err := plots.BoNCurve(bon).Fitted(stats.GaoBoN)
	nb.Must(err)
	rc, err := plots.StepsCurve(res.Run.Steps).Fitted(stats.GaoRL)
	nb.Must(err)
	bf, rf := *bc.Fit, *rc.Fit
	fig, err := plots.Overoptimisation(bc, rc, nil)
	nb.Must(err)
	nb.Figure("Gold and proxy gain against sqrt(KL) for best-of-n and RL, with the fitted laws", fig)
	fmt.Printf("best-of-n: gold gain = %s, R^2 %.3f; its peak at d = %.2f (KL %.2f)\n", bf, bf.R2, bf.Alpha/(2*bf.Beta), math.Pow(bf.Alpha/(2*bf.Beta), 2))
	fmt.Printf("RL:        gold gain = %s, R^2 %.3f\n", rf, rf.R2)
	peak, drop := res.GoldPeak()
	fmt.Printf("gold peaks at KL %.2f under best-of-n (n = %d) and at KL %.2f under RL (step %d)\n", bon[top].KL, bon[top].N, res.Run.Steps[peak].KL, peak)
	nb.Check("the best-of-n law fits the best-of-n curve closely (R^2 above 0.95)", bf.R2 > 0.95,
		"Gao et al.'s d (alpha - beta d) is the shape of selection on a noisy proxy: a gain linear in the distance, minus errors that grow faster")
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
	// when it was trained, and optimisation manufactures exactly those.
	// Pressure helps while the model is right and hurts once it is not.
	//
	// Compare the two KLs printed under the figure. Gao et al. found that
	// RL spends more KL than best-of-n for the same gold, and fitted RL
	// with the log law for that reason. This simulator does not reproduce
	// it: its RL policy is a Gaussian that shifts its mean in a straight
	// line, and with a linear reward model nothing pays it to change its
	// spread, so it spends its KL on exactly the direction the reward
	// model points in. A language model spends KL on many things at once
	// (narrowing its choices among them), which this policy cannot do.
	// That is why the best-of-n law fits this RL curve at least as well as
	// the RL law: a limit of the simulator, not a finding.
	//
	// What moves the peak? More data and a larger model move it later and
	// higher in Gao et al.'s experiments; here that holds for an MLP reward
	// model, which can learn the diminishing returns (try `rlhfsim sweep
	// --models mlp --betas 0 --prompts 200,2000,20000`), but not for the
	// linear default, which cannot represent them at any data size.
	//
	// ## Take the planted term away
	//
	// The table named incoherence as the term the gold reward loses most
	// to. A causal claim like that needs an ablation: the same seed, the
	// same annotators (now judging by the same gold reward without that
	// term), the same training and the same pressure.

	// %%
	ca := c
	ca.Data.Gold = world.GoldCoherent
	ca.Policy.Settings.Watch = nil
	abl, err := pipeline.Run(ca, nil)
	nb.Must(err)
	apeak, adrop := abl.GoldPeak()
	ab := abl.BoN
	atop := 0
	for i := range ab {
		if ab[i].Gold > ab[atop].Gold {
			atop = i
		}
	}
	arise, afall := ab[atop].Gold-ab[0].Gold, ab[atop].Gold-ab[last].Gold
	ae := abl.Run.Steps[len(abl.Run.Steps)-1]
	fmt.Printf("without incoherence: RL gold %+.2f -> %+.2f (peak at step %d, %.2f below it at the end); best-of-n gold peaks at n = %d and gives back %.0f%% of its rise by n = %d\n",
		abl.Run.Steps[0].Gold, ae.Gold, apeak, adrop, ab[atop].N, 100*afall/arise, ab[last].N)
	fmt.Printf("the proxy still gains more than gold: RL %+.2f against %+.2f\n", ae.Proxy-abl.Run.Steps[0].Proxy, ae.Gold-abl.Run.Steps[0].Gold)
	fmt.Printf("gold peak: %+.2f at KL %.2f with the term, %+.2f at KL %.2f without it\n", res.Run.Steps[peak].Gold, res.Run.Steps[peak].KL, abl.Run.Steps[apeak].Gold, abl.Run.Steps[apeak].KL)
	nb.Check("without the incoherence term, the RL run's gold peaks higher (by more than 1) and at a larger KL",
		abl.Run.Steps[apeak].Gold > res.Run.Steps[peak].Gold+1 && abl.Run.Steps[apeak].KL > res.Run.Steps[peak].KL,
		"the term is what turns the gold reward down early: answers pushed to extremes stop making sense long before the other terms cost much")
	if beta >= 0.2 {
		// At beta 0.05 the ablation run is pushed far enough to turn down
		// too (seed 1: peak +4.79 at step 221, 0.34 below it at the end),
		// so this check is made only where the run stops nearer.
		nb.Check("at this beta, without the incoherence term neither RL nor best-of-n turns down (RL ends within 0.05 of its peak; best-of-n gives back less than 2% of its rise)",
			adrop < 0.05 && afall < 0.02*arise,
			"within this run's reach, the fall is made by one term of the gold reward; the reward model's other errors make the proxy overstate the gain but do not turn the gold reward down")
	}
	nb.Check("without it, the proxy still overstates the gain", ae.Proxy-abl.Run.Steps[0].Proxy > ae.Gold-abl.Run.Steps[0].Gold,
		"the linear model still pays the local slope of quality whose true returns diminish, and still pays for cues worth nothing")

	// %% [markdown]
	// So the fall you saw at the default beta is built in: an extremal
	// Goodhart effect that this world plants in one term, which a linear
	// reward model trained on base-policy answers cannot see. It is a fair
	// picture of one real mechanism (a policy pushed into answers no
	// annotator ever judged), but not a discovery about RLHF. Without it
	// the proxy still promises more than the truth delivers, and pushed
	// much further (try beta 0.05) the gold reward turns down even
	// without the term, later and from higher: the terms that remain,
	// diminishing returns and the length ideal, are built in too.

	// %%
	nb.Quiz("In this lesson's run, with fair annotators, what makes the gold reward fall soon after its peak?",
		[]string{"the reward model is trained with too few epochs",
			"the policy reaches extremes where the gold reward's incoherence penalty bites, which a linear reward model cannot express",
			"the KL penalty pushes the gold reward down",
			"the annotators preferred longer answers, so the reward model pays for length and the policy pads its answers far past the ideal length"}, 1,
		"The ablation shows it: without the incoherence term the gold reward peaks later and higher, and at the default beta it does not turn down at all. The cues and the saturated quality make the proxy overstate the gain; the early fall is that one extremal term.")
	why := fmt.Sprintf("Here the gold reward of best-of-n peaks at n = %d and falls after: the top of the proxy's ranking fills with the answers it overrates.", bon[top].N)
	if top == last {
		why = "Here the gold reward of best-of-n rose all the way to n = 16,384, but a larger n is still not always better: where the proxy's errors are large at its top, selection fills with the answers it overrates."
	}
	nb.TrueFalse("Best-of-n with a larger n always gives answers that are truly better.", false, why)
}
