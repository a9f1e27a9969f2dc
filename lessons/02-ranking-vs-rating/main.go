// Title: Ranking versus rating
// Summary: Annotators who rate answers on a scale disagree through their personal offsets and scales; the same people ranking the answers agree far better.
// Minutes: 12
// Learn-before: 01-hidden-truth
// Learn-after: 03-lists-to-pairs
package main

import (
	"fmt"
	"strconv"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func main() {
	// %% [markdown]
	// To learn what people want, we could ask them to **rate** each answer
	// on a scale, say 1 to 7, or to **rank** several answers to the same
	// prompt from best to worst. Ratings look richer: they give an absolute
	// number. But every person uses the scale their own way. One is
	// generous and gives 6s, another is strict and gives 3s, a third uses
	// only the middle of the scale. Our simulated annotators do the same:
	// each has a personal **offset** and **scale**, and some noise (a
	// temperature, tau).

	// %%
	tau := nb.Float("tau", 1, 0, 4, "annotator noise (temperature)")
	offset := nb.Float("offset", 1.5, 0, 3, "spread of the annotators' rating offsets, in points of the 1-7 scale")
	w := world.Default()
	r := rng.Stream(nb.Seed(), "lesson02/ratings")
	panel := annotate.Panel(3, annotate.Annotator{Tau: tau}, &annotate.Spread{Offset: offset, LogScale: 0.3}, r)
	prompt := w.Prompts(1, 0, r)[0]
	const k = 4
	phis := make([]float64, k*world.NumFeatures)
	for i := 0; i < k; i++ {
		w.Sample(prompt, world.Response(phis, i), r)
	}
	fmt.Printf("Prompt: %s\n", prompt.Text)
	header := []string{"answer", "gold"}
	for _, a := range panel {
		header = append(header, a.Name+" rates", a.Name+" ranks")
	}
	ranks := make([][]int, len(panel))
	for ai := range panel {
		order := make([]int, k)
		panel[ai].Rank(w.Gold, prompt, phis, order, r)
		ranks[ai] = make([]int, k)
		for pos, item := range order {
			ranks[ai][item] = pos + 1
		}
	}
	var rows [][]string
	for i := 0; i < k; i++ {
		phi := world.Response(phis, i)
		row := []string{string(rune('A' + i)), fmt.Sprintf("%+.2f", w.Gold(prompt, phi))}
		for ai := range panel {
			row = append(row, strconv.Itoa(panel[ai].Rate(w.Gold, prompt, phi, r)), "#"+strconv.Itoa(ranks[ai][i]))
		}
		rows = append(rows, row)
	}
	nb.Table(header, rows)
	for _, a := range panel {
		fmt.Printf("%s: rating offset %+.2f, scale %.2f\n", a.Name, a.Offset, a.Scale)
	}

	// %% [markdown]
	// Within one person's ratings the offset cancels when two answers are
	// compared. But ratings are usually collected one answer at a time, by
	// whoever is available, so two answers to the same prompt are often
	// rated by different people. Then a pair label "A is better than B"
	// read off two ratings mixes the truth with the raters' offsets.
	//
	// A ranking is made by one person looking at all the answers together:
	// their offset and scale never enter.

	// %%
	prompts := nb.Int("prompts", 400, 50, 4000, "prompts per point of the experiment")
	rk, rt := pipeline.RankingVsRating(w, &pipeline.RatingExperiment{OffsetSDs: []float64{offset}, Tau: tau, Prompts: prompts, K: k}, nb.Seed())
	truth := 1
	switch {
	case rk[0] > rt[0]+0.02:
		truth = 2
	case rt[0] > rk[0]+0.02:
		truth = 0
	}
	nb.Predict(fmt.Sprintf("With offsets spread by %.2f points, how often do pair labels from ratings by different annotators agree with the gold reward, compared with labels from rankings?", offset),
		[]string{"more often", "about as often (within 2 points)", "less often"}, truth,
		fmt.Sprintf("From rankings %.1f%% of pair labels agree with the gold reward; from ratings %.1f%% (ties count one half).", 100*rk[0], 100*rt[0]))

	// %% [markdown]
	// One setting is one data point. Here is the whole picture, as the
	// spread of the offsets grows:

	// %%
	sds := []float64{0, 0.5, 1, 1.5, 2, 2.5}
	rank, rate := pipeline.RankingVsRating(w, &pipeline.RatingExperiment{OffsetSDs: sds, Tau: tau, Prompts: prompts, K: k}, nb.Seed())
	p, err := plots.RankingVsRating(sds, "spread of the annotators' rating offsets (sd, Likert points)", rank, rate, nil)
	nb.Must(err)
	nb.Figure("Pair labels that agree with the gold reward, from rankings and from ratings by different annotators", p)
	last := len(sds) - 1
	fmt.Printf("at an offset spread of %.1f: rankings %.3f, ratings %.3f\n", sds[last], rank[last], rate[last])
	gap0, gapLast := rank[0]-rate[0], rank[last]-rate[last]
	fmt.Printf("rankings' lead without offsets: %.3f; at a spread of %.1f: %.3f\n", gap0, sds[last], gapLast)
	if tau <= 1 {
		// Over seeds 1-12, 50 to 4,000 prompts and tau 0 to 1 the lead at
		// the widest spread is at least 0.040, and at least 0.023 above the
		// lead without offsets. Noisier annotators make both kinds of
		// label close to coin flips and the leads shrink into the noise
		// (at tau 1.5 the first falls to 0.012 on some seeds), so the
		// checks stop at tau 1.
		nb.Check("with widely spread offsets, rankings give clearly more labels that agree with the truth than ratings",
			gapLast > 0.03,
			"a rating mixes the answer's quality with its rater's personal offset; a ranking by one person cancels it")
		nb.Check("the offsets, not the numbers, cost ratings their lead: without offsets rankings lead by less",
			gap0 < gapLast,
			"without offsets a rating loses only where the 7-point scale ties two answers a ranking would order, which matters most when annotators are nearly noiseless")
	}

	// %% [markdown]
	// This is why RLHF pipelines usually ask people to compare or rank
	// answers: relative judgements are consistent across people, even when
	// their absolute scales are not. The reward model is then trained on
	// those relative judgements, as the next lessons show.

	// %%
	nb.Quiz("In this lesson's runs, why do labels from rankings agree with the gold reward more often than labels from ratings?",
		[]string{"the annotators who rank are less noisy than those who rate: in this lesson's runs they were given a lower temperature",
			"each annotator's own offset and scale cancel within their ranking",
			"a ranking contains more information than a rating of every answer",
			"reward models cannot be trained on numbers"}, 1,
		"The relative judgement is the part people share. A ranking keeps it and discards each person's use of the scale; here both kinds of label come from annotators with the same noise. Rankings have a second advantage this simulator does not model: speed. InstructGPT had labellers rank 4 to 9 answers at once, so one pass over a prompt yields up to 36 comparisons.")
}
