// Title: The cost of training a reward model
// Summary: K forward passes buy K(K-1)/2 comparisons when a prompt's answers are scored together; shuffled pairs cost K-1 times as much and, taking far more optimiser steps, overfit. How accuracy grows with data and with the size of the model.
// Minutes: 15
// Learn-before: 04-training-as-ranking, 08-overoptimisation
// Learn-after:
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

// minOf returns the smallest value of xs.
func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = math.Min(m, x)
	}
	return m
}

func main() {
	// %% [markdown]
	// A reward model is a large network in real RLHF, and scoring one
	// answer, a **forward pass**, is most of the cost of training it. A
	// ranking of K answers to one prompt gives K(K-1)/2 comparisons
	// (lesson 03). There are two ways to feed them to training:
	//
	// - **flat**: every comparison is its own example, shuffled with all
	//   the others. Each one needs its two answers scored: 2 passes per
	//   comparison.
	// - **grouped by prompt**: the K answers of a prompt are scored once,
	//   and all K(K-1)/2 comparisons are computed from those K scores.
	//
	// We train one epoch each way and count the passes the training
	// actually made.

	// %%
	seed := nb.Seed()
	var rows [][]string
	exact := true
	for _, k := range []int{2, 3, 4, 6, 9} {
		c := pipeline.Default()
		c.Seed = seed
		c.Data.Prompts, c.Data.K = 500, k
		g, err := c.Data.Generate(c.Seed)
		nb.Must(err)
		passes := map[reward.Grouping]int{}
		comparisons := 0
		for _, grp := range []reward.Grouping{reward.GroupByPrompt, reward.GroupFlat} {
			c.RM.Objective.Grouping = grp
			c.RM.Epochs, c.RM.Patience = 1, -1
			tr, err := c.RM.Train(g.Data, c.Seed)
			nb.Must(err)
			passes[grp] = tr.Result.ForwardPasses
			comparisons = tr.Result.Comparisons
		}
		ratio := float64(passes[reward.GroupFlat]) / float64(passes[reward.GroupByPrompt])
		exact = exact && ratio == float64(k-1)
		rows = append(rows, []string{fmt.Sprint(k), fmt.Sprint(comparisons), fmt.Sprint(passes[reward.GroupByPrompt]),
			fmt.Sprint(passes[reward.GroupFlat]), fmt.Sprintf("%.0f", ratio)})
	}
	nb.Table([]string{"K", "comparisons in one epoch", "passes, grouped", "passes, flat", "flat / grouped"}, rows)
	nb.Check("flat training makes exactly K-1 times as many forward passes as grouped training", exact,
		"each answer of a ranking is in K-1 comparisons; flat training scores it once for each, grouped training once in all")

	// %% [markdown]
	// Grouping changes nothing in what is minimised: the same comparisons,
	// each prompt's averaged, which when every prompt has K answers is the
	// flat loss times a constant. It saves all but one pass of every K-1
	// per answer: at K = 9, 8 passes out of every 9.
	//
	// ## Why one pass over the data
	//
	// Flat training has a second problem. Every answer appears in K-1
	// comparisons, so one flat epoch shows the model each answer K-1
	// times, in K-1 slightly different contexts, spread through the epoch.
	// A flexible model learns the answers themselves rather than what
	// makes one better. The InstructGPT authors, ranking 4 to 9 answers per
	// prompt, found that a single pass over shuffled comparisons already
	// overfitted their reward models; treating each prompt's comparisons
	// as one batch element needed one forward pass per answer and no
	// longer overfitted.
	//
	// Before you look: training an MLP reward model on rankings of 9
	// answers for several epochs, which way of feeding the comparisons
	// ends with the lower loss on held-out comparisons?

	// %%
	epochs := nb.Int("epochs", 8, 6, 10, "epochs of training for the overfitting experiment")
	// The third run is flat training in batches 36 times larger: as many
	// optimiser steps per epoch as grouped training takes, with the pairs
	// still shuffled one by one.
	type setup struct {
		grp   reward.Grouping
		batch int
	}
	byPrompt := setup{reward.GroupByPrompt, 32}
	shuffled := setup{reward.GroupFlat, 32}
	sameSteps := setup{reward.GroupFlat, 32 * 36} // as many steps per epoch as grouped training
	curves := map[setup][]float64{}
	var xs []float64
	for _, su := range []setup{byPrompt, shuffled, sameSteps} {
		c := pipeline.Default()
		c.Seed = seed
		c.Data.Prompts, c.Data.K = 300, 9
		c.RM.Model = reward.KindMLP
		c.RM.Objective.Grouping = su.grp
		c.RM.Batch = su.batch
		c.RM.Epochs, c.RM.Patience = epochs, -1
		_, tr, err := c.Reward()
		nb.Must(err)
		xs = xs[:0]
		for _, e := range tr.Result.History {
			xs = append(xs, float64(e.Epoch))
			curves[su] = append(curves[su], e.ValLoss)
		}
	}
	grouped, flat, matched := curves[byPrompt], curves[shuffled], curves[sameSteps]
	lower := 0
	if flat[len(flat)-1] < grouped[len(grouped)-1] {
		lower = 1
	}
	nb.Predict("After several epochs, which has the lower validation loss?", []string{"grouped by prompt", "flat, shuffled pairs"}, lower,
		fmt.Sprintf("Validation loss after %d epochs: grouped %.3f, flat %.3f.", epochs, grouped[len(grouped)-1], flat[len(flat)-1]))
	fig, err := plots.Lines("Shuffled comparisons overfit", "epoch", "validation loss", xs,
		[]plots.Series{{Name: "grouped by prompt", Y: grouped}, {Name: "flat, shuffled pairs", Y: flat},
			{Name: "flat, batches 36x larger (grouped's steps)", Y: matched}}, nil)
	nb.Must(err)
	nb.Figure("Validation loss of an MLP reward model on rankings of 9 answers, epoch by epoch", fig)
	nb.Check("flat training's validation loss climbs after its first epoch (by 0.05 or more by the end)", flat[len(flat)-1] > flat[1]+0.05,
		"each answer is seen K-1 times an epoch; after one pass the model is memorising answers, not learning what makes one better")
	nb.Check("grouped training ends with the lower validation loss", grouped[len(grouped)-1] < flat[len(flat)-1],
		"scored together, a prompt's answers take one step together, so an epoch is one look at each answer")
	fmt.Printf("after %d epochs: grouped %.3f, flat %.3f, flat with grouped's number of steps %.3f\n", epochs, grouped[len(grouped)-1], flat[len(flat)-1], matched[len(matched)-1])
	fmt.Printf("best on the way: grouped %.3f, flat %.3f, flat with grouped's steps %.3f\n", minOf(grouped), minOf(flat), minOf(matched))
	nb.Check("flat training with as many optimiser steps as grouped training ends close to grouped training (within 0.05) and below the flat run (by 0.05 or more)",
		matched[len(matched)-1] < grouped[len(grouped)-1]+0.05 && matched[len(matched)-1] < flat[len(flat)-1]-0.05,
		"in this simulator the overfitting follows the number of optimiser steps per epoch, not the shuffling of correlated pairs")

	// %% [markdown]
	// The third curve is the ablation, and it changes the story. Flat
	// training in batches 36 times larger takes as many optimiser steps
	// per epoch as grouped training, with the comparisons still shuffled
	// one by one, and it ends close to grouped training. So in this simulator what
	// overfits is the number of steps: a flat epoch takes 36 times more of
	// them at K = 9. The InstructGPT authors put their overfitting down to
	// the correlation between comparisons that share an answer; this
	// simulator does not show that mechanism, and the check above would
	// fail if it did. Grouping still pays in forward passes, as the first
	// half of the lesson measured.
	//
	// ## How much data, how large a model
	//
	// Accuracy on held-out comparisons measures a model against noisy
	// labels; to see what it really learned we compare its scores with the
	// gold reward on 1,800 held-out prompts from a separate draw, the same
	// for every model: the Spearman correlation between its scores and the
	// gold reward. We train a linear model and an MLP on 100 to 10,000
	// prompts. The linear model trains for a fixed 30 epochs: stopped early
	// on a noisy validation loss, it sometimes keeps its first epoch and
	// looks worse at 1,000 prompts than it is.

	// %%
	// Width 64: narrower MLPs overtake the linear model later. At 3,000
	// prompts the MLP leads by only about 0.011 on average, and in some
	// students' variants (noisier annotators, a stronger dislike of
	// flattery) it does not lead at all; at 10,000 it leads by about
	// 0.025 on average, and by 0.009 or more in every variant and seed
	// tried.
	width := 64
	ec := pipeline.Default()
	ec.Data.Prompts, ec.Data.Val, ec.Data.Test = 2000, 0.05, 0.9
	eg, err := ec.Data.Generate(seed + 1000)
	nb.Must(err)
	const most = 10000
	sizes := []float64{100, 300, 1000, 3000, most}
	// at holds each size's results: the linear model's and the MLP's
	// Spearman correlation with gold, and the linear model's gold
	// agreement.
	type result struct{ lin, mlp, linGold float64 }
	at := map[float64]result{}
	fitSize := func(n float64) {
		r := at[n]
		for _, kind := range []reward.Kind{reward.KindLinear, reward.KindMLP} {
			c := pipeline.Default()
			c.Seed = seed
			c.Data.Prompts = int(n)
			c.RM.Model, c.RM.Hidden = kind, []int{width}
			if kind == reward.KindLinear {
				c.RM.Patience = -1
			}
			_, tr, err := c.Reward()
			nb.Must(err)
			m, err := reward.Evaluate(tr.Scorer.Model, eg.Data, tr.Result.Objective)
			nb.Must(err)
			if kind == reward.KindLinear {
				r.lin, r.linGold = m.SpearmanGold, m.GoldAgreement
			} else {
				r.mlp = m.SpearmanGold
			}
		}
		at[n] = r
	}
	for _, n := range sizes {
		if n < most {
			fitSize(n)
		}
	}

	// %%
	fitSize(most)
	var lin, mlp []float64
	for _, n := range sizes {
		lin, mlp = append(lin, at[n].lin), append(mlp, at[n].mlp)
	}
	fig, err = plots.Lines("What more data buys", "prompts of training data", "Spearman correlation with gold (held out)", sizes,
		[]plots.Series{{Name: "linear", Y: lin}, {Name: fmt.Sprintf("MLP, width %d", width), Y: mlp}}, nil)
	nb.Must(err)
	nb.Figure("Rank correlation between each model's scores and the gold reward on 1,800 held-out prompts, against the training data", fig)
	fmt.Printf("linear: gold agreement %.3f at 1,000 prompts, %.3f at 3,000, %.3f at 10,000\n", at[1000].linGold, at[3000].linGold, at[most].linGold)
	fmt.Printf("Spearman with gold at 3,000 prompts: linear %.3f, MLP %.3f; at 10,000: linear %.3f, MLP %.3f\n", at[3000].lin, at[3000].mlp, at[most].lin, at[most].mlp)
	nb.Check("more data helps both models: each correlates better with gold at 10,000 prompts than at 100", at[most].lin > at[100].lin && at[most].mlp > at[100].mlp,
		"with few comparisons the weights are set by the labels' noise; each comparison removes some of it")
	nb.Check("the linear model has stopped improving by 1,000 prompts (its gold agreement moves less than 0.015 from there to 3,000 and to 10,000)",
		math.Abs(at[3000].linGold-at[1000].linGold) < 0.015 && math.Abs(at[most].linGold-at[1000].linGold) < 0.015,
		"the gold reward is not linear: a linear score reaches the best it can represent, and more data cannot take it further")
	nb.Check("at 10,000 prompts the MLP correlates with gold better than the linear model", at[most].mlp > at[most].lin,
		"a model that can bend learns the diminishing returns and the length ideal that a linear score must average over; it needs the data to pin its extra parameters")

	// %% [markdown]
	// The threshold of lesson 04 is the other end of this curve: with too
	// few comparisons the loss stays near ln 2 and nothing is learned.
	// Between the threshold and the model's plateau, each extra comparison
	// buys accuracy; past the plateau, only a larger model turns data into
	// accuracy. Lesson 08 pointed at why that matters beyond accuracy:
	// with an MLP reward model, more data moves the gold peak of RL later
	// and higher.

	// %%
	nb.Quiz("A ranking of 6 answers gives 15 comparisons. How many forward passes does one epoch need for that prompt when its comparisons are grouped?",
		[]string{"30", "15", "6", "1"}, 2,
		"Each answer is scored once; all 15 comparisons reuse the 6 scores. Flat, each comparison scores its two answers: 30 passes.")
	nb.TrueFalse("Training a reward model for more epochs on shuffled comparisons always improves it.", false,
		"Every answer is in K-1 comparisons, so each flat epoch shows it K-1 times; after about one pass the model starts to memorise answers and its held-out loss climbs.")
}
