// Title: Accuracy is not enough
// Summary: Twenty-four reward models, each scored on held-out labels from the panel that trained it, against the gold they deliver through best-of-64 and RL. Held-out accuracy barely ranks them, often backwards; one benchmark labelled by a fair panel ranks them far better; the same pairs labelled by a biased panel far worse.
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

// pairsDiffer returns, over the pairs (a, b) of models that differ only
// in what first and second select, how many have b's best-of-64 gain
// below a's, and the mean differences b - a of accuracy on their own
// panel's labels, of accuracy on the fair benchmark and of best-of-64
// gain.
func pairsDiffer(ms []model, first, second func(m model) bool, same func(a, b model) bool) (lower, n int, dAcc, dFair, dBoN float64) {
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
				dFair += b.fair - a.fair
				dBoN += b.bon - a.bon
			}
		}
	}
	return lower, n, dAcc / float64(n), dFair / float64(n), dBoN / float64(n)
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
	// as RewardBench also rank by accuracy, on one shared set of pairs.
	// But a reward model is trained to be *used*: to pick the best of
	// many answers, or to steer a policy. Does the more accurate model
	// deliver more of what the labels were meant to capture?
	//
	// Here we train 24 reward models that differ in four ways: how much
	// data they see (200 or 1,600 prompts), how noisy their panel of
	// annotators is (half, once or twice the usual temperature), whether
	// that panel likes longer answers (a length bias, as in lesson 07),
	// and whether the model is linear or a small MLP. Each is scored as a
	// team would score it, on pairs labelled by **its own panel**: 2,000
	// pairs of base-policy answers to 200 prompts it never trained on.
	// Instead of one drawn label per pair we use the panel's known
	// probability of preferring each answer, which gives the accuracy an
	// endless test set from that panel would give. Then each model is
	// used twice, and the hidden gold reward measures what it delivers:
	// best-of-64 against it (its gold gain over a single sample), and an
	// RL run of 150 steps (the gain at its best step, picked by the gold
	// reward, as only a simulation can).

	// %%
	bias := nb.Float("length-bias", 2, 1.5, 2.5, "the biased panels' utility per log token of length")
	base := pipeline.Default()
	base.Seed = nb.Seed()
	tau := base.Data.Tau
	noises := []float64{0.5 * tau, tau, 2 * tau}
	var ms []model
	var cs []pipeline.Config
	for _, biased := range []bool{false, true} {
		for _, n := range []int{200, 1600} {
			for ni := range noises {
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
	// The twelve models of fair panels first, each on its own core.
	runs, err := pipeline.RunAll(cs[:12], 0, nil)
	nb.Must(err)

	// %%
	biasedRuns, err := pipeline.RunAll(cs[12:], 0, nil)
	nb.Must(err)
	runs = append(runs, biasedRuns...)

	// %%
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
		rm := r.RM.Scorer.Func()
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
	// Before you look: across the 24 models, how well does accuracy on
	// their own panel's labels rank the gold that best-of-64 delivers?
	// We measure it by the **rank correlation** (Spearman's): the
	// correlation of the models' places in the two orders, 1 when the
	// orders are the same, 0 when they are unrelated, -1 when one is the
	// other reversed.

	// %%
	guess := 0
	switch {
	case rho < 0:
		guess = 2
	case rho < 0.5:
		guess = 1
	}
	nb.Predict("How does accuracy on each model's own panel's labels rank the models' best-of-64 gold?",
		[]string{"closely: rank correlation 0.5 or more", "loosely: between 0 and 0.5", "backwards: below 0"}, guess,
		fmt.Sprintf("The rank correlation in this run is %.2f.", rho))
	fig, err := plots.Groups("Accuracy against what best-of-64 delivers", "accuracy on its own panel's labels", "gold gain of best-of-64",
		byPanel(ms, func(m model) float64 { return m.accuracy }), nil)
	nb.Must(err)
	nb.Figure("One point per reward model: its accuracy on its own panel's labels and the gold gain best-of-64 reaches with it", fig)
	fmt.Printf("rank correlation of accuracy with the gold gain: best-of-64 %.2f, RL's best step %.2f\n", rho, stats.Spearman(acc, rl))
	nb.Check("accuracy on each model's own panel's labels does not rank their best-of-64 gold closely: rank correlation below 0.5", rho < 0.5,
		"six panels graded them: some noisier than others, and half liked length as their models did")
	similar := 0.0
	for _, a := range ms {
		for _, b := range ms {
			if a.accuracy-b.accuracy <= 0.01 && b.accuracy-a.accuracy <= 0.01 && a.bon-b.bon > similar {
				similar = a.bon - b.bon
			}
		}
	}
	fmt.Printf("the largest gap in best-of-64 gold between two models within 0.01 of each other's accuracy: %.2f\n", similar)
	nb.Check("two models within 0.01 of each other's accuracy differ in best-of-64 gold by 0.4 or more", similar >= 0.4,
		"accuracy does not say what a model gets right")

	// %% [markdown]
	// ## Two reasons, one at a time
	//
	// Take pairs of models that differ in one thing only. First the bias:
	// the same data size, noise and architecture, with and without a
	// panel that likes length. Then the noise: a panel at twice the usual
	// temperature against one at half, all else the same. Beside each
	// model's accuracy on its own panel's labels, the table shows its
	// accuracy on one benchmark for all: the same 2,000 pairs, labelled
	// by a panel at the usual temperature that does not like length.

	// %%
	lowerB, nB, accB, fairB, bonB := pairsDiffer(ms, func(m model) bool { return !m.biased }, func(m model) bool { return m.biased },
		func(a, b model) bool { return a.prompts == b.prompts && a.noise == b.noise && a.kind == b.kind })
	lowerN, nN, accN, fairN, bonN := pairsDiffer(ms, func(m model) bool { return m.noise == 0 }, func(m model) bool { return m.noise == 2 },
		func(a, b model) bool { return a.prompts == b.prompts && a.biased == b.biased && a.kind == b.kind })
	nb.Table([]string{"what changes", "pairs", "accuracy on own panel, mean change", "on the fair benchmark", "best-of-64 gold gain, mean change", "pairs where best-of-64 gold falls"}, [][]string{
		{"the panel likes length", fmt.Sprint(nB), fmt.Sprintf("%+.3f", accB), fmt.Sprintf("%+.3f", fairB), fmt.Sprintf("%+.3f", bonB), fmt.Sprintf("%d of %d", lowerB, nB)},
		{"the panel at 4 times the temperature", fmt.Sprint(nN), fmt.Sprintf("%+.3f", accN), fmt.Sprintf("%+.3f", fairN), fmt.Sprintf("%+.3f", bonN), fmt.Sprintf("%d of %d", lowerN, nN)},
	})
	nb.Check("a panel that likes length leaves accuracy on its own labels as high or higher on average, while best-of-64 gold falls in at least 10 of the 12 pairs",
		accB >= 0 && lowerB >= 10, "the model learned the panel's taste, and the panel's labels reward it for that")
	learned := [2]float64{}
	for _, m := range ms {
		i := 0
		if m.biased {
			i = 1
		}
		learned[i] += (m.biasedBench - m.fair) / 12
	}
	nb.Check("the models of panels that like length score higher on the benchmark labelled by such a panel than on the fair one, on average; the other models lower",
		learned[1] > 0 && learned[0] < 0, "each model carries its own panel's taste into any test")
	nb.Check("a panel at 4 times the temperature costs 0.08 or more of accuracy on its own labels on average, yet less than 0.05 on the fair benchmark, and less best-of-64 gold than the length bias",
		accN <= -0.08 && fairN > -0.05 && bonN > bonB, "noise lowers mostly the ceiling of the labels, not the model")

	// %% [markdown]
	// Accuracy on a panel's labels mixes three things: how good the model
	// is, how noisy the panel is (a noisier panel lowers the ceiling for
	// every model: even the gold reward itself agrees with it less often),
	// and whether the model shares the panel's taste (a shared bias counts
	// as agreement). A yardstick for comparing models should be the same
	// for all, and its labels must not share the bias. The fair benchmark
	// is one; as the ablation, the same pairs labelled by a panel that
	// likes length. Both are scored with the panels' known probabilities;
	// a real benchmark of 2,000 labels would add sampling noise of about
	// 0.01 to each score.

	// %%
	var ceil []string
	for ni, t := range noises {
		for _, b := range []float64{0, bias} {
			ann := annotate.Annotator{Tau: t}
			if b > 0 {
				ann.Biases = []annotate.Bias{annotate.LengthBias(b)}
			}
			name := fmt.Sprintf("%s temperature", []string{"half the usual", "the usual", "twice the usual"}[ni])
			if b > 0 {
				name += ", likes length"
			}
			ceil = append(ceil, name, fmt.Sprintf("%.3f", measure(w.Gold, ann)))
		}
	}
	var ceilRows [][]string
	for i := 0; i < len(ceil); i += 2 {
		ceilRows = append(ceilRows, []string{ceil[i], ceil[i+1]})
	}
	nb.Table([]string{"panel", "the gold reward's own accuracy on its labels"}, ceilRows)
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
	nb.Check("the fair benchmark ranks the models' gold better than their own panels' labels do, by 0.3 or more for best-of-64 and for RL",
		stats.Spearman(fair, bon) >= stats.Spearman(acc, bon)+0.3 && stats.Spearman(fair, rl) >= stats.Spearman(acc, rl)+0.3,
		"one yardstick for all, whose labels do not reward the bias")
	nb.Check("the same benchmark labelled by a panel that likes length ranks them worse than the fair one, by 0.5 or more, and worse than their own panels' labels, for both",
		stats.Spearman(biasedBench, bon) <= stats.Spearman(fair, bon)-0.5 && stats.Spearman(biasedBench, rl) <= stats.Spearman(fair, rl)-0.5 &&
			stats.Spearman(biasedBench, bon) < stats.Spearman(acc, bon) && stats.Spearman(biasedBench, rl) < stats.Spearman(acc, rl),
		"a shared yardstick helps only if its labels do not share the bias")

	// %% [markdown]
	// Xueru Wen and colleagues (2024; not the Wen of lesson 18) trained
	// reward models in a synthetic setting of their own and found a weak
	// positive correlation between accuracy and the performance of the
	// policy optimised against them, that models of similar accuracy can
	// give quite different policies, and that how the accuracy is
	// measured changes how well it predicts. Here accuracy on each
	// model's own panel's labels was weaker still in most runs we tried,
	// often negative, because we planted a bias their setting did not
	// have. Effects of the same kind as their other two findings appear
	// here: models of similar accuracy delivering different gold, and
	// another way of measuring (one benchmark labelled by a fair panel)
	// predicting far better. Ours come from causes we planted, noise and
	// a taste the panel shares with its model; theirs need not be the
	// same. A benchmark helps only if its labellers do not share the
	// taste, and nobody can check that without something like the gold
	// reward here.

	// %%
	nb.Quiz("Reward model A scores 0.80 on held-out labels from its annotators, model B 0.72 on labels from its own. What can you conclude?",
		[]string{"A will give the better policy, since it agrees more often with people",
			"little by itself: the panels may differ in noise, and a model can score well by sharing its panel's bias",
			"B will give the better policy, since its panel was probably noisier, so its 0.72 is worth more than A's 0.80",
			"A will give the better policy, provided both panels labelled at the same temperature"}, 1,
		"In this run a noisier panel cost the models accuracy on their own labels on average, and a panel that liked length rewarded its models, on average, for liking it too.")
	nb.TrueFalse("A benchmark shared by every model can still rank them badly, if its labellers share the bias of the panels that trained them.", true,
		"Labelled by a panel that liked length, the shared benchmark ranked the models far worse than the same pairs labelled by a fair panel.")
}
