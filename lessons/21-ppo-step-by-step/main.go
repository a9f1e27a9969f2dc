// Title: PPO, one step at a time
// Summary: In the step-level view an answer is a chain of decisions, and the KL over whole answers is the expected sum of theirs, so the penalty can be charged one decision at a time. PPO reuses each batch for several steps and clips the probability ratio: without the clip, reuse climbs fastest but swings (the highest KL, the lowest dips later); with it, it is as steady as leave-one-out, about as fast per batch or a little faster, and a little higher at KL 2.
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
	// averaged over the runs; atKL the pass rate where the KL reaches 2
	// (interpolated between the updates either side), averaged over the
	// runs that got there.
	early, worst, peakKL, atKL float64
	// clipped is the largest share of decisions PPO's clip dropped in
	// the last step on a batch, over all the runs; meanClipped its mean.
	clipped, meanClipped float64
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
			if math.IsNaN(at) && i > 0 && pt.KL >= 2 {
				prev := pts[i-1]
				at = prev.Pass + (2-prev.KL)/(pt.KL-prev.KL)*(pt.Pass-prev.Pass)
			}
			r.clipped = math.Max(r.clipped, pt.Clipped)
			if i > 0 {
				r.meanClipped += pt.Clipped / float64(len(pts)-1) / reps
			}
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
	// the KL penalty is charged, and what PPO adds to a policy gradient
	// with a leave-one-out baseline (RLOO). Here the baseline of an
	// answer is the mean return of the other answers in the batch,
	// whatever their prompts, not of the same prompt as in lesson 06.
	//
	// **PPO** samples a batch of answers, then takes several steps on it
	// (its epochs) instead of one. After the first step the policy is no
	// longer the one that sampled the batch, so each decision's gradient
	// is weighted by the **probability ratio** of the new policy to the
	// old for that decision; and once the ratio is more than 0.2 above 1
	// for a decision its advantage pushes up (or more than 0.2 below 1
	// for one it pushes down), the decision is dropped from the step: the
	// **clip**. This PPO keeps RLOO's advantages; the PPO of Schulman et
	// al. and of InstructGPT learns a value function to make them. Three
	// kinds of run on the same prompts, at the same learning rate and
	// batch of 64 answers: RLOO (one step per batch), PPO, and PPO
	// without the clip. Each kind runs four times, the k-th run of each
	// kind drawing from the same random stream, and the lesson shows
	// their means: one run's curve depends much on its samples.

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
			pts, err := seq.Train(p, &s, rng.Stream(seed*reps+uint64(k), "lesson21/train"))
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
	fmt.Printf("share of decisions the clip dropped in the last step on a batch: %.3f on average, %.2f at most\n", ppo.meanClipped, ppo.clipped)
	nb.Check("without the clip, reuse climbs fastest at first: ahead of both other kinds by 0.03 or more over the first 20 batches",
		noClip.early >= ppo.early+0.03 && noClip.early >= rloo.early+0.03, "several steps on each batch take more from each sampled answer, and nothing stops them")
	nb.Check("with the clip, PPO's first 20 batches are about as good as RLOO's or a little better: behind by less than 0.02, ahead by less than 0.12",
		ppo.early > rloo.early-0.02 && ppo.early < rloo.early+0.12,
		"the only difference from the unclipped kind is the clip, which stops pushing a decision once its ratio is 0.2 past 1 in its advantage's direction")
	nb.Check("without the clip, reuse swings: its KL goes higher than clipped PPO's, and its pass rate dips lower in the second half",
		noClip.peakKL > ppo.peakKL && noClip.worst < ppo.worst, fmt.Sprintf("a batch's gradients describe the policy that sampled it; %d steps later they no longer do", epochs))
	nb.Check("the clip did drop decisions (in some last step on a batch, a share above 0.05)", ppo.clipped > 0.05,
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
	fmt.Printf("pass rate where the KL reaches 2, averaged over the runs: RLOO %.3f, PPO %.3f\n", rloo.atKL, ppo.atKL)
	nb.Check("at KL 2 PPO's pass rate is a little higher than RLOO's: above it, by less than 0.1", ppo.atKL > rloo.atKL && ppo.atKL < rloo.atKL+0.1,
		"the two climb nearly the same trade-off between reward and KL; this run does not show why PPO's is higher")

	// %% [markdown]
	// ## The KL, one decision at a time
	//
	// The KL over whole answers is the expected sum, over an answer's
	// decisions, of log pi(decision) - log pi_ref(decision): the chain
	// rule. So the penalty can be charged where each decision is made,
	// and each decision credited with the penalties from it to the end,
	// as the runs above did. InstructGPT (Ouyang et al. 2022) also
	// charged a per-token KL penalty, though its PPO credited it through
	// a learned value function. Here is where one trained policy of each
	// kind spends its KL, by the decision's place in the answer, computed
	// exactly; and, as a check of the bookkeeping, the KL over whole
	// answers by brute force: every possible answer to four of the
	// prompts, weighted by its probability.

	// %%
	byRLOO, byPPO := rlooPol.KLByStep(), ppoPol.KLByStep()
	steps := make([]float64, len(byPPO))
	for t := range steps {
		steps[t] = float64(t + 1)
	}
	fig, err = plots.Lines("Where the KL is spent", "decision (step of the answer)", "expected KL of the decision", steps,
		[]plots.Series{{Name: rloo.name, Y: byRLOO}, {Name: ppo.name, Y: byPPO}}, nil)
	nb.Must(err)
	nb.Figure("The expected KL of each decision after training, by its place in the answer, weighted by the chance of reaching it: later steps cost less partly because fewer answers get there", fig)
	// The trained PPO policy on four prompts: its decisions' KL summed,
	// and the KL over whole answers by enumerating every answer.
	four, err := seq.New(nil, prompts[:4])
	nb.Must(err)
	copy(four.Params(), ppoPol.Params())
	byStep := 0.0
	for _, v := range four.KLByStep() {
		byStep += v
	}
	maxSteps := len(byPPO)
	brute := 0.0
	var walk func(i int, steps []seq.Kind)
	walk = func(i int, steps []seq.Kind) {
		s := seq.Seq{Prompt: i, Steps: steps}
		lp := four.LogProb(&s, nil, 0, nil)
		brute += math.Exp(lp) * (lp - four.LogRef(&s)) / 4
		if len(steps) == maxSteps {
			return
		}
		for _, k := range []seq.Kind{seq.Sound, seq.Flawed, seq.Filler} {
			walk(i, append(append([]seq.Kind(nil), steps...), k))
		}
	}
	for i := 0; i < 4; i++ {
		walk(i, nil)
	}
	fmt.Printf("four prompts: the decisions' KL summed %.6f; by enumerating every answer %.6f\n", byStep, brute)
	nb.Check("the decisions' KL, summed, equals the KL over whole answers computed by enumerating every answer", math.Abs(byStep-brute) < 1e-9,
		"KL(pi || pi_ref) over chains is the expected sum of their decisions' log-ratios")

	// %% [markdown]
	// Schulman et al. (2017) introduced the clipped objective so that
	// several epochs of updates could run on the same samples without
	// the policy moving too far; in their comparison on simulated robot
	// tasks, the variant with neither a clip nor a penalty did worst, on
	// average below the untrained policy, and clipping at 0.2 best. Here
	// too the unclipped run swung most. Ahmadian et al. (2024) found that
	// in RLHF of language models RLOO beat PPO. Their PPO learned a value
	// function; this one shares RLOO's advantages and differs only in
	// reusing each batch under the clip, so it does not test their
	// comparison. Here that reuse was about as fast per batch or a little
	// faster, and a little higher at KL 2.

	// %%
	nb.Quiz("Why does PPO clip the probability ratio of each decision?",
		[]string{"so that it can take several steps on one batch while the batch still describes the policy it is changing",
			"to keep the policy close to the reference policy, which the KL penalty alone cannot do",
			"to stop decisions with a negative advantage from being pushed down at all, since they were sampled by chance",
			"to make its steps smaller than RLOO's, trading speed per batch for stability"}, 0,
		fmt.Sprintf("Without the clip, %d steps on each batch climbed faster at first, but its KL jumped well above the clipped run's and its pass rate dipped lower in the second half.", epochs))
	nb.TrueFalse("Summed over an answer's decisions, each decision's expected KL to the reference policy gives the KL over whole answers, so the penalty can be charged one token at a time.", true,
		"The chain rule: the decisions' KL, summed, matched the KL computed by enumerating every answer.")
}
