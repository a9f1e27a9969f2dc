// Title: Margins and whole rankings
// Summary: Two variants of the Bradley-Terry loss on the same data: a margin every pair must clear, and the Plackett-Luce likelihood of each whole ranking. What changes in the order the reward model learns, and what changes in what its score differences mean.
// Minutes: 10
// Learn-before: 04-training-as-ranking, 16-calibration
// Learn-after:
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// spread returns the count-weighted mean distance from one half of the
// bins' predicted and observed probabilities: how confident the
// predictions are, and how confident they should be.
func spread(bins []reward.Bin) (predicted, observed float64) {
	n := 0
	for _, b := range bins {
		predicted += math.Abs(b.Predicted-0.5) * float64(b.Count)
		observed += math.Abs(b.Observed-0.5) * float64(b.Count)
		n += b.Count
	}
	return predicted / float64(n), observed / float64(n)
}

func main() {
	// %% [markdown]
	// Lesson 04 trained the reward model with the Bradley-Terry loss,
	// `-log sigma(r(winner) - r(loser))` averaged over the pairs. Two
	// variants are common:
	//
	// - a **margin** m: `-log sigma(r(winner) - r(loser) - m)`, the same
	//   curve shifted by m, so a pair keeps pulling the two scores apart
	//   for longer. Touvron et al. (2023) used one in Llama 2, larger for
	//   pairs the annotators had called clearly different, and report that
	//   it helped most on such pairs. This world's annotators state no
	//   strength of preference, so here the margin is one constant for
	//   every pair: a different thing from theirs, whose result this run
	//   cannot test.
	// - the **Plackett-Luce** loss: the negative log-likelihood of each
	//   whole ranking, best answer first (the chance the best was picked
	//   first from all K, times the chance the second was picked first
	//   from the rest, and so on), instead of its K(K-1)/2 pairs.
	//
	// We train all three on the same data to their exact minimum (L-BFGS
	// on the whole data: for a linear reward model without a bias term,
	// on labels no straight line separates perfectly, each of these losses
	// has a single minimum), so that what differs is the loss and nothing
	// else. As in lesson 16, we then compare each model's predicted
	// preferences with the annotators' true probability on 20,000 pairs
	// of base-policy answers, which held-out labels (about a hundred per
	// bin) measure too noisily for this.

	// %%
	margin := nb.Float("margin", 1, 0.5, 3, "the margin every pair must clear")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.RM.Optimizer = reward.LBFGS
	type model struct {
		name string
		obj  reward.Objective
	}
	models := []model{
		{"Bradley-Terry", reward.Objective{Loss: reward.BradleyTerry}},
		{fmt.Sprintf("Bradley-Terry, margin %g", margin), reward.Objective{Loss: reward.BradleyTerry, Margin: margin}},
		{"Plackett-Luce", reward.Objective{Loss: reward.PlackettLuce}},
	}
	trained := map[string]*pipeline.Trained{}
	reports := map[string]pipeline.PairReport{}
	for _, m := range models {
		cm := c
		cm.RM.Objective = m.obj
		g, tr, err := cm.Reward()
		nb.Must(err)
		trained[m.name] = tr
		w := g.World
		base := policy.NewGaussian(w, w.Prompts(pipeline.DefaultPolicyPrompts, pipeline.PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts)),
			pipeline.DefaultDraws, rng.Stream(c.Seed, rng.Draws))
		reports[m.name] = pipeline.ComparePairs(base, tr.Scorer.Func(), c.Data.Annotator(), w.Gold, 20000, 1, 1, rng.Stream(c.Seed, "lesson17/pairs"))
	}
	bt, withMargin, pl := trained[models[0].name], trained[models[1].name], trained[models[2].name]
	btPairs, marginPairs := reports[models[0].name], reports[models[1].name]

	// %% [markdown]
	// Before you look: what does the margin change?

	// %%
	orderSame := math.Abs(withMargin.Metrics.GoldAgreement-bt.Metrics.GoldAgreement) < 0.015
	predConf, obsConf := spread(marginPairs.Calibration)
	over := predConf > obsConf+0.02
	truth := 3
	switch {
	case orderSame && over:
		truth = 0
	case !orderSame && withMargin.Metrics.GoldAgreement > bt.Metrics.GoldAgreement:
		truth = 1
	case orderSame:
		truth = 2
	}
	nb.Predict("Trained with a margin, compared with plain Bradley-Terry, the reward model...",
		[]string{"orders answers the same, but its score differences claim more confidence than the labels support",
			"orders answers more like the gold reward",
			"changes nothing that can be measured",
			"orders answers worse"}, truth,
		fmt.Sprintf("Agreement with gold: %.3f with the margin, %.3f without. Predicted preferences with the margin sit %.3f from one half on average; the annotators' true probabilities, %.3f.",
			withMargin.Metrics.GoldAgreement, bt.Metrics.GoldAgreement, predConf, obsConf))
	var rows [][]string
	var curves []plots.NamedBins
	for _, m := range models {
		tr := trained[m.name]
		rows = append(rows, []string{m.name, fmt.Sprintf("%.3f", tr.Metrics.GoldAgreement), fmt.Sprintf("%.3f", tr.Metrics.TestAccuracy), fmt.Sprintf("%.3f", reward.CalibrationGap(reports[m.name].Calibration))})
		curves = append(curves, plots.NamedBins{Name: m.name, Bins: reports[m.name].Calibration})
	}
	nb.Table([]string{"loss", "agreement with gold (held out)", "test accuracy on labels", "calibration gap against the annotators' true probability"}, rows)
	fig, err := plots.CalibrationCurves("One order; a margin changes what a difference means", "annotators' true probability", curves, nil)
	nb.Must(err)
	nb.Figure("Predicted preference against the annotators' true probability, on 20,000 pairs of base-policy answers, for each loss", fig)
	nb.Check("the margin leaves the order the reward model learns as it was (agreement with gold within 0.015)",
		orderSame, "a margin the same for every pair stretches every score difference away from zero; which answer scores higher barely changes")
	nb.Check("and makes its predicted preferences overconfident: further from one half than the annotators' true probabilities, and less calibrated than without it",
		over && reward.CalibrationGap(marginPairs.Calibration) > reward.CalibrationGap(btPairs.Calibration),
		"with a margin the loss is smallest at score differences further from zero than the labels' log-odds, so sigma(difference) claims more than the annotators support")

	// %% [markdown]
	// Why overconfident? Say a beats b with probability p, and d is
	// `r(a) - r(b)`. Averaged over which of them wins, the margin loss is
	// smallest where `p sigma(m - d) = (1 - p) sigma(m + d)`: at d = 0 when
	// p is one half, and otherwise further from 0 than the log-odds of p,
	// which is where plain Bradley-Terry puts it. So `sigma(d)` lies
	// further from one half than p: the predicted preferences lose the
	// meaning lesson 16 gave them. A margin that varies with the annotators' stated strength of
	// preference, as in Llama 2, is another matter, and this world cannot
	// show it.
	//
	// The Plackett-Luce loss reads each ranking as one event instead of
	// K(K-1)/2 pairs. In this world the annotators rank by their noisy
	// utilities with Gumbel noise, which is exactly the Plackett-Luce
	// model, and under it the chance that one answer lands above another,
	// whatever else is ranked, is exactly the Bradley-Terry probability
	// (the difference of two Gumbel noises is logistic). So the two losses
	// aim at the same thing, and would estimate the same scores if the
	// model could represent the annotators' utilities; this is how the
	// world is built, not a finding. The gold reward here is curved and
	// the model linear, so each loss settles on its own best straight-line
	// compromise: they agree on the order, and their scores' scale can
	// differ a little.

	// %%
	fmt.Printf("agreement with gold: Bradley-Terry %.3f, Plackett-Luce %.3f; calibration gap %.3f and %.3f\n",
		bt.Metrics.GoldAgreement, pl.Metrics.GoldAgreement, btPairs.Gap, reports[models[2].name].Gap)
	nb.Check("Bradley-Terry on the pairs and Plackett-Luce on the whole rankings learn the same order (agreement with gold within 0.015)",
		math.Abs(pl.Metrics.GoldAgreement-bt.Metrics.GoldAgreement) < 0.015,
		"with Plackett-Luce annotators, every pair's chance of being ranked one way is the Bradley-Terry probability: the two losses aim at the same scores")

	// %%
	nb.Quiz("A team adds a constant margin of 2 to its Bradley-Terry loss. Its reward model's accuracy does not change. What did change?",
		[]string{"the score differences: sigma(r(a) - r(b)) now lies further from one half than how often annotators prefer a",
			"nothing: a loss that gives the same accuracy gives the same reward model",
			"the order of the answers, which the accuracy cannot see",
			"the model now needs twice as much data, since each pair must be won by 2"}, 0,
		"A constant margin stretches every score difference away from zero; the order, and so the accuracy, stays, but the differences no longer read as calibrated probabilities.")
}
