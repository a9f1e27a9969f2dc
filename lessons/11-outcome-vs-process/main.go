// Title: Outcome versus process rewards
// Summary: A reasoning answer judged by one number at its end: sparse credit, noise that grows with length, and lucky answers whose flawed steps are rewarded too. What judging every step changes, and what it costs in labels.
// Minutes: 20
// Learn-before: 06-policy-gradient
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

// meanLucky averages, over a run, the probability of an answer that is
// right after a flawed step.
func meanLucky(pts []seq.Point) float64 {
	s := 0.0
	for _, pt := range pts {
		s += pt.Lucky
	}
	return s / float64(len(pts))
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
	// The **outcome reward** is 1 if the final answer is right and 0 if
	// not, given at the end and shared by every step of the answer. A
	// policy-gradient update then pushes up *all* the steps of a right
	// answer, the flawed ones of a lucky answer included, and pushes down
	// all the steps of a wrong one, sound ones included.
	//
	// The **process reward** judges each step where it happens: a bonus
	// for a sound step, a penalty for a flawed one, nothing for filler
	// (scaled so that a whole answer's total lies between -1 and 1, like
	// the outcome's between 0 and 1). Each step is credited with the
	// rewards from it to the end, so a step is blamed for what follows it,
	// never for what came before.
	//
	// Before you look: which reward makes sound reasoning spread with
	// fewer sampled answers?

	// %%
	train := func(s *seq.Settings) []seq.Point {
		p, err := seq.New(world, prompts)
		nb.Must(err)
		pts, err := seq.Train(p, s, rng.Stream(seed, "seq/train"))
		nb.Must(err)
		return pts
	}
	outcome := train(&seq.Settings{Reward: seq.Outcome, Steps: updates})
	process := train(&seq.Settings{Reward: seq.Process, Steps: updates})
	ro, rp := reached(outcome), reached(process)
	truth := 2
	switch {
	case rp >= 0 && (ro < 0 || rp < ro):
		truth = 1
	case ro >= 0 && (rp < 0 || ro < rp):
		truth = 0
	}
	nb.Predict("Which reward brings the share of sound steps to 0.8 with fewer sampled answers?",
		[]string{"the outcome reward", "the process reward", "neither gets there first"}, truth,
		fmt.Sprintf("Sampled answers until 80%% of steps were sound: outcome %d, process %d (-1: never).", ro, rp))
	x := make([]float64, len(outcome))
	var so, sp, lo, lp []float64
	for i := range outcome {
		x[i] = float64(outcome[i].Samples)
		so, sp = append(so, outcome[i].SoundRate()), append(sp, process[i].SoundRate())
		lo, lp = append(lo, outcome[i].Lucky), append(lp, process[i].Lucky)
	}
	fig, err := plots.Lines("How fast sound reasoning spreads", "answers sampled", "share of steps that are sound", x,
		[]plots.Series{{Name: "outcome reward", Y: so}, {Name: "process reward", Y: sp}}, nil)
	nb.Must(err)
	nb.Figure("The share of sound steps while training on each reward, exact at every update", fig)
	nb.Check("the process reward reaches a sound-step share of 0.8 before the outcome reward", truth == 1,
		"credit at the end is shared by every step, sound or not, so each update says little about any one step; judging steps directly tells the policy which step to change")

	// %% [markdown]
	// ## Lucky answers
	//
	// At the start, more than half of the reference policy's right answers
	// contain a flawed step (the numbers above). The outcome reward pays
	// every one of them in full, flaws included; the process reward
	// charges each flawed step a penalty wherever the answer ends. How
	// much of the outcome reward's first payments go to answers with a
	// flaw?

	// %%
	share := st.Lucky / st.Right
	fmt.Printf("at the reference policy, %.0f%% of the outcome reward paid goes to answers containing a flawed step\n", 100*share)
	nb.Check("at the start, the outcome reward pays a large share of its reward (over a third) to answers with a flawed step",
		share > 1.0/3, "a right final answer does not mean right reasoning: luck after a flaw is paid like a sound derivation")
	fig, err = plots.Lines("Right by luck", "answers sampled", "probability of a right answer after a flawed step", x,
		[]plots.Series{{Name: "outcome reward", Y: lo}, {Name: "process reward", Y: lp}}, nil)
	nb.Must(err)
	nb.Figure("The probability of an answer that is right after a flawed step, exact at every update", fig)
	mo, mp := meanLucky(outcome), meanLucky(process)
	fmt.Printf("averaged over the run: outcome %.4f, process %.4f\n", mo, mp)
	if maxSteps <= 6 {
		nb.Check("lucky answers are more likely along the outcome-trained run", mo > mp,
			"an outcome reward cannot tell a right answer reached soundly from one reached by luck: both are paid in full, and flawed steps linger")
	}

	// %% [markdown]
	// Both runs drive lucky answers down, because flawed steps make wrong
	// answers more often than right ones; with short answers (a step
	// limit up to 6) the outcome-trained run keeps more of them along the
	// way. Raise `max_steps` to 8 or more and the order can flip: the
	// process reward pays for every sound step, so its policy writes
	// longer answers, and each extra step is another chance of a flaw.
	// Credit is not the only thing that differs between the two rewards;
	// what they pay for shapes the answers too.

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
	nb.Check("the process gradient keeps at least ten times the outcome's signal-to-noise ratio at every step limit",
		snrP[0] > 10*snrO[0] && snrP[3] > 10*snrO[3], "a step's own reward is not shared with the other steps")

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
	learned := train(&seq.Settings{Reward: seq.Process, PRM: prm, Steps: updates})
	rl := reached(learned)
	last := func(p []seq.Point) seq.Point { return p[len(p)-1] }
	nb.Table([]string{"reward", "labels bought", "answers to a sound share of 0.8", "right at the end"}, [][]string{
		{"outcome", fmt.Sprintf("%d (one per sampled answer)", last(outcome).Samples), fmt.Sprint(ro), fmt.Sprintf("%.3f", last(outcome).Right)},
		{"exact step labels", fmt.Sprintf("about %.0f (every step sampled)", stepLabels(process, 64)), fmt.Sprint(rp), fmt.Sprintf("%.3f", last(process).Right)},
		{"process reward model", fmt.Sprintf("%d (the steps of %d answers)", prm.Labels, labels), fmt.Sprint(rl), fmt.Sprintf("%.3f", last(learned).Right)},
	})
	nb.Check("the process reward model, trained on the labelled steps of the reference policy's answers, still beats the outcome reward to a sound share of 0.8",
		rl >= 0 && (ro < 0 || rl < ro),
		"even a learned, noisy step score tells the policy which step to change; label noise shrinks its scores, which slows it, but does not remove that")

	// %% [markdown]
	// A process reward model is a learned reward like any other. With
	// very few noisy labels it is wrong where the labels were thin, and a
	// policy optimising it finds those places (try `rlhfsim seq
	// --rewards prm --labels 5 --label-noise 0.4 --seed 2`): the
	// overoptimisation of lesson 07 happens to step scores too.

	// %%
	nb.Quiz("A policy is trained on whether its final answer to maths problems is right. Why can this reward flawed reasoning?",
		[]string{"because the reward is binary",
			"because every step of an answer shares the one reward at its end, so the flawed steps of an answer that is right by luck are reinforced with the rest",
			"because the policy has too few parameters",
			"because the KL penalty favours flawed steps"}, 1,
		"An outcome reward sees only the end. Credit flows back to every step of the answer, and a lucky right answer carries its flawed steps along.")
	nb.TrueFalse("Process supervision needs more human effort per answer than outcome supervision.", true,
		"A step label needs someone to judge each step; an outcome label needs one check of the final answer, often done by a program.")
}
