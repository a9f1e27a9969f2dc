// Title: The dual role
// Summary: Trained on comparisons, used as an absolute scorer of single answers; its scores are defined only up to a shift, which normalisation and centering pin down.
// Minutes: 15
// Learn-before: 04-training-as-ranking
// Learn-after: 06-policy-gradient, 09-underdetermined
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

func main() {
	// %% [markdown]
	// The reward model leads a double life. In **training** it only ever
	// sees pairs and is judged on whether it orders them right: a ranker.
	// In **use** it meets one answer at a time, with nothing to compare
	// it to, and must return a number: an absolute scorer. That number then
	// steers the policy, as the next lesson shows.
	//
	// Does a ranker make a good scorer? We train one and score held-out
	// answers, one by one, against their hidden gold reward.

	// %%
	prompts := nb.Int("prompts", 2000, 1000, 10000, "prompts to train on")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.Data.Prompts = prompts
	g, tr, err := c.Reward()
	nb.Must(err)
	d := g.Data
	var scores, gold []float64
	for _, ri := range d.SplitRankings(prefs.Test) {
		rk := d.Rankings[ri]
		for j := rk.First; j < rk.First+rk.K; j++ {
			scores = append(scores, tr.Scorer.Score(d.Response(j)))
			gold = append(gold, d.Gold[j])
		}
	}
	rho := stats.Spearman(scores, gold)
	sp, err := plots.ScoreVsGold(scores, gold, nil)
	nb.Must(err)
	nb.Figure("Each held-out answer scored on its own, against its hidden gold reward", sp)
	fmt.Printf("Spearman correlation of single-answer scores with the gold reward: %.3f\n", rho)
	nb.Check("scores of single answers track the gold reward (Spearman above 0.8)", rho > 0.8,
		"a model trained only to order pairs still assigns every answer a continuous score, and that score ranks answers across prompts too")

	// %% [markdown]
	// ## What the comparisons cannot pin down
	//
	// The model was trained on pairs and now scores single answers. So
	// what, exactly, did the pairs teach it about a single score? Predict
	// first.

	// %%
	shift := nb.Float("shift", 5, -100, 100, "constant added to every score")
	// lossOf scores the test pairs after adding add(prompt) to every score.
	lossOf := func(add func(prompt int) float64) (float64, float64) {
		l, acc := 0.0, 0.0
		pairs := d.SplitPairs(prefs.Test)
		for _, pi := range pairs {
			p := d.Pairs[pi]
			c := add(d.Rankings[p.Ranking].Prompt.ID)
			z := (tr.Scorer.Score(d.Response(p.W)) + c) - (tr.Scorer.Score(d.Response(p.L)) + c)
			l += stats.Softplus(-z)
			if z > 0 {
				acc++
			}
		}
		return l / float64(len(pairs)), acc / float64(len(pairs))
	}
	l0, a0 := lossOf(func(int) float64 { return 0 })
	l1, a1 := lossOf(func(int) float64 { return shift })
	nb.Predict(fmt.Sprintf("Add %g to every score. What happens to the loss on the test pairs?", shift),
		[]string{"it grows", "it shrinks", "it stays the same"}, 2,
		fmt.Sprintf("Loss %.6f before and %.6f after; accuracy %.4f before and %.4f after.", l0, l1, a0, a1))

	// %% [markdown]
	// The loss of a pair depends on r(winner) - r(loser) and nothing else,
	// and adding one constant to every score changes no difference. More
	// than that: every pair compares two answers **to the same prompt**, so
	// adding an amount c(x) that depends on the prompt alone changes no
	// difference either. The data fix neither the level of the scores nor
	// how the scores of one prompt's answers sit against another prompt's.
	// A model that can represent such a per-prompt offset (for example one
	// that reads the prompt's topic or difficulty) is free to drift along
	// it: nothing in the data keeps its scores of answers to different
	// prompts comparable. Our linear model reads only the answer's
	// features, so one set of weights serves every prompt and its scores
	// do compare across prompts, as the Spearman correlation above showed;
	// that comes from the model, not from the data. Here every prompt gets
	// an offset of its own:

	// %%
	offsets := map[int]float64{}
	for i, ri := range d.SplitRankings(prefs.Test) {
		offsets[d.Rankings[ri].Prompt.ID] = shift * math.Sin(float64(7*i+1))
	}
	l2, a2 := lossOf(func(id int) float64 { return offsets[id] })
	fmt.Printf("loss on the test pairs: %.6f unchanged, %.6f shifted by %g, %.6f with a different offset per prompt\n", l0, l1, shift, l2)
	nb.Check("shifting every score leaves loss and accuracy unchanged", math.Abs(l0-l1) < 1e-9 && a0 == a1,
		"the ranking loss sees score differences only, so the level of the scores is not learned from the data")
	nb.Check("a different offset for each prompt leaves them unchanged too", math.Abs(l0-l2) < 1e-9 && a0 == a2,
		"every pair compares answers to the same prompt, so anything that depends only on the prompt cancels")

	// %% [markdown]
	// So nothing in the data fixes the level of the scores. A model with a
	// bias term shows it plainly: the ranking loss gives the bias a gradient
	// of exactly zero, so whatever value it starts with, it keeps.
	// **Reward centering** adds a small penalty, lambda (r_w + r_l)^2. Its gradient in
	// the bias is 4 lambda (r_w + r_l), 8 lambda times the mean score of
	// the pair, so at the
	// optimum the mean score is exactly 0; a small lambda barely moves the
	// weights, and so barely the ranking. We train the same model from a
	// bias of 3 twice, each to its optimum (L-BFGS), without and with
	// centering.

	// %%
	lambda := nb.Float("center", 0.01, 0, 1, "reward-centering coefficient lambda")
	var series []plots.Series
	var means, biases []float64
	var models []reward.Model
	longest := 0
	for _, cen := range []float64{0, lambda} {
		m := reward.NewAffine(d.D())
		m.Params()[d.D()] = 3
		res, err := reward.Train(m, d, reward.Objective{Center: cen}, &reward.Settings{Optimizer: reward.LBFGS}, nil)
		nb.Must(err)
		mt, err := reward.Evaluate(m, d, res.Objective)
		nb.Must(err)
		var mean []float64
		for _, h := range res.History {
			mean = append(mean, h.MeanReward)
		}
		if len(mean) > longest {
			longest = len(mean)
		}
		name := "no centering"
		if cen > 0 {
			name = fmt.Sprintf("centering, lambda = %g", cen)
		}
		series = append(series, plots.Series{Name: name, Y: mean, Dashed: cen == 0})
		means = append(means, mean[len(mean)-1])
		biases = append(biases, m.Bias())
		models = append(models, m)
		fmt.Printf("%-24s mean score %+.3f, bias %+.3f, test accuracy %.3f\n", name+":", mean[len(mean)-1], m.Bias(), mt.TestAccuracy)
	}
	// Do the two models order held-out pairs the same way?
	same := 0.0
	test := d.SplitPairs(prefs.Test)
	for _, pi := range test {
		p := d.Pairs[pi]
		a := models[0].Forward(d.Response(p.W), nil) - models[0].Forward(d.Response(p.L), nil)
		b := models[1].Forward(d.Response(p.W), nil) - models[1].Forward(d.Response(p.L), nil)
		same += stats.Concordance(a, b)
	}
	same /= float64(len(test))
	fmt.Printf("the two models order %.1f%% of the held-out pairs the same way\n", 100*same)

	// The runs take different numbers of iterations; a finished run keeps
	// its last value.
	xs := make([]float64, longest)
	for i := range xs {
		xs[i] = float64(i)
	}
	for i := range series {
		for len(series[i].Y) < longest {
			series[i].Y = append(series[i].Y, series[i].Y[len(series[i].Y)-1])
		}
	}
	cp, err := plots.Lines("Only centering pins the level of the scores", "L-BFGS iteration", "mean score of training answers", xs, series, nil)
	nb.Must(err)
	nb.Figure("Mean score while training to the optimum, without and with reward centering", cp)
	nb.Check("without centering the bias keeps its starting value of 3", math.Abs(biases[0]-3) < 1e-6,
		"the ranking loss depends on differences of scores only, so it never moves the bias")
	nb.Check("without centering the mean score is far from 0", math.Abs(means[0]) > 1,
		"nothing in the comparisons says where the scores should sit")
	if lambda >= 0.001 {
		nb.Check("with centering the mean score at the optimum is 0", math.Abs(means[1]) < 1e-3,
			"at the optimum the centering term's gradient in the bias, 4 lambda (r_w + r_l) averaged over the pairs, must vanish")
	}
	if lambda <= 0.01 {
		// Seeds 1-12 with 1,000 to 10,000 prompts: 96.7% or more at lambda
		// = 0.01. The penalty also shrinks the spread of the scores a
		// little, which is why a larger lambda flips more near-ties.
		nb.Check("a small centering penalty leaves the ranking almost as it was (95% of held-out pairs ordered the same)", same >= 0.95,
			"centering pins the level of the scores; a lambda this small also shrinks their spread a little, which flips only a few near-tied pairs")
	}

	// %% [markdown]
	// ## Normalisation
	//
	// Before the scores steer a policy, the level is fixed by hand: a
	// constant is subtracted so that a reference set of answers averages 0.
	// InstructGPT used its labellers' demonstrations as that set. rlhfsim
	// has no demonstrations and uses the base policy's own answers, so here
	// a positive score means "better than what the policy already does".
	// The shape of the distribution does not change, only its place.

	// %%
	var raw, norm []float64
	for _, ri := range d.SplitRankings(prefs.Train) {
		rk := d.Rankings[ri]
		for j := rk.First; j < rk.First+rk.K; j++ {
			s := tr.Scorer.Score(d.Response(j))
			raw = append(raw, s+tr.Scorer.Offset)
			norm = append(norm, s)
		}
	}
	mean := 0.0
	for _, s := range norm {
		mean += s
	}
	mean /= float64(len(norm))
	hp, err := plots.ScoreDistributions(raw, norm, nil)
	nb.Must(err)
	nb.Figure("Training answers' scores before and after normalisation", hp)
	fmt.Printf("offset subtracted: %.3f; mean normalised score of the base-policy answers: %+.2e\n", tr.Scorer.Offset, mean)
	nb.Check("normalised scores of the reference answers average 0", math.Abs(mean) < 1e-9,
		"normalisation subtracts the reference set's mean score; it shifts, it does not rescale or reorder")

	// %% [markdown]
	// Why does it matter that the reward model returns a continuous number
	// rather than a verdict? A policy improves by comparing how much better
	// one answer is than another. "Slightly better" and "far better" must
	// look different, and every answer must get a signal, not only the
	// ones a person happened to compare.

	// %%
	nb.TrueFalse("During the reinforcement-learning phase the reward model's job is to label each response preferred or not preferred.", false,
		"It gives each response a continuous scalar score. A graded score tells the policy how much better one answer is than another, which a binary label cannot; that dense, graded feedback is what policy optimisation needs.")

	// %% [markdown]
	// ## Exercise: the centered pair loss
	//
	// Write the loss of one pair with reward centering, -log sigma(r_w - r_l)
	// + lambda (r_w + r_l)^2, and its derivatives in r_w and r_l. The
	// Bradley-Terry part of the two derivatives cancels in their sum: only
	// the centering term moves the level of the scores.

	// %% [exercise centering]
	centered := func(rw, rl, lambda float64) (loss, dw, dl float64) {
		// BEGIN SOLUTION
		m := rw - rl
		s := 1 / (1 + math.Exp(m)) // sigma(-m)
		if m > 0 {
			loss = math.Log1p(math.Exp(-m))
		} else {
			loss = -m + math.Log1p(math.Exp(m))
		}
		loss += lambda * (rw + rl) * (rw + rl)
		dw = -s + 2*lambda*(rw+rl)
		dl = s + 2*lambda*(rw+rl)
		// END SOLUTION
		return loss, dw, dl
	}

	// %% [tests centering]
	exact := true
	for _, c := range [][3]float64{{1, 0, 0}, {0.3, -0.2, 0.01}, {2, 3, 0.5}, {-1, -4, 1}} {
		l, dw, dl := centered(c[0], c[1], c[2])
		m, sum := c[0]-c[1], c[0]+c[1]
		s := 1 / (1 + math.Exp(-m))
		exact = exact && math.Abs(l-(-math.Log(s)+c[2]*sum*sum)) < 1e-9 &&
			math.Abs(dw-(s-1+2*c[2]*sum)) < 1e-9 && math.Abs(dl-(1-s+2*c[2]*sum)) < 1e-9
	}
	nb.Check("loss and both derivatives match the closed form at four pairs", exact,
		"d/dr_w of -log sigma(r_w - r_l) is sigma(m) - 1; of lambda (r_w + r_l)^2 it is 2 lambda (r_w + r_l)")
	_, dw0, dl0 := centered(1.5, 0.5, 0)
	_, dw1, dl1 := centered(1.5, 0.5, 0.2)
	nb.Check("without centering the derivatives sum to zero; with lambda 0.2 they sum to 4 lambda (r_w + r_l) = 1.6",
		math.Abs(dw0+dl0) < 1e-12 && math.Abs(dw1+dl1-1.6) < 1e-9,
		"the Bradley-Terry loss depends on the difference only, so shifting both scores changes nothing without the penalty")

	// %%
	_, sw, sl := centered(3, 3, lambda)
	fmt.Printf("a tied pair scored 3 and 3, lambda %g: your derivatives %+.3f and %+.3f\n", lambda, sw, sl)
	nb.Check("your derivatives of a tied pair scored 3 and 3 sum to 24 lambda: only the penalty pushes the pair's level (a step of size eta lowers its mean by 12 eta lambda), while the Bradley-Terry part moves only the difference",
		math.Abs(sw+sl-24*lambda) < 1e-9,
		"the Bradley-Terry parts, sigma(m) - 1 and 1 - sigma(m), cancel in the sum; the penalty adds 2 lambda (r_w + r_l) = 12 lambda to each")
}
