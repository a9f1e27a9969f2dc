// Title: Diagnosing undesired behaviour: length
// Summary: Annotators who favour long answers teach the reward model to like length; the policy's answers grow while the gold reward stalls and falls. How to see it coming.
// Minutes: 20
// Learn-before: 06-policy-gradient
// Learn-after: 08-overoptimisation, 09-underdetermined, 12-verifiers
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func main() {
	// %% [markdown]
	// Human annotators tend to prefer longer answers: a long answer looks
	// thorough, and under the base policy longer answers really are a bit
	// more helpful on average (lesson 01). Our annotators here add a
	// **length bias**: a bonus in their judgement for every log token.
	//
	// A reward model learns whatever predicts the labels. Does it learn the
	// bias too? We train a linear model and compare its weights with the
	// gold reward's slope at a typical answer of the base policy: the
	// weights a linear model would need to follow the gold reward there.

	// %%
	bias := nb.Float("length_bias", 1, 0, 3, "annotators' utility bonus per log token of length")
	beta := nb.Float("beta", 0.2, 0, 2, "KL coefficient of the policy optimisation")
	steps := nb.Int("steps", 300, 150, 2000, "policy-gradient steps (150 or more, so the run can reach past the gold peak)")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.Data.LengthBias = bias
	c.Policy.Settings.Beta = beta
	c.Policy.Settings.Steps = steps
	res, err := pipeline.Run(c, nil)
	nb.Must(err)
	learned := res.RM.Scorer.Model.Params()
	typical := world.Prompt{Category: world.Advice}
	slope := res.Gold.Gradient(typical, res.World.Mean(typical, nil), nil)
	// The 24 surface cues weigh nothing in the gold reward; the figure
	// shows the named features.
	n := world.NumNamed
	wp, err := plots.Weights(res.Data.Features[:n], learned[:n], slope[:n], nil)
	nb.Must(err)
	nb.Figure("The reward model's weights beside the gold reward's slope at a typical base-policy answer", wp)
	wlen := learned[world.Length]
	fmt.Printf("learned length weight %+.3f; the gold reward's slope in length there is %+.3f\n", wlen, slope[world.Length])
	m := res.RM.Metrics
	fmt.Printf("on the test labels: the model %.1f%%, the gold reward itself %.1f%%\n", 100*m.TestAccuracy, 100*m.CeilingAccuracy)
	if res.Summary.BayesCeiling != nil {
		fmt.Printf("expected over the data: the gold reward %.1f%%, the best any scorer can do (one that knows the bias) %.1f%%\n",
			100**res.Summary.ExpectedCeiling, 100**res.Summary.BayesCeiling)
	}
	if bias >= 0.5 {
		nb.Check("the reward model puts a clearly positive weight on length", wlen > 0.5,
			"the model fits the annotators, biases included: if longer answers win more comparisons, length earns weight")
	}
	if bias > 0 && res.Summary.BayesCeiling != nil {
		nb.Check("a scorer that knows the bias would agree with these labels more often than the gold reward does",
			*res.Summary.BayesCeiling > *res.Summary.ExpectedCeiling,
			"the annotators judge by gold plus their bias, so the bias predicts their labels too: the gold reward is no longer the best predictor of them")
	}

	// %% [markdown]
	// Notice that the model still scores well on held-out labels: the bias
	// is in the labels, so fitting it *helps* accuracy. The gold ceiling of
	// lesson 04 bounds a model only when annotators judge by the gold
	// reward; with biased annotators the bound is the Bayes ceiling, the
	// accuracy of a scorer that knows the bias, which lies above the gold
	// reward's own (the second line above). In principle a model could
	// then beat the gold reward on these labels; whether this one does
	// depends on the bias and the data, so compare the first line's two
	// numbers. Either way, accuracy cannot reveal this problem.
	//
	// ## What the policy does with it
	//
	// Before you look: when the policy is optimised against this reward
	// model, what happens to the length of its answers?

	// %%
	steps0, stepsN := res.Run.Steps[0], res.Run.Steps[len(res.Run.Steps)-1]
	grow := 1
	switch {
	case stepsN.Length > steps0.Length+0.3:
		grow = 0
	case stepsN.Length < steps0.Length-0.1:
		grow = 2
	}
	nb.Predict("What happens to the length of the policy's answers?",
		[]string{"they grow a lot", "they stay about the same", "they get shorter"}, grow,
		fmt.Sprintf("The mean answer grew from %d to %d tokens.", world.Tokens(steps0.Length), world.Tokens(stepsN.Length)))
	pc, err := plots.PolicyCurves(res.Run.Steps, nil)
	nb.Must(err)
	nb.Figure("Proxy reward and gold reward while the policy optimises the length-biased reward model", pc)
	peak, drop := res.GoldPeak()
	fmt.Printf("proxy %+.2f -> %+.2f; gold %+.2f -> %+.2f, peaking at step %d and ending %.2f below the peak\n",
		steps0.Proxy, stepsN.Proxy, steps0.Gold, stepsN.Gold, peak, drop)
	atPeak := res.Run.Steps[peak]
	fmt.Printf("mean length: %d tokens at the start, %d at the gold peak (%.1fx), %d at the end (%.1fx)\n",
		world.Tokens(steps0.Length), world.Tokens(atPeak.Length), math.Exp(atPeak.Length-steps0.Length),
		world.Tokens(stepsN.Length), math.Exp(stepsN.Length-steps0.Length))
	if bias >= 0.5 && beta <= 0.2 {
		nb.Check("the proxy keeps rising while the gold reward peaks inside the run and falls back",
			stepsN.Proxy > steps0.Proxy && peak > 0 && peak < len(res.Run.Steps)-1 && drop > 0.5,
			"the policy follows the reward model, not the truth: past the point where length helps, every extra token still raises the proxy and lowers the gold")
	}

	// %% [markdown]
	// Two lengths matter, and the line above gives both. At the gold peak,
	// the best this run ever was, answers have grown by a factor close to
	// the 1.5-2x that Singhal et al. (2023) report for real RLHF; by the
	// end, after the policy has overshot the peak, they are far longer.
	// The prediction above asked about the end.
	//
	// ## Diagnosing it
	//
	// Two views show the problem before a person reads a single answer:
	// the weights (above) and the **drift** of the features the policy
	// changes. A third needs what real RLHF never has, the gold reward, and
	// shows what the first two warn of: the proxy and gold rewards against
	// the distance travelled, sqrt(KL), where the gap between them opens.
	// It adds **best-of-n**, the simplest optimisation there is: draw n
	// answers from the base policy and keep the one the reward model scores
	// highest. Its KL to the base policy is at most log n - (n-1)/n, so
	// each doubling of n buys a little more distance.

	// %%
	before, after := res.Drift(world.Length, 4000)
	dp, err := plots.FeatureDrift("length (log tokens)", before, after, nil)
	nb.Must(err)
	nb.Figure("Answer length before and after optimisation", dp)
	mb, ma := 0.0, 0.0
	for i := range before {
		mb += before[i] / float64(len(before))
		ma += after[i] / float64(len(after))
	}
	fmt.Printf("mean length %d tokens -> %d tokens\n", world.Tokens(mb), world.Tokens(ma))
	if bias >= 1 && beta <= 0.2 {
		// Mean log tokens rise by 0.98 to 1.24 at bias 1, beta 0.2 and 150
		// steps (seeds 1-12), more with a larger bias, a smaller beta or
		// more steps; at bias 0.5 by 0.67 to 0.89, so the check starts at 1.
		nb.Check("by the end of the run (past the gold peak), the policy's answers are at least twice as long as the base policy's",
			ma > mb+math.Ln2, "the cheapest way to raise a length-loving score is to write more")
	}
	bon, err := plots.BoNCurve(res.BoN).Fitted(stats.GaoBoN)
	nb.Must(err)
	rl, err := plots.StepsCurve(res.Run.Steps).Fitted(stats.GaoRL)
	nb.Must(err)
	bonFit, rlFit := *bon.Fit, *rl.Fit
	op, err := plots.Overoptimisation(bon, rl, nil)
	nb.Must(err)
	nb.Figure("Gold and proxy gain against sqrt(KL), with Gao et al.'s fitted laws", op)
	fmt.Printf("fits: best-of-n gold = %s; RL gold = %s\n", bonFit, rlFit)
	rlAsBoN, err := stats.FitGao(stats.GaoBoN, rl.KL, rl.Gold)
	nb.Must(err)
	fmt.Printf("R^2: Gao's RL form fits the RL run %.3f, the best-of-n form fits it %.3f\n", rlFit.R2, rlAsBoN.R2)

	nb.Check("in this simulator, best-of-n's form d (alpha - beta d) fits the RL run closely too (R^2 above 0.9)", rlAsBoN.R2 > 0.9,
		"this is a property of the simulator, not of RLHF: Gao et al. found the log form for RL")

	// %% [markdown]
	// Gao et al. found that best-of-n follows d (alpha - beta d) and RL
	// d (alpha - beta log d). Compare the two R^2 values above: here the
	// best-of-n form fits the RL run closely whatever the settings, while
	// the log form fits well only when the run goes far past its peak.
	// So this simulator does not reproduce their RL law. Its RL policy
	// is unlike a language model in an obvious way: a Gaussian that
	// shifts its mean and, with a linear reward model, never changes its
	// spread. We suspect that is why, but no run here tests it, so take
	// it as a guess; lesson 08 compares the two ways of spending KL.

	// %% [markdown]
	// ## Without any bias
	//
	// Remove the annotators' bias and the length weight shrinks, but not
	// to zero: the gold reward is concave in length, the base policy's
	// answers are a little short of the ideal, and a linear model can only
	// learn the local slope. Extrapolated far beyond the data, that slope
	// misleads too, just more slowly.

	// %%
	var rows [][]string
	for _, b := range []float64{0, bias} {
		// The run above trained the model of this bias already.
		tr := res.RM
		if b != bias {
			cb := c
			cb.Data.LengthBias = b
			_, t, err := cb.Reward()
			nb.Must(err)
			tr = t
		}
		rows = append(rows, []string{fmt.Sprint(b), fmt.Sprintf("%+.3f", tr.Scorer.Model.Params()[world.Length]),
			fmt.Sprintf("%.3f", tr.Metrics.TestAccuracy), fmt.Sprintf("%.3f", tr.Metrics.CeilingAccuracy)})
	}
	nb.Table([]string{"annotators' length bias", "learned length weight", "test accuracy", "the gold reward's accuracy on the same test labels"}, rows)

	// %% [markdown]
	// ## Your annotators' hidden taste
	//
	// When your variant of the world was drawn from your name and code,
	// your annotators were given one more taste, which this lesson does not
	// name: a liking for longer answers, for flattery, or for filler. Here
	// they rank answers with it. The gold reward is known, so we can do what
	// real RLHF cannot: train one reward model on their rankings and one on
	// rankings by annotators who follow the gold reward alone (the same
	// prompts, answers and noise), each for a fixed 30 epochs, and compare
	// what each learned. Weights are divided by the model's helpfulness
	// weight, since the scale of a learned reward is arbitrary (lesson 09);
	// the taste shows as excess weight on its feature. (Stopped early
	// instead, the two models stop at different epochs, and a length taste
	// then spills some excess onto filler, which travels with length in
	// this world's answers.) Your classmates' annotators may have another.

	// %%
	qc := pipeline.Default()
	qc.Seed = c.Seed
	qc.Data.Prompts = 2000
	qc.RM.Patience = -1
	fitWith := func(quirk float64) []float64 {
		q := qc
		q.Data.Quirk = quirk
		_, tr, err := q.Reward()
		nb.Must(err)
		return tr.Scorer.Model.Params()
	}
	withTaste, goldOnly := fitWith(1), fitWith(0)
	var tasteRows [][]string
	excess := make([]float64, len(world.Quirks))
	for i, f := range []int{world.Length, world.Flattery, world.Filler} {
		a, b := withTaste[f]/withTaste[world.Helpfulness], goldOnly[f]/goldOnly[world.Helpfulness]
		excess[i] = a - b
		tasteRows = append(tasteRows, []string{world.Quirks[i], fmt.Sprintf("%+.3f", a), fmt.Sprintf("%+.3f", b), fmt.Sprintf("%+.3f", excess[i])})
	}
	nb.Table([]string{"feature", "weight per unit of helpfulness, your annotators", "annotators who follow gold", "excess"}, tasteRows)
	taste, gap := 0, math.Inf(1)
	for i := range excess {
		if excess[i] > excess[taste] {
			taste = i
		}
	}
	for i := range excess {
		if i != taste {
			gap = math.Min(gap, excess[taste]-excess[i])
		}
	}
	// On seeds 1-3 and twelve worlds of each taste the smallest gap was
	// 0.95.
	nb.Check("one feature's excess weight stands out, by 0.5 or more above the others'", gap >= 0.5,
		"a taste adds utility to one feature in every comparison, so a model trained on those labels weighs that feature more; the other features keep the weights, relative to helpfulness, that gold-following labels teach")
	nb.Quiz("Which taste do your annotators hide?", world.Quirks, taste,
		fmt.Sprintf("The excess weights per unit of helpfulness are length %+.2f, flattery %+.2f, filler %+.2f: the largest names the taste.", excess[0], excess[1], excess[2]))

	// %%
	nb.Quiz("A reward model trained on pairwise preferences ends up scoring longer, less helpful answers higher. What is the most likely explanation?",
		[]string{"the model has too few parameters to represent helpfulness",
			"longer answers tended to win the comparisons, by annotator taste or because length travels with quality",
			"the Bradley-Terry loss is biased towards long inputs, because longer answers have larger feature values and so larger score differences",
			"the policy was trained with too large a KL coefficient"}, 1,
		"A reward model learns whatever predicts which answer wins. If length predicts winning, it earns weight, and a policy optimising the score will exploit it far beyond the lengths where it ever helped.")
}
