// Title: An underdetermined model
// Summary: What comparisons cannot pin down: the level of the scores, their scale (set by the annotators' noise), and every direction the data never tests. The regularisers that choose for the data: centering, normalisation, L2 and early stopping.
// Minutes: 20
// Learn-before: 06-policy-gradient
// Learn-after: 10-training-cost
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
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// norm is the Euclidean length of x.
func norm(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}

func main() {
	// %% [markdown]
	// A model is **underdetermined** when the data leave some of its
	// choices open: many settings of its parameters fit the data equally
	// well, and the data cannot say which is meant. Lesson 05 found two
	// such choices in a reward model trained on comparisons: the level of
	// the scores (add a constant to every score and no comparison changes)
	// and a separate level for each prompt (every pair compares answers to
	// the same prompt). This lesson finds two more, and the tools that
	// decide what the data leave open.
	//
	// ## The scale
	//
	// An annotator prefers answer A to answer B with probability
	// sigma((r*(A) - r*(B)) / tau), where tau is how noisy the annotator
	// is. A reward model fitted to such choices learns r*/tau, not r*: a
	// model with scores twice as large fits annotators half as noisy just
	// as well. Here the gold reward is linear, so a linear model can match
	// it exactly, and we train one at three levels of annotator noise.
	//
	// Before you look: if annotators are four times as noisy, what happens
	// to the length of the learned weight vector?

	// %%
	beta := nb.Float("beta", 0.2, 0.05, 1, "KL coefficient at which to compare the policies the reward models would produce")
	seed := nb.Seed()
	taus := []float64{0.5, 1, 2}
	var norms, ideal, kls []float64
	var rows [][]string
	gold := world.LinearGoldSpec()
	for _, tau := range taus {
		c := pipeline.Default()
		c.Seed = seed
		c.Data.Tau = tau
		c.Data.Gold = world.GoldLinear
		c.RM.Optimizer = reward.LBFGS
		g, tr, err := c.Reward()
		nb.Must(err)
		w := tr.Scorer.Model.Params()
		pol := policy.NewGaussian(g.World, g.World.Prompts(4, 0, rng.Stream(seed, "lesson/prompts")), 1, rng.Stream(seed, "lesson/draws"))
		kl := pol.OptimalKL(w, beta)
		norms, ideal, kls = append(norms, norm(w)), append(ideal, norm(gold.W[:])/tau), append(kls, kl)
		rows = append(rows, []string{fmt.Sprint(tau), fmt.Sprintf("%.3f", norm(w)), fmt.Sprintf("%.3f", norm(gold.W[:])/tau),
			fmt.Sprintf("%.3f", tr.Metrics.TestAccuracy), fmt.Sprintf("%.1f", kl)})
	}
	ratio := norms[0] / norms[2]
	truth := 2
	switch {
	case ratio > 3:
		truth = 0
	case ratio > 1.5:
		truth = 1
	}
	nb.Predict("Annotators with tau = 2 against annotators with tau = 0.5: the learned weights are...",
		[]string{"about four times shorter", "about half as long", "about the same length", "longer"}, truth,
		fmt.Sprintf("The weights at tau = 0.5 are %.2f times as long as at tau = 2.", ratio))
	nb.Table([]string{"annotator tau", "learned |w|", "gold |w| / tau", "test accuracy", fmt.Sprintf("KL of the optimum at beta %g", beta)}, rows)
	fig, err := plots.Lines("The scale of a learned reward is set by the label noise", "annotator tau", "length of the weight vector", taus,
		[]plots.Series{{Name: "learned weights", Y: norms}, {Name: "gold weights / tau", Y: ideal, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("The learned weight vector's length against the annotators' noise, beside the gold weights divided by tau", fig)
	nb.Check("four times the label noise gives weights about four times shorter (a ratio between 3 and 5.3)", ratio > 3 && ratio < 5.3,
		"the model learns r*/tau: it cannot tell a large reward difference judged noisily from a small one judged carefully")

	// %% [markdown]
	// The last column is the KL to the base policy of the policy that
	// maximises E[r] - beta KL for each model (for a linear reward and
	// this Gaussian policy it is w' Sigma w / (2 beta^2), exactly). The
	// same beta asks for a policy about sixteen times as far from the base
	// when the annotators were four times as careful. **A value of beta
	// means something only relative to the scale of the reward**, and
	// that scale came from the annotators' noise, not from anything true.
	// This is why some RL pipelines rescale rewards to a fixed spread
	// before RL, and why a beta tuned for one reward model does not carry
	// over to another.

	// %%
	nb.Check("the KL of the regularised optimum grows with the square of the scale (tau = 0.5 against 2: between 9 and 28 times)",
		kls[0]/kls[2] > 9 && kls[0]/kls[2] < 28,
		"KL* = w' Sigma w / (2 beta^2): doubling the reward's scale is the same as halving beta")

	// %% [markdown]
	// ## Directions the data never test
	//
	// With few comparisons and many features, the data leave whole
	// directions open. We add 200 **distractors**, random features that
	// have nothing to do with quality, to a small dataset: 100 prompts,
	// 480 training pairs. With 231 weights and so few pairs, usually some
	// weight vector orders every training pair correctly (the table's
	// train accuracy shows whether one did here), and then the loss
	// -log sigma(r_w - r_l) can always be lowered by making the weights
	// longer: its minimum lies at infinity, and the data alone cannot stop
	// the weights growing. Three regularisers choose for the data:
	//
	// - **L2** adds (lambda/2) |w|^2 to the loss: among the weights that
	//   fit, prefer short ones. The minimum is finite again.
	// - **Early stopping** stops training when the loss on held-out
	//   comparisons stops falling, before the weights have grown.
	// - **Centering** and **normalisation** (lesson 05) fix the level.

	// %%
	l2 := nb.Float("l2", 0.1, 0.01, 1, "L2 coefficient lambda")
	type regime struct {
		name     string
		opt      reward.Optimizer
		l2       float64
		patience int
	}
	regimes := []regime{
		{"to the optimum, no regulariser", reward.LBFGS, 0, 0},
		{fmt.Sprintf("to the optimum, L2 lambda = %g", l2), reward.LBFGS, l2, 0},
		{"Adam, 300 epochs, no early stopping", reward.Adam, 0, -1},
		{"Adam, early stopping (patience 5)", reward.Adam, 0, 5},
	}
	var dist, trainAcc, valLoss []float64
	rows = nil
	for _, r := range regimes {
		c := pipeline.Default()
		c.Seed = seed
		c.Data.Prompts = 100
		c.Data.Distractors = 200
		c.RM.Optimizer, c.RM.Objective.L2, c.RM.Patience, c.RM.Epochs = r.opt, r.l2, r.patience, 300
		_, tr, err := c.Reward()
		nb.Must(err)
		w := tr.Scorer.Model.Params()
		m := tr.Metrics
		dist, trainAcc, valLoss = append(dist, norm(w[world.NumFeatures:])), append(trainAcc, m.TrainAccuracy), append(valLoss, m.ValLoss)
		rows = append(rows, []string{r.name, fmt.Sprintf("%.3f", m.TrainAccuracy), fmt.Sprintf("%.3f", m.TestAccuracy),
			fmt.Sprintf("%.3f", m.ValLoss), fmt.Sprintf("%.2f", norm(w[world.NumFeatures:]))})
	}
	nb.Table([]string{"training", "train accuracy", "test accuracy", "validation loss", "|distractor weights|"}, rows)
	if trainAcc[0] == 1 {
		nb.Check("every training pair is fit, and without a regulariser the distractor weights grow ten times longer than with L2",
			dist[0] > 10*dist[1],
			"when the training pairs can all be ordered correctly, the loss keeps falling as the weights grow; nothing in the data says stop")
	}
	nb.Check("early stopping keeps the weights short and the validation loss lower than training on",
		dist[3] < dist[2] && valLoss[3] < valLoss[2],
		"held-out comparisons notice when extra length only memorises the training pairs; stopping there is a regulariser")
	nb.Check("without early stopping the validation loss ends above ln 2, worse than a model that scores every answer the same",
		valLoss[2] > math.Log(2),
		"a confident model that learned noise is worse on new pairs than one that knows nothing")

	// %% [markdown]
	// With more comparisons the open directions close: each new pair rules
	// out weight vectors that order it wrongly, until only the directions
	// that matter are left. Regularisers matter most exactly where data are
	// scarce, and they decide, not discover: L2 says "short", early
	// stopping says "what the first epochs learned", centering says
	// "average zero". None of these is in the comparisons.

	// %%
	nb.Quiz("A reward model trained on comparisons from very careful annotators ends up with scores twice as spread out as one trained on the same questions from hasty annotators. What should you conclude?",
		[]string{"the careful annotators' model is about twice as good, because its scores separate the better answer of each pair by twice the margin",
			"nothing about quality: comparisons fix a reward only up to a scale set by the annotators' noise",
			"the hasty annotators' model is underfitting",
			"the careful annotators disagreed more often"}, 1,
		"A Bradley-Terry model learns r*/tau. Less noise, larger scores; the ranking can be equally good. Normalise, or tune beta to the model.")
	nb.TrueFalse("Adding L2 regularisation to a reward model changes which answer of a pair it prefers, in general.", true,
		"L2 pulls each weight towards zero by an amount that depends on how well the data pin it, not by one common factor, so the direction of the weight vector changes and orderings near a tie can flip.")
}
