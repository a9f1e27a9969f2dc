package pipeline

import (
	"math"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// GoldPeak returns the step at which the policy's gold reward peaked and
// how far the final gold lies below that peak. The step is a Step.Step,
// which is its position in Run.Steps only when the run recorded every
// step (policy.Settings.Record).
func (r *Result) GoldPeak() (step int, drop float64) {
	best := math.Inf(-1)
	for _, s := range r.Run.Steps {
		if s.Gold > best {
			best, step = s.Gold, s.Step
		}
	}
	return step, best - r.Run.Steps[len(r.Run.Steps)-1].Gold
}

// Drift returns n samples of feature f under the base policy and under the
// optimised policy, for the same prompts, drawn from the seed's evaluation
// stream.
func (r *Result) Drift(f, n int) (before, after []float64) {
	rg := rng.Stream(r.Config.Seed, rng.Drift)
	prompts := r.Policy.Prompts()
	phi := make([]float64, world.NumFeatures)
	for i := 0; i < n; i++ {
		pi := i % len(prompts)
		r.World.Sample(prompts[pi], phi, rg)
		before = append(before, phi[f])
		s := r.Policy.Sample(pi, rg)
		after = append(after, s.Phi[f])
	}
	return before, after
}

// HeldOut returns the normalised scores and gold rewards of the test
// responses.
func (r *Result) HeldOut() (scores, gold []float64) {
	d := r.Data
	for _, ri := range d.SplitRankings(prefs.Test) {
		rk := &d.Rankings[ri]
		for j := rk.First; j < rk.First+rk.K; j++ {
			scores = append(scores, r.RM.Scorer.Score(d.Response(j)))
			gold = append(gold, d.Gold[j])
		}
	}
	return scores, gold
}

// RatingExperiment configures RankingVsRating. Zero counts mean 400
// prompts, K = 4 and 5 raters; Tau is the annotators' temperature as
// given.
type RatingExperiment struct {
	// OffsetSDs are the spreads of the raters' rating offsets to try.
	OffsetSDs []float64
	Tau       float64
	Prompts   int
	K         int
	// Raters is the number of annotators whose ratings are mixed.
	Raters int
}

// RankingVsRating measures how consistent a training signal rankings and
// ratings give. For each spread of the annotators' rating offsets in
// offsetSDs it builds a panel of five annotators at temperature tau (rating
// scales vary with log-sd 0.3) and, over the given number of prompts with k
// responses each, returns the fraction of derived pair labels that agree
// with the gold reward:
//
//   - ranking: one annotator ranks all k responses of a prompt, giving
//     k(k-1)/2 pairs;
//   - rating: each response is rated 1-7 on its own by an annotator drawn
//     at random, as when responses are rated independently, and every pair
//     of a prompt is labelled by comparing its two ratings (a tie counts
//     one half).
//
// Within one annotator's ranking, offsets and scales cancel; across raters
// they do not.
func RankingVsRating(w *world.World, e *RatingExperiment, seed uint64) (ranking, rating []float64) {
	var s RatingExperiment
	if e != nil {
		s = *e
	}
	if s.Prompts == 0 {
		s.Prompts = 400
	}
	if s.K == 0 {
		s.K = 4
	}
	if s.Raters == 0 {
		s.Raters = 5
	}
	if s.Prompts < 1 || s.K < 2 || s.Raters < 1 {
		panic("pipeline: RankingVsRating needs a prompt, two responses and a rater")
	}
	offsetSDs, tau, prompts, k := s.OffsetSDs, s.Tau, s.Prompts, s.K
	rg := rng.Stream(seed, rng.Ratings)
	ps := w.Prompts(prompts, 0, rg)
	D := world.NumFeatures
	phis := make([][]float64, len(ps))
	for i, p := range ps {
		phis[i] = make([]float64, k*D)
		for j := 0; j < k; j++ {
			w.Sample(p, world.Row(phis[i], D, j), rg)
		}
	}
	order := make([]int, k)
	rates := make([]int, k)
	for _, sd := range offsetSDs {
		panel := annotate.Panel(s.Raters, annotate.Annotator{Tau: tau}, &annotate.Spread{Offset: sd, LogScale: 0.3}, rg)
		var rk, rt, n float64
		for i, p := range ps {
			g := make([]float64, k)
			for j := range g {
				g[j] = w.Gold(p, world.Row(phis[i], D, j))
			}
			panel[rg.IntN(len(panel))].Rank(w.Gold, p, phis[i], order, rg)
			for j := range rates {
				a := &panel[rg.IntN(len(panel))]
				rates[j] = a.Rate(w.Gold, p, world.Row(phis[i], D, j), rg)
			}
			pos := stats.Invert(nil, order)
			for a := 0; a < k; a++ {
				for b := a + 1; b < k; b++ {
					rk += stats.Concordance(float64(pos[b]-pos[a]), g[a]-g[b])
					rt += stats.Concordance(float64(rates[a]-rates[b]), g[a]-g[b])
					n++
				}
			}
		}
		ranking, rating = append(ranking, rk/n), append(rating, rt/n)
	}
	return ranking, rating
}
