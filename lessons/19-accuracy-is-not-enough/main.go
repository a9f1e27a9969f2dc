// Title: Accuracy is not enough
// Summary: Twenty-four reward models, each scored on held-out labels from the panel that trained it, against the gold they deliver through best-of-64 and RL. Held-out accuracy ranks them loosely; one benchmark labelled by a fair panel ranks them well; the same benchmark labelled by the biased panel ranks them far worse.
// Minutes: 15
// Learn-before: 07-length-hacking, 08-overoptimisation
// Learn-after: 18-fooled-annotators
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// model is one reward model of the lesson's grid and what it delivers.
type model struct {
	prompts int
	noise   int // index into the panels' temperatures: half, usual, double
	biased  bool
	kind    reward.Kind
	// accuracy is measured on held-out pairs labelled by its own panel;
	// fair and biased on one benchmark for all, labelled by a fair panel
	// and by a panel with the length bias.
	accuracy, fair, biasedBench float64
	bon, rl                     float64 // gold gains: best-of-64, and RL's best step
}

// pairsDiffer returns, over the models that differ only in what same
// says, how many of pairs (a, b) have b's best-of-64 gain below a's, and
// the mean differences b - a of accuracy and of best-of-64 gain.
func pairsDiffer(ms []model, first, second func(m model) bool, same func(a, b model) bool) (lower, n int, dAcc, dBoN float64) {
	for _, a := range ms {
		if !first(a) {
			continue
		}
		for _, b := range ms {
			if second(b) && same(a, b) {
				n++
				if b.bon < a.bon {
					lower++
				}
				dAcc += b.accuracy - a.accuracy
				dBoN += b.bon - a.bon
			}
		}
	}
	return lower, n, dAcc / float64(n), dBoN / float64(n)
}

// byPanel splits the models by their panel's taste, with x from each
// model and its best-of-64 gain as y, for a figure.
func byPanel(ms []model, x func(m model) float64) []plots.Group {
	var groups []plots.Group
	for _, biased := range []bool{false, true} {
		g := plots.Group{Name: "trained on a panel that judges by gold, with noise"}
		if biased {
			g.Name = "trained on a panel that also likes length"
		}
		for _, m := range ms {
			if m.biased == biased {
				g.X, g.Y = append(g.X, x(m)), append(g.Y, m.bon)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

func main() {
	// %% [markdown]
	// Teams choose between reward models by their **accuracy**: how often
	// a model agrees with held-out human labels. Public leaderboards such
	// as RewardBench rank models the same way. But a reward model is
	// trained to be *used*: to pick the best of many answers, or to steer
	// a policy. Does the more accurate model deliver more of what the
	// labels were meant to capture?
	//
	// Here we train 24 reward models that differ in four ways: how much
	// data they see (200 or 1,600 prompts), how noisy their panel of
	// annotators is (half, once or twice the usual temperature), whether
	// that panel likes longer answers (a length bias, as in lesson 07),
	// and whether the model is linear or a small MLP. Each is scored as a
	// team would score it, on held-out pairs labelled by
	// **its own panel**: 2,000 pairs of base-policy answers, with the panel's exact
	// probabilities, so that a small test set does not blur the picture.
	// Then each is used twice: best-of-64 against it, and an RL run of 150
	// steps, both measured by the hidden gold reward.

	// %%
	bias := nb.Float("length-bias", 2, 1.5, 2.5, "the biased panels' utility per log token of length")
	base := pipeline.Default()
	base.Seed = nb.Seed()
	tau := base.Data.Tau
	noises := []float64{0.5 * tau, tau, 2 * tau}
	var ms []model
	var cs []pipeline.Config
	for _, n := range []int{200, 1600} {
		for ni := range noises {
			for _, biased := range []bool{false, true} {
				for _, kind := range []reward.Kind{reward.KindLinear, reward.KindMLP} {
					c := base
					c.Seed = base.Seed*1000 + uint64(len(cs))
					c.Data.Prompts, c.Data.Tau, c.RM.Model = n, noises[ni], kind
					if biased {
						c.Data.LengthBias = bias
					}
					c.Policy.BoN, c.Policy.BoNPrompts, c.Policy.BoNPool = []int{1, 64}, 60, 512
					c.Policy.Prompts, c.Policy.Draws = 60, 8
					c.Policy.Settings.Steps = 150
					cs = append(cs, c)
					ms = append(ms, model{prompts: n, noise: ni, biased: biased, kind: kind})
				}
			}
		}
	}
	runs, err := pipeline.RunAll(cs, 0, nil)
	nb.Must(err)
	w := runs[0].World
	prompts := w.Prompts(200, pipeline.PolicyPromptIDs, rng.Stream(base.Seed, "lesson19/benchmark"))
	fairPanel := annotate.Annotator{Tau: tau}
	biasedPanel := annotate.Annotator{Tau: tau, Biases: []annotate.Bias{annotate.LengthBias(bias)}}
	// Every model is measured on the same pairs: each measurement draws
	// them again from the same seed.
	measure := func(rm policy.RewardFunc, ann annotate.Annotator) float64 {
		pol := policy.NewGaussian(w, prompts, 8, rng.Stream(base.Seed, rng.Draws))
		return pipeline.ComparePairs(pol, rm, ann, w.Gold, 2000, 1, 1, rng.Stream(base.Seed, "lesson19/pairs")).Accuracy
	}
	for i, r := range runs {
		rm := r.RM.Scorer.Reward
		ms[i].accuracy, ms[i].fair, ms[i].biasedBench = measure(rm, cs[i].Data.Annotator()), measure(rm, fairPanel), measure(rm, biasedPanel)
		ms[i].bon = r.BoN[1].Gold - r.BoN[0].Gold
		for _, s := range r.Run.Steps {
			if g := s.Gold - r.Run.Steps[0].Gold; g > ms[i].rl {
				ms[i].rl = g
			}
		}
	}
	column := func(f func(m model) float64) []float64 {
		var out []float64
		for _, m := range ms {
			out = append(out, f(m))
		}
		return out
	}
	acc, bon, rl := column(func(m model) float64 { return m.accuracy }), column(func(m model) float64 { return m.bon }), column(func(m model) float64 { return m.rl })
	rho := stats.Spearman(acc, bon)

	// %% [markdown]
	// Before you look: across the 24 models, how well does held-out
	// accuracy rank the gold that best-of-64 delivers? (A rank
	// correlation of 1 puts them in the same order, 0 in unrelated
	// orders.)

	// %%
	guess := 0
	switch {
	case rho < 0:
		guess = 2
	case rho < 0.6:
		guess = 1
	}
	nb.Predict("How does held-out accuracy rank the models' best-of-64 gold?",
		[]string{"closely: rank correlation 0.6 or more", "loosely: between 0 and 0.6", "backwards: below 0"}, guess,
		fmt.Sprintf("The rank correlation in this run is %.2f.", rho))
	fig, err := plots.Groups("Accuracy against what best-of-64 delivers", "held-out accuracy on its own panel's labels", "gold gain of best-of-64",
		byPanel(ms, func(m model) float64 { return m.accuracy }), nil)
	nb.Must(err)
	nb.Figure("One point per reward model: its held-out accuracy and the gold gain best-of-64 reaches with it", fig)
	fmt.Printf("rank correlation of held-out accuracy with the gold gain: best-of-64 %.2f, RL's best step %.2f\n", rho, stats.Spearman(acc, rl))
	nb.Check("held-out accuracy ranks the models' best-of-64 gold loosely at best: rank correlation below 0.5", rho < 0.5,
		"the models were each graded by a different panel")

	// %% [markdown]
	// ## Two reasons, one at a time
	//
	// Take pairs of models that differ in one thing only. First the bias:
	// the same data size, noise and architecture, with and without a
	// panel that likes length. Then the noise: twice against half the
	// usual temperature, all else the same.

	// %%
	lowerB, nB, accB, bonB := pairsDiffer(ms, func(m model) bool { return !m.biased }, func(m model) bool { return m.biased },
		func(a, b model) bool { return a.prompts == b.prompts && a.noise == b.noise && a.kind == b.kind })
	lowerN, nN, accN, bonN := pairsDiffer(ms, func(m model) bool { return m.noise == 0 }, func(m model) bool { return m.noise == 2 },
		func(a, b model) bool { return a.prompts == b.prompts && a.biased == b.biased && a.kind == b.kind })
	nb.Table([]string{"what changes", "pairs", "accuracy, mean change", "best-of-64 gold gain, mean change", "pairs where gold falls"}, [][]string{
		{"the panel likes length", fmt.Sprint(nB), fmt.Sprintf("%+.3f", accB), fmt.Sprintf("%+.3f", bonB), fmt.Sprintf("%d of %d", lowerB, nB)},
		{"the panel is 4 times as noisy", fmt.Sprint(nN), fmt.Sprintf("%+.3f", accN), fmt.Sprintf("%+.3f", bonN), fmt.Sprintf("%d of %d", lowerN, nN)},
	})
	nb.Check("a panel that likes length leaves accuracy on its own labels as high or higher, while best-of-64 gold falls in at least 10 of the 12 pairs",
		accB >= 0 && lowerB >= 10, "the model learned the panel's taste, and the panel's labels reward it for that")
	nb.Check("a noisier panel costs 0.08 or more of accuracy, yet less best-of-64 gold than the length bias does",
		accN <= -0.08 && bonN > bonB, "noise lowers the ceiling of the labels, not only the quality of the model")

	// %% [markdown]
	// Held-out accuracy mixes three things: how good the model is, how
	// noisy its graders are (a noisy panel caps every model's accuracy),
	// and whether the model shares its graders' taste (a shared bias
	// counts as agreement). A yardstick for comparing models must be the
	// same for all, and its labels must not share the bias. Here is one:
	// every model on the same 2,000 pairs, labelled by a panel at the
	// usual temperature without the bias. And, as the ablation, the same
	// pairs labelled by a panel with the bias.

	// %%
	fair, biasedBench := column(func(m model) float64 { return m.fair }), column(func(m model) float64 { return m.biasedBench })
	rows := [][]string{}
	for _, r := range []struct {
		name string
		x    []float64
	}{{"accuracy on its own panel's labels", acc}, {"one benchmark, labelled by a fair panel", fair}, {"one benchmark, labelled by a panel that likes length", biasedBench}} {
		rows = append(rows, []string{r.name, fmt.Sprintf("%+.2f", stats.Spearman(r.x, bon)), fmt.Sprintf("%+.2f", stats.Spearman(r.x, rl))})
	}
	nb.Table([]string{"how the models are scored", "rank correlation with best-of-64 gold", "with RL's best gold"}, rows)
	fig, err = plots.Groups("A fair benchmark against what best-of-64 delivers", "accuracy on one benchmark labelled by a fair panel", "gold gain of best-of-64",
		byPanel(ms, func(m model) float64 { return m.fair }), nil)
	nb.Must(err)
	nb.Figure("The same models, each scored on one benchmark whose panel judges by gold, with noise", fig)
	nb.Check("the fair benchmark ranks the models' gold better than their own held-out accuracy does, by 0.3 or more for best-of-64 and for RL",
		stats.Spearman(fair, bon) >= stats.Spearman(acc, bon)+0.3 && stats.Spearman(fair, rl) >= stats.Spearman(acc, rl)+0.3,
		"one yardstick for all, whose labels do not reward the bias")
	nb.Check("the same benchmark labelled by the biased panel ranks them worse than the fair one, by 0.5 or more for both",
		stats.Spearman(biasedBench, bon) <= stats.Spearman(fair, bon)-0.5 && stats.Spearman(biasedBench, rl) <= stats.Spearman(fair, rl)-0.5,
		"a shared yardstick helps only if its labels do not share the bias")

	// %% [markdown]
	// Xueru Wen and colleagues (2024) trained reward models in a
	// synthetic setting of their own and found a weak positive
	// correlation between accuracy and the performance of the policy
	// optimised against them, with models of similar accuracy giving
	// quite different policies, and that how the accuracy is measured
	// changes how well it predicts. Weak at best is what held-out
	// accuracy gave here too; with a length bias as strong as this one
	// it can be zero or negative. Their other two findings this run
	// reproduces, with causes we can name because we planted them: the
	// graders' noise, and a taste the graders share with the model. A
	// benchmark only helps if its labellers do not share the taste, and
	// nobody can check that without something like the gold reward here.

	// %%
	nb.Quiz("Reward model A scores 0.80 on held-out labels from its annotators, model B 0.72 on labels from its own. What can you conclude?",
		[]string{"A will give the better policy, since it agrees more often with people",
			"little: the panels may differ in noise, and a model can score well by sharing its panel's bias",
			"B will give the better policy, since lower accuracy means less overfitting",
			"A will give the better policy, as long as both were trained on the same number of prompts and epochs"}, 1,
		"In this run a noisier panel cost the models accuracy, and a panel that liked length rewarded its models for liking it too.")
	nb.TrueFalse("A benchmark shared by every model can still rank them badly, if its labellers share the bias of the panels that trained them.", true,
		"Labelled by a panel that liked length, the shared benchmark ranked the models far worse than the same pairs labelled by a fair panel.")
}
