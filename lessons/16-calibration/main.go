// Title: What a score difference means
// Summary: A Bradley-Terry reward model predicts a probability for every pair: calibrated on the data it learned from, about as often right as one annotator's label or more, and, measured on the policy's own answers, a coin flip at the gold peak and confidently wrong past it.
// Minutes: 15
// Learn-before: 06-policy-gradient, 08-overoptimisation
// Learn-after: 13-keeping-honest
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// width is the size of the gold-difference bins.
const width = 0.25

// accuracies returns the reward model's and one annotator's accuracy per
// gold-difference bin, and the bins' mean gold differences.
func accuracies(r pipeline.PairReport) (mean, rm, ann []float64) {
	for _, b := range r.Resolution {
		mean, rm, ann = append(mean, b.Mean), append(rm, b.RM), append(ann, b.Annotator)
	}
	return mean, rm, ann
}

func main() {
	// %% [markdown]
	// A reward model trained with the Bradley-Terry loss does more than
	// rank. For two answers a and b it predicts a **probability**: that an
	// annotator prefers a is `sigma(r(a) - r(b))`. A score difference of 0
	// means a coin flip, of 1 about 73 to 27, of 3 about 95 to 5. Is that
	// probability right? Real RLHF can check it only against the labels it
	// holds out. Here we also know each annotator's true probability of
	// preferring a, and the gold reward, so we can check it anywhere.

	// %%
	c := pipeline.Default()
	c.Seed = nb.Seed()
	g, tr, err := c.Reward()
	nb.Must(err)
	w := g.World
	fig, err := plots.Calibration(tr.Metrics.Calibration, nil)
	nb.Must(err)
	nb.Figure("Predicted preference against how often the first answer won, on held-out labelled pairs", fig)
	gap := reward.CalibrationGap(tr.Metrics.Calibration)
	n := 0
	for _, b := range tr.Metrics.Calibration {
		n += b.Count
	}
	fmt.Printf("held-out pairs: %d; mean |predicted - observed| per pair's bin: %.3f\n", n, gap)
	nb.Check("on held-out labels the predictions are calibrated: predicted and observed differ by less than 0.06 on average",
		gap < 0.06, "the Bradley-Terry loss is a log-likelihood: minimising it on enough pairs makes sigma(r(a) - r(b)) match how often a wins")

	// %% [markdown]
	// With about a hundred pairs per bin, each observed frequency is
	// itself uncertain by about 0.05: the hidden truth does better. We
	// draw pairs of the base policy's answers (20,000 by default) and
	// compare each prediction with the annotators' true probability, and,
	// by the size of the gold difference between the two answers, how
	// often the reward model orders a pair as the gold reward does against
	// how often one annotator's label does.
	//
	// Before you look: on pairs whose gold rewards differ by less than
	// 0.25, how often does the reward model order them as gold does?

	// %%
	pairs := nb.Int("pairs", 20000, 5000, 50000, "pairs of the policy's answers per comparison")
	ann := c.Data.Annotator()
	prompts := w.Prompts(pipeline.DefaultPolicyPrompts, pipeline.PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts))
	newPolicy := func() *policy.Gaussian {
		return policy.NewGaussian(w, prompts, pipeline.DefaultDraws, rng.Stream(c.Seed, rng.Draws))
	}
	compare := func(pol policy.Policy) pipeline.PairReport {
		return pipeline.ComparePairs(pol, tr.Scorer.Func(), ann, w.Gold, pairs, 6, width, rng.Stream(c.Seed, "lesson16/pairs"))
	}
	base := compare(newPolicy())
	mid, rmAcc, annAcc := accuracies(base)
	often := 0
	switch {
	case rmAcc[0] > 0.85:
		often = 2
	case rmAcc[0] > 0.65:
		often = 1
	}
	nb.Predict("On pairs whose gold rewards differ by less than 0.25, how often does the reward model order them as gold does?",
		[]string{"about half the time, barely better than a coin", "about three times in four", "nine times in ten or more"}, often,
		fmt.Sprintf("Reward model %.2f, one annotator's label %.2f: both near a coin flip, since a small gold difference is a small difference in the annotators' utilities.", rmAcc[0], annAcc[0]))
	fig, err = plots.Lines("How fine a difference is seen", "gold difference between the two answers", "share ordered as the gold reward orders them",
		mid, []plots.Series{{Name: "reward model", Y: rmAcc}, {Name: "one annotator's label", Y: annAcc, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure(fmt.Sprintf("Accuracy against the gold difference, on base-policy pairs (bins of %.2f, each at its pairs' mean difference; the last holds everything above %.2f)", width, 5*width), fig)
	rising, ahead := true, 0
	for i := range rmAcc {
		if i > 0 && rmAcc[i] < rmAcc[i-1]-0.02 {
			rising = false
		}
		if rmAcc[i] > annAcc[i] {
			ahead++
		}
	}
	fmt.Printf("reward model ahead of one annotator in %d of %d bins; mean |predicted - annotators' probability| %.3f\n", ahead, len(rmAcc), base.Gap)
	nb.Check("the larger the gold difference, the more often the reward model gets the pair right",
		rising && rmAcc[len(rmAcc)-1] > rmAcc[0]+0.3, "a bigger gap in quality is a bigger gap in the annotators' utilities, which the labels show more reliably")
	nb.Check("below a gold difference of 0.25 the reward model is barely better than a coin (at most 0.6)",
		rmAcc[0] < 0.6, "subtle differences are subtle for annotators too, and the reward model learns from their labels")
	nb.Check("the reward model is right at least as often as one annotator in every bin but at most one",
		ahead >= len(rmAcc)-1, "one label is one noisy draw; the reward model averages thousands of them into one consistent judgement")

	// %% [markdown]
	// ## On the policy's own answers
	//
	// Now let the policy chase the score, with a small KL coefficient so
	// that it goes past the gold peak (lesson 08), and repeat the
	// comparison at three points: the base policy, the step where gold
	// peaked, and the end.

	// %%
	beta := nb.Float("beta", 0.05, 0.02, 0.08, "KL coefficient of the policy's run")
	steps := nb.Int("steps", 300, 250, 400, "policy-gradient steps")
	pol := newPolicy()
	var thetas [][]float64
	set := policy.Settings{Algo: policy.RLOO, Beta: beta, Steps: steps, LR: 0.02,
		Inspect: func(_ int, p policy.Policy) { thetas = append(thetas, append([]float64(nil), p.Params()...)) }}
	run, err := policy.Optimize(pol, tr.Scorer.Func(), w.Gold, &set, rng.Stream(c.Seed, rng.Optimize))
	nb.Must(err)
	peak := 0
	for i, s := range run.Steps {
		if s.Gold > run.Steps[peak].Gold {
			peak = i
		}
	}
	at := func(step int) policy.Policy {
		p := newPolicy()
		copy(p.Params(), thetas[step])
		return p
	}
	atPeak, atEnd := compare(at(peak)), compare(at(steps))
	pc, err := plots.PolicyCurves(run.Steps, nil)
	nb.Must(err)
	nb.Figure("Proxy and gold reward during the run", pc)
	fig, err = plots.CalibrationCurves("Calibrated where it learned", "annotators' true probability",
		[]plots.NamedBins{{Name: "base policy", Bins: base.Calibration},
			{Name: fmt.Sprintf("gold peak (step %d)", peak), Bins: atPeak.Calibration},
			{Name: fmt.Sprintf("end (step %d)", steps), Bins: atEnd.Calibration}}, nil)
	nb.Must(err)
	nb.Figure("The reward model's predicted preference against the annotators' true probability, on pairs of the policy's answers", fig)
	_, peakAcc, peakAnn := accuracies(atPeak)
	_, endAcc, endAnn := accuracies(atEnd)
	last := len(peakAcc) - 1
	var rows [][]string
	for _, r := range []struct {
		name string
		rep  pipeline.PairReport
		acc  []float64
		ann  []float64
	}{{"base policy", base, rmAcc, annAcc}, {fmt.Sprintf("gold peak, step %d", peak), atPeak, peakAcc, peakAnn}, {fmt.Sprintf("end, step %d", steps), atEnd, endAcc, endAnn}} {
		rows = append(rows, []string{r.name, fmt.Sprintf("%.3f", r.rep.Gap), fmt.Sprintf("%.2f", r.acc[last]), fmt.Sprintf("%.2f", r.ann[last])})
	}
	nb.Table([]string{"answers of", "mean |predicted - true|", fmt.Sprintf("reward model right, gold difference over %.2f", float64(last)*width),
		"one annotator right, same pairs"}, rows)
	nb.Check("at the gold peak the reward model's preferences between the policy's answers are a coin flip, even where gold differs a lot (between 0.4 and 0.6)",
		peakAcc[last] > 0.4 && peakAcc[last] < 0.6,
		"gold stops rising about when the reward model's preferences among the policy's answers stop pointing towards gold")
	nb.Check("at the end they are confidently wrong: the reward model orders most clearly different pairs against gold (below 0.3), and its gap from the annotators is the largest of the three",
		endAcc[last] < 0.3 && atEnd.Gap > atPeak.Gap && atEnd.Gap > base.Gap,
		"past the peak the policy lives where the score and the gold reward disagree, and it went there because the score liked it")
	nb.Check("the annotators still judge the policy's answers well at the end (over 0.8 right on clearly different pairs)",
		endAnn[last] > 0.8, "the people did not change; the reward model is being asked about answers unlike any it learned from")

	// %% [markdown]
	// On base-policy answers, calibration is about averages: a single
	// pair's prediction is off from the annotators' true probability by
	// about the table's first number, since a linear score cannot follow
	// the curved gold reward, and within a bin those errors cancel.
	//
	// The middle curve is flat at one half, and the model makes it so.
	// For this policy, a Gaussian whose mean the natural-gradient steps
	// shift along the reward model's weights, the rate at which gold rises
	// is, up to the learning rate and the small pull of the KL penalty,
	// the covariance between the score and gold over the policy's own
	// answers (Stein's lemma). Gold peaks about where that covariance
	// reaches zero, and there the score's preferences among the policy's
	// answers carry almost no information about gold. Past the peak the
	// policy keeps moving where the score and gold disagree, and the
	// reward model's confident predictions turn into confident mistakes.
	// The annotators would have caught it: an audit that asks them about
	// the policy's own answers (lesson 13) watches a noisy version of this
	// agreement, one label per pair.

	// %%
	nb.Quiz("A reward model predicts sigma(r(a) - r(b)) = 0.9 for a pair of the policy's answers late in RL. What does that tell you?",
		[]string{"an annotator would prefer a about nine times in ten",
			"the model prefers a; on answers this far from its data, annotators may not",
			"a is better than b by the gold reward",
			"nothing at all: a reward model's scores have no scale, so their differences mean nothing"}, 1,
		"The probability is calibrated on the data the reward model learned from. On the policy's own answers after long optimisation it can be a coin flip or confidently wrong; only fresh comparisons tell.")
}
