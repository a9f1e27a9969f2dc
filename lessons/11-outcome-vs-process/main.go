// Title: Outcome versus process rewards
// Summary: A reasoning answer judged by one number at its end: sparse credit, noise that grows with length, and lucky answers whose flawed steps are rewarded too. What judging every step changes, and what it costs in labels.
// Minutes: 20
// Learn-before: 07-length-hacking
// Learn-after: 12-verifiers
package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/seq"
)

// reached returns the answers sampled before the share of sound steps
// first reached 0.8, or -1 if it never did.
func reached(pts []seq.Point) int {
	for _, pt := range pts {
		if pt.SoundRate() >= 0.8 {
			return pt.Samples
		}
	}
	return -1
}

// stepLabels is the number of step labels a run on exact step labels
// used: every step of every answer it sampled, in expectation.
func stepLabels(pts []seq.Point, batch int) float64 {
	n := 0.0
	for i := 0; i+1 < len(pts); i++ {
		n += pts[i].Steps * float64(batch)
	}
	return n
}

func main() {
	// %% [markdown]
	// So far every answer was judged whole: one reward for one response.
	// Answers to maths problems, code and many questions are made step by
	// step, and a single number at the end says nothing about which steps
	// earned it. This lesson's world makes answers one step at a time.
	// Each step is **sound**, **flawed** or **filler**, and the answer
	// stops with a final answer that is right
	//
	// - with probability 0.9 after enough sound steps (1 to 3, by the
	//   problem's difficulty) and no flawed one,
	// - with probability 0.25 *by luck* after a flawed step,
	// - with probability 0.1 when it stops too soon.
	//
	// The policy chooses the next step's kind from the problem's
	// difficulty, how far the answer has come and whether it has gone
	// wrong yet. There are so few such states that every probability
	// below is exact, not sampled.

	// %%
	maxSteps := nb.Int("max_steps", 6, 4, 10, "the step limit of an answer")
	updates := nb.Int("updates", 300, 150, 600, "policy updates of 64 sampled answers each")
	labels := nb.Int("labels", 100, 100, 1000, "answers labelled step by step to train the process reward model")
	noise := nb.Float("label_noise", 0.2, 0, 0.2, "chance that a step's label is wrong")
	seed := nb.Seed()
	world := &seq.World{MaxSteps: maxSteps}
	prompts := seq.Prompts(500, rng.Stream(seed, "seq/prompts"))
	ref, err := seq.New(world, prompts)
	nb.Must(err)
	st := ref.Exact()
	fmt.Printf("the reference policy: %.2f steps per answer, %.0f%% of them sound; right %.3f\n", st.Steps, 100*st.SoundRate(), st.Right)
	fmt.Printf("right after a flawed step (lucky): %.3f, so %.0f%% of its right answers contain a flawed step\n", st.Lucky, 100*st.Lucky/st.Right)

	// %% [markdown]
	// ## Two ways to hand out credit
	//
	// The **outcome reward** is paid at the end if the final answer is
	// right, and shared by every step of the answer. A policy-gradient
	// update then pushes up *all* the steps of a right answer, the flawed
	// ones of a lucky answer included, and pushes down all the steps of a
	// wrong one, sound ones included.
	//
	// The **process reward** judges each step where it happens: a bonus
	// for a sound step, a penalty for a flawed one, nothing for filler,
	// scaled so that a whole answer's total lies between -1 and 1. Each
	// step is credited with the rewards from it to the end, so a step is
	// blamed for what follows it, never for what came before.
	//
	// A race between them is only fair on the same scale. At one learning
	// rate, a reward twice as large takes steps twice as long, so an
	// outcome reward of 1 (a range of 1) against a process reward with a
	// range of 2 mostly measures the scale. We run the outcome reward
	// both ways: paying 1, and paying 2 (learning rate 1 and beta 0.01,
	// which makes exactly the updates of a reward of 2 at learning rate
	// 0.5 and beta 0.02).
	//
	// Before you look: on the same scale, which reward makes sound
	// reasoning spread with fewer sampled answers?

	// %%
	train := func(w *seq.World, s *seq.Settings) []seq.Point {
		p, err := seq.New(w, prompts)
		nb.Must(err)
		pts, err := seq.Train(p, s, rng.Stream(seed, "seq/train"))
		nb.Must(err)
		return pts
	}
	// matched pays the outcome reward on the process reward's scale.
	matched := &seq.Settings{Reward: seq.Outcome, Steps: updates, LR: 1, Beta: 0.01}
	half := train(world, &seq.Settings{Reward: seq.Outcome, Steps: updates})
	outcome := train(world, matched)
	process := train(world, &seq.Settings{Reward: seq.Process, Steps: updates})
	rh, ro, rp := reached(half), reached(outcome), reached(process)
	truth := 2
	switch {
	case rp >= 0 && (ro < 0 || rp < ro):
		truth = 1
	case ro >= 0 && (rp < 0 || ro < rp):
		truth = 0
	}
	nb.Predict("On the same scale, which reward brings the share of sound steps to 0.8 with fewer sampled answers?",
		[]string{"the outcome reward", "the process reward", "neither gets there first"}, truth,
		fmt.Sprintf("Sampled answers until 80%% of steps were sound: outcome paying 2: %d, process: %d (-1: never). Paying 1, the outcome reward needed %d.", ro, rp, rh))
	x := make([]float64, len(outcome))
	var sh, so, sp []float64
	for i := range outcome {
		x[i] = float64(outcome[i].Samples)
		sh, so, sp = append(sh, half[i].SoundRate()), append(so, outcome[i].SoundRate()), append(sp, process[i].SoundRate())
	}
	fig, err := plots.Lines("How fast sound reasoning spreads", "answers sampled", "share of steps that are sound", x,
		[]plots.Series{{Name: "outcome reward, paying 1", Y: sh}, {Name: "outcome reward, paying 2", Y: so}, {Name: "process reward (range 2)", Y: sp}}, nil)
	nb.Must(err)
	nb.Figure("The share of sound steps while training on each reward, exact at every update", fig)
	nb.Check("at half the process reward's scale, the outcome reward is slower to a sound-step share of 0.8", rp >= 0 && (rh < 0 || rp < rh),
		"a reward of range 1 against one of range 2, at one learning rate")
	nb.Check("paying the outcome reward on the same scale shortens its way to 0.8", ro >= 0 && (rh < 0 || ro < rh),
		"at one learning rate, the size of a step follows the size of the reward")

	// %% [markdown]
	// On the same scale the race is close, and on some seeds the outcome
	// reward gets there first (seeds 1-12 at the default step limit: the
	// outcome reward needed 0.8 to 1.7 times the process reward's answers;
	// up to 2.3 times at a step limit of 10). In this small world both soon find the
	// few decisions that matter. Where judging steps pays off more surely
	// is the noise of each update and the reasoning behind right answers,
	// below.

	// %% [markdown]
	// ## Lucky answers
	//
	// At the start, a large share of the reference policy's right answers
	// contain a flawed step (the numbers above). The outcome reward pays
	// every one of them in full, flaws included; the process reward
	// charges each flawed step a penalty wherever the answer ends.

	// %%
	share := st.Lucky / st.Right
	fmt.Printf("at the reference policy, %.0f%% of the outcome reward paid goes to answers containing a flawed step\n", 100*share)
	nb.Check("at the start, the outcome reward pays a large share of its reward (over a third) to answers with a flawed step",
		share > 1.0/3, "a right final answer does not mean right reasoning: luck after a flaw is paid like a sound derivation")

	// %% [markdown]
	// Uesato et al. (2022) trained on grade-school maths problems (GSM8K)
	// with outcome-based and process-based supervision and found a
	// similar final-answer error, but fewer right answers reached through
	// wrong reasoning (*trace error*) with process-based feedback, and
	// also with reward models trained on outcome labels, which learned to
	// imitate process feedback. Does
	// this world agree? We measure the share of right answers that contain
	// a flawed step at the end of both runs, in this world and in one
	// where a flaw does not cost the final answer (right after a flaw with
	// probability 0.9, as often as after sound steps alone).

	// %%
	flawedShare := func(pts []seq.Point) float64 { p := pts[len(pts)-1]; return p.Lucky / p.Right }
	lenient := &seq.World{MaxSteps: maxSteps, RightLucky: 0.9}
	lo, lp := train(lenient, matched), train(lenient, &seq.Settings{Reward: seq.Process, Steps: updates})
	nb.Table([]string{"world", "right answers with a flawed step: outcome (paying 2)", "process"}, [][]string{
		{"a flaw leaves a right answer 25% of the time", fmt.Sprintf("%.2f%%", 100*flawedShare(outcome)), fmt.Sprintf("%.2f%%", 100*flawedShare(process))},
		{"a flaw costs nothing (90%, as sound steps)", fmt.Sprintf("%.2f%%", 100*flawedShare(lo)), fmt.Sprintf("%.2f%%", 100*flawedShare(lp))},
	})
	var fo, fp, flo, flp []float64
	for i := range outcome {
		fo, fp = append(fo, outcome[i].Lucky/outcome[i].Right), append(fp, process[i].Lucky/process[i].Right)
		flo, flp = append(flo, lo[i].Lucky/lo[i].Right), append(flp, lp[i].Lucky/lp[i].Right)
	}
	fig, err = plots.Lines("Right for the wrong reasons", "answers sampled", "share of right answers with a flawed step", x,
		[]plots.Series{{Name: "outcome, flaws cost", Y: fo}, {Name: "process, flaws cost", Y: fp},
			{Name: "outcome, flaws free", Y: flo}, {Name: "process, flaws free", Y: flp}}, nil)
	nb.Must(err)
	nb.Figure("The share of right answers that contain a flawed step, exact at every update, in both worlds", fig)
	nb.Check("where a flaw usually costs the answer, both rewards end with under 1% of right answers flawed",
		flawedShare(outcome) < 0.01 && flawedShare(process) < 0.01,
		"a flawed step makes a wrong answer more often than a right one, so the outcome reward learns to avoid flaws as well")
	nb.Check("where a flaw costs nothing, over half of the outcome-trained policy's right answers are flawed, and under 5% of the process-trained policy's",
		flawedShare(lo) > 0.5 && flawedShare(lp) < 0.05,
		"the outcome reward cannot see a flaw that does not change the final answer; the process reward charges it at the step")

	// %% [markdown]
	// So this world shows Uesato et al.'s trace-error gap only where
	// flaws rarely change the final answer: take away what a flaw costs
	// and the gap appears; keep it and the outcome reward learns to avoid
	// flaws too. How often a real flaw still ends in a right answer is an
	// empirical question about the task, and this world sets it by hand.

	// %% [markdown]
	// ## Noise that grows with length
	//
	// One number at the end must be shared by every decision of the
	// answer. The longer the answers, the more decisions share it, and the
	// noisier each update. We estimate the gradient 400 times at the
	// reference policy for several step limits and measure its
	// **signal-to-noise ratio**: the squared length of the average
	// estimate over the estimates' total variance (a ratio, so the two
	// rewards' scales do not matter).

	// %%
	limits := []int{3, 6, 12, 24}
	var snrO, snrP, xl []float64
	for _, L := range limits {
		p, err := seq.New(&seq.World{MaxSteps: L}, prompts[:200])
		nb.Must(err)
		n, err := p.GradientNoise(&seq.Settings{Reward: seq.Outcome, Batch: 16}, 400, rand.NewPCG(seed, uint64(L)))
		nb.Must(err)
		m, err := p.GradientNoise(&seq.Settings{Reward: seq.Process, Batch: 16}, 400, rand.NewPCG(seed, uint64(100+L)))
		nb.Must(err)
		snrO, snrP, xl = append(snrO, n.SNR), append(snrP, m.SNR), append(xl, float64(L))
	}
	rows := [][]string{}
	for i, L := range limits {
		rows = append(rows, []string{fmt.Sprint(L), fmt.Sprintf("%.3f", snrO[i]), fmt.Sprintf("%.2f", snrP[i])})
	}
	nb.Table([]string{"step limit", "outcome: signal to noise", "process: signal to noise"}, rows)
	fig, err = plots.Lines("Signal in one batch's gradient", "step limit", "signal-to-noise ratio", xl,
		[]plots.Series{{Name: "outcome reward", Y: snrO}, {Name: "process reward", Y: snrP}}, nil)
	nb.Must(err)
	nb.Figure("The signal-to-noise ratio of one batch's gradient estimate at the reference policy, against the step limit", fig)
	falls := true
	for i := 1; i < len(snrO); i++ {
		falls = falls && snrO[i] < snrO[i-1]
	}
	nb.Check("the outcome gradient's signal-to-noise ratio falls as answers grow longer", falls,
		"one reward at the end is shared by more decisions the longer the answer, so each decision's credit drowns in the others' noise")
	tenfold := true
	for i := range limits {
		tenfold = tenfold && snrP[i] > 10*snrO[i]
	}
	nb.Check("the process gradient keeps at least ten times the outcome's signal-to-noise ratio at every step limit",
		tenfold, "a step's own reward is not shared with the other steps")

	// %% [markdown]
	// ## What process supervision costs
	//
	// Exact step labels are what this world gives for free and real life
	// does not: a person must read every step. A **process reward model**
	// learns step scores from a finite set of labelled answers (here, answers
	// of the reference policy, each step labelled sound, flawed or filler,
	// some labels wrong), and then scores steps it has never seen. An
	// outcome label costs one check per answer, and often a program makes
	// it (a unit test, a reference answer); a step label costs a reader's
	// judgement per step.

	// %%
	lp0, err := seq.New(world, prompts)
	nb.Must(err)
	lab, err := lp0.Label(&seq.Labelling{Answers: labels, Noise: noise}, rng.Stream(seed, "seq/labels"))
	nb.Must(err)
	prm, err := seq.TrainPRM(lp0, lab)
	nb.Must(err)
	learned := train(world, &seq.Settings{Reward: seq.Process, PRM: prm, Steps: updates})
	rl := reached(learned)
	last := func(p []seq.Point) seq.Point { return p[len(p)-1] }
	nb.Table([]string{"reward", "labels bought", "answers to a sound share of 0.8", "right at the end"}, [][]string{
		{"outcome (paying 2)", fmt.Sprintf("%d (one per sampled answer)", last(outcome).Samples), fmt.Sprint(ro), fmt.Sprintf("%.3f", last(outcome).Right)},
		{"exact step labels", fmt.Sprintf("about %.0f (every step sampled)", stepLabels(process, 64)), fmt.Sprint(rp), fmt.Sprintf("%.3f", last(process).Right)},
		{"process reward model", fmt.Sprintf("%d (the steps of %d answers)", prm.Labels, labels), fmt.Sprint(rl), fmt.Sprintf("%.3f", last(learned).Right)},
	})
	nb.Check("the process reward model reaches a sound-step share of 0.8", rl >= 0,
		"a learned step score still tells the policy which step to change")
	if noise >= 0.15 {
		nb.Check("with noisy labels, the process reward model is slower to 0.8 than exact step labels", rl > rp,
			"label noise shrinks the learned scores of sound and flawed steps towards 0 (to about 1 - 1.5 times the noise), and smaller rewards take smaller steps")
	}

	// %% [markdown]
	// Lightman et al. (2023) bought 800,000 human step labels (PRM800K)
	// and used the process reward model they trained to pick the best of
	// many sampled solutions to competition maths problems (MATH): it
	// chose a right solution 78% of the time, against 72% for an outcome
	// reward model trained for the same job. They reranked samples; they
	// did not train a policy on the scores, as this lesson does, so the
	// table above is not their experiment.
	//
	// A process reward model is a learned reward like any other, and
	// with very few noisy labels a policy finds where it is wrong. Train
	// on five answers' labels at 40% noise (`rlhfsim seq --rewards prm
	// --labels 5 --label-noise 0.4 --seed 2 --json`): the share of right
	// answers first rises, from 0.349 to 0.463 within a dozen updates, as
	// flawed steps are driven out, then falls to 0.198, below where it
	// started, as the policy swaps sound steps for the filler the model
	// overrates. It is the rise and fall of lesson 07, on step scores.

	// %%
	nb.Quiz("A policy is trained on whether its final answer to maths problems is right. Why can this reward flawed reasoning?",
		[]string{"because a binary reward is too coarse to tell a nearly right answer from a wrong one, and that coarseness is what pays for flaws",
			"because every step shares the one reward at the end, so a lucky right answer reinforces its flawed steps too",
			"because the policy has too few parameters",
			"because the KL penalty favours flawed steps"}, 1,
		"An outcome reward sees only the end. Credit flows back to every step of the answer, and a lucky right answer carries its flawed steps along.")
	nb.TrueFalse("Process supervision needs more human effort per answer than outcome supervision.", true,
		"A step label needs someone to judge each step; an outcome label needs one check of the final answer, often done by a program.")
}
