// Title: PPO, one step at a time
// Summary: In the step-level view an answer is a chain of decisions: its KL to the reference is the sum of theirs, so the penalty is charged one token at a time. PPO reuses each batch for several steps and clips the probability ratio: unclipped, reuse climbs fastest and then overshoots; clipped, it stays steady and, at this learning rate, about as fast per batch as leave-one-out, and a little higher at the same KL.
// Minutes: 15
// Learn-before: 06-policy-gradient, 11-outcome-vs-process
// Learn-after:
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/seq"
)

// reps is how many runs of each kind the lesson averages: one run's
// curve depends much on its samples.
const reps = 4

// run is the runs of one kind and what the lesson measures on them.
type run struct {
	name string
	// pass and kl are the mean curves over the runs.
	pass, kl []float64
	// early is the mean pass rate over the first 20 updates; worst the
	// lowest over the second half and peakKL the highest KL, each
	// averaged over the runs; atKL the pass rate at the first update
	// whose KL reaches 2, averaged over the runs that got there.
	early, worst, peakKL, atKL float64
	// clipped is the largest share of decisions PPO's clip dropped in
	// one step, over all the runs.
	clipped float64
}

func measure(name string, runs [][]seq.Point) run {
	r := run{name: name, pass: make([]float64, len(runs[0])), kl: make([]float64, len(runs[0]))}
	reached := 0.0
	for _, pts := range runs {
		worst, peak, at := 1.0, 0.0, math.NaN()
		for i, pt := range pts {
			r.pass[i] += pt.Pass / reps
			r.kl[i] += pt.KL / reps
			peak = math.Max(peak, pt.KL)
			if i >= len(pts)/2 {
				worst = math.Min(worst, pt.Pass)
			}
			if math.IsNaN(at) && pt.KL >= 2 {
				at = pt.Pass
			}
			r.clipped = math.Max(r.clipped, pt.Clipped)
		}
		for _, pt := range pts[1:21] {
			r.early += pt.Pass / 20 / reps
		}
		r.worst += worst / reps
		r.peakKL += peak / reps
		if !math.IsNaN(at) {
			r.atKL += at
			reached++
		}
	}
	r.atKL /= reached
	return r
}

func main() {
	// %% [markdown]
	// Lesson 11 trained answers written step by step: each step sound,
	// flawed or filler, until the policy stops, with a verifier that
	// passes a right final answer (here a perfect one, so passing is
	// being right, and the reward is also the truth). The policy is a
	// chain of decisions, one per step, like a language model choosing
	// one token after another. Two things about RL on such chains: how
	// the KL penalty is charged, and what PPO does that the leave-one-out
	// estimator (RLOO) of lesson 06 does not.
	//
	// **PPO** samples a batch of answers, then takes several steps on it
	// (its epochs) instead of one. After the first step the policy is no
	// longer the one that sampled the batch, so each decision's gradient
	// is weighted by the **probability ratio** of the new policy to the
	// old for that decision; and once the ratio has moved past 1 +- 0.2
	// in the direction the decision's advantage pushes, the decision is
	// dropped from the step: the **clip**. Three runs on the same
	// prompts, at the same learning rate and batch of 64 answers: RLOO
	// (one step per batch), PPO, and PPO without the clip.

	// %%
	epochs := nb.Int("epochs", 10, 8, 12, "PPO steps on each batch")
	seed := nb.Seed()
	prompts := seq.Prompts(64, rng.Stream(seed, "lesson21/prompts"))
	// train runs the settings reps times, each on its own samples, and
	// returns the runs and the first run's policy.
	train := func(s seq.Settings) ([][]seq.Point, *seq.Policy) {
		var runs [][]seq.Point
		var first *seq.Policy
		for k := 0; k < reps; k++ {
			p, err := seq.New(nil, prompts)
			nb.Must(err)
			s.Steps, s.LR, s.Beta = 100, 1, 0.02
			pts, err := seq.Train(p, &s, rng.Stream(seed, fmt.Sprintf("lesson21/train/%d", k)))
			nb.Must(err)
			runs = append(runs, pts)
			if first == nil {
				first = p
			}
		}
		return runs, first
	}
	rlooRuns, rlooPol := train(seq.Settings{})
	ppoRuns, ppoPol := train(seq.Settings{Algo: seq.PPO, Epochs: epochs})
	noClipRuns, _ := train(seq.Settings{Algo: seq.PPO, Epochs: epochs, Clip: 1e9})
	rloo, ppo, noClip := measure("RLOO, one step per batch", rlooRuns), measure(fmt.Sprintf("PPO, %d clipped steps per batch", epochs), ppoRuns),
		measure(fmt.Sprintf("PPO without the clip, %d steps per batch", epochs), noClipRuns)
	runs := []run{rloo, ppo, noClip}

	// %% [markdown]
	// Each kind is run four times on its own samples, and the lesson
	// shows their means: one run's curve depends much on its samples.
	//
	// Before you look: which kind has the highest pass rate over its
	// first 20 batches?

	// %%
	fastest := 0
	for i, r := range runs {
		if r.early > runs[fastest].early {
			fastest = i
		}
	}
	nb.Predict("Which kind climbs fastest over its first 20 batches?", []string{"RLOO", "PPO with the clip", "PPO without the clip"}, fastest,
		fmt.Sprintf("Mean pass rate over the first 20 batches: RLOO %.3f, PPO %.3f, PPO without the clip %.3f.", rloo.early, ppo.early, noClip.early))
	xs := make([]float64, len(rloo.pass))
	for i := range xs {
		xs[i] = float64(i)
	}
	var pass, kl []plots.Series
	for i, r := range runs {
		pass = append(pass, plots.Series{Name: r.name, Y: r.pass, Dashed: i == 2})
		kl = append(kl, plots.Series{Name: r.name, Y: r.kl, Dashed: i == 2})
	}
	fig, err := plots.Lines("Reusing each batch", "batches of 64 answers sampled", "pass rate (mean of 4 runs)", xs, pass, nil)
	nb.Must(err)
	nb.Figure("The pass rate after each batch, for one step per batch and for PPO's steps with and without the clip, each the mean of four runs", fig)
	fig, err = plots.Lines("How far each run moves", "batches of 64 answers sampled", "KL to the reference (mean of 4 runs)", xs, kl, nil)
	nb.Must(err)
	nb.Figure("KL(pi || pi_ref) of whole answers after each batch, the mean of four runs", fig)
	var rows [][]string
	for _, r := range runs {
		rows = append(rows, []string{r.name, fmt.Sprintf("%.3f", r.early), fmt.Sprintf("%.3f", r.worst), fmt.Sprintf("%.2f", r.peakKL)})
	}
	nb.Table([]string{"run (means of 4)", "pass rate, first 20 batches", "lowest pass rate, second half", "highest KL"}, rows)
	fmt.Printf("the largest share of decisions the clip dropped in one step: %.2f\n", ppo.clipped)
	nb.Check("without the clip, reuse climbs fastest at first: ahead of both other runs by 0.05 or more over the first 20 batches",
		noClip.early >= ppo.early+0.05 && noClip.early >= rloo.early+0.05, "several steps on each batch take more from each sampled answer, and nothing stops them")
	nb.Check("with the clip, PPO's first 20 batches are within 0.1 of RLOO's", math.Abs(ppo.early-rloo.early) <= 0.1,
		"the clip drops the decisions that have moved far, which is most of what the extra steps would have added")
	nb.Check("but it overshoots: it reaches a higher KL than PPO with the clip, and its pass rate falls lower in the second half",
		noClip.peakKL > ppo.peakKL && noClip.worst < ppo.worst, "a batch's gradients describe the policy that sampled it; ten steps away they no longer do")
	nb.Check("the clip did drop decisions (in at least one step, a share above 0.05)", ppo.clipped > 0.05,
		"the ratio moved past 1 +- 0.2 for some decisions")

	// %% [markdown]
	// ## At the same KL
	//
	// The clip kept reuse steady, and at this learning rate it also took
	// back most of reuse's head start: per batch, PPO was about as fast
	// as RLOO. RLHF also pays for moving away from the reference policy:
	// is either one's pass rate higher at the same KL?
	// The pass rate against the KL, and the pass rate at each run's
	// first update whose KL reaches 2.

	// %%
	front, err := plots.Groups("Pass rate against the KL spent", "KL to the reference policy (mean of 4 runs)", "pass rate (mean of 4 runs)",
		[]plots.Group{{Name: rloo.name, X: rloo.kl, Y: rloo.pass}, {Name: ppo.name, X: ppo.kl, Y: ppo.pass}}, nil)
	nb.Must(err)
	nb.Figure("Each update of RLOO and of PPO as a point: its mean KL and mean pass rate", front)
	fmt.Printf("pass rate at each run's first update with KL 2 or more, averaged: RLOO %.3f, PPO %.3f\n", rloo.atKL, ppo.atKL)
	nb.Check("at KL 2 PPO's pass rate is a little higher than RLOO's: above it, by less than 0.1", ppo.atKL > rloo.atKL && ppo.atKL < rloo.atKL+0.1,
		"the two climb nearly the same trade-off between reward and KL; this run does not show why PPO's is higher")

	// %% [markdown]
	// ## The KL, one decision at a time
	//
	// The KL of a whole answer is the expected sum, over its decisions, of
	// log pi(decision) - log pi_ref(decision): the chain rule. So the
	// penalty can be charged where each decision is made, and each
	// decision is credited with the penalties from it to the end, as the
	// runs above did. InstructGPT charged its KL penalty per token in the
	// same way. Here is where one trained policy of each kind spends its
	// KL, by the decision's place in the answer, computed exactly.

	// %%
	byRLOO, byPPO := rlooPol.KLByStep(), ppoPol.KLByStep()
	steps := make([]float64, len(byPPO))
	sumR, sumP := 0.0, 0.0
	for t := range steps {
		steps[t] = float64(t + 1)
		sumR += byRLOO[t]
		sumP += byPPO[t]
	}
	fig, err = plots.Lines("Where the KL is spent", "decision (step of the answer)", "expected KL of the decision", steps,
		[]plots.Series{{Name: rloo.name, Y: byRLOO}, {Name: ppo.name, Y: byPPO}}, nil)
	nb.Must(err)
	nb.Figure("The expected KL of each decision after training, by its place in the answer", fig)
	fmt.Printf("sum over decisions: RLOO %.4f, PPO %.4f; KL of whole answers: RLOO %.4f, PPO %.4f\n", sumR, sumP, rlooPol.Exact().KL, ppoPol.Exact().KL)
	nb.Check("the decisions' KL adds up to the KL of whole answers", math.Abs(sumR-rlooPol.Exact().KL) < 1e-9 && math.Abs(sumP-ppoPol.Exact().KL) < 1e-9,
		"KL(pi || pi_ref) of a chain is the expected sum of its decisions' log-ratios")

	// %% [markdown]
	// Schulman et al. (2017) introduced the clipped objective so that
	// several epochs of updates could run on the same samples without
	// the policy moving too far; here, with the clip off, the same reuse
	// overshot, as they would predict. Ahmadian et al. (2024) found that
	// in RLHF of language models simpler REINFORCE-style methods such as
	// RLOO matched or beat PPO. Here, at this learning rate, the two were
	// about as fast per batch and PPO sat a little higher at the same KL,
	// so this run leans the other way; but its policy has sixteen
	// parameters, far from their language models, and it cannot test
	// their setting.

	// %%
	nb.Quiz("Why does PPO clip the probability ratio of each decision?",
		[]string{"to let it take several steps on one batch without the policy moving far from the one that sampled it",
			"to keep the policy close to the reference policy, which the KL penalty alone cannot do",
			"to remove the noise of the sampled answers, so that each batch gives the exact gradient",
			"to make each step smaller than RLOO's, so that it needs more batches but never overshoots"}, 0,
		"Without the clip, ten steps on each batch climbed faster at first, then went past the KL of the clipped run and lost pass rate.")
	nb.TrueFalse("In the step-level view, the KL of a whole answer is the expected sum of its decisions' KL, which is why the penalty can be charged one token at a time.", true,
		"The chain rule: the decisions' KL, computed exactly, added up to the answers' KL in both runs.")
}
