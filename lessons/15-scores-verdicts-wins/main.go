// Title: Scores, verdicts and wins
// Summary: One reward model, three ways to reward the policy: its continuous score, a pass-or-fail verdict, or a win over one reference answer. Which teaches fastest, and what the difference is made of: the reward's scale, the signal in each answer, or the noise.
// Minutes: 15
// Learn-before: 06-policy-gradient
// Learn-after: 12-verifiers
package main

import (
	"fmt"
	"math"
	"sort"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// reached is the first step whose gold gain over step 0 is at least
// target; one past the last step if none is.
func reached(steps []policy.Step, target float64) int {
	for _, s := range steps {
		if s.Gold-steps[0].Gold >= target {
			return s.Step
		}
	}
	return len(steps)
}

// shown writes a step count from reached, with "more than" for a run that
// never got there.
func shown(at, steps int) string {
	if at > steps {
		return fmt.Sprintf("more than %d", steps)
	}
	return fmt.Sprint(at)
}

// gainAtKL is the gold gain at the first step whose KL reaches kl, or
// NaN if none does.
func gainAtKL(steps []policy.Step, kl float64) float64 {
	for _, s := range steps {
		if s.KL >= kl {
			return s.Gold - steps[0].Gold
		}
	}
	return math.NaN()
}

// dot is the inner product of a and b.
func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// gains returns each step's gold gain over step 0.
func gains(steps []policy.Step) []float64 {
	var out []float64
	for _, s := range steps {
		out = append(out, s.Gold-steps[0].Gold)
	}
	return out
}

func main() {
	// %% [markdown]
	// A reward model is trained on comparisons, yet what it hands the
	// policy is richer than a comparison: a number for every answer, high
	// for good answers and higher for better ones. This lesson asks what
	// that number is worth. The same trained reward model rewards the
	// policy in three ways:
	//
	// - **score**: its score, as in lesson 06;
	// - **verdict**: 1 if the score clears a bar, else 0 (pass or fail);
	// - **win**: 1 if the score beats that of one fixed reference answer
	//   to the same prompt, else 0, as a judge comparing with a reference
	//   would give.
	//
	// All three rise with the score: none prefers an answer the score ranks
	// lower. The bar is set so that a chosen share of the base policy's
	// answers pass.

	// %%
	c := pipeline.Default()
	c.Seed = nb.Seed()
	g, tr, err := c.Reward()
	nb.Must(err)
	w := g.World
	passRate := nb.Float("pass-rate", 0.5, 0.3, 0.7, "share of the base policy's answers the verdict passes")
	steps := nb.Int("steps", 100, 60, 300, "policy-gradient steps of each run")
	prompts := w.Prompts(100, pipeline.PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts))
	newPolicy := func() *policy.Gaussian {
		return policy.NewGaussian(w, prompts, 8, rng.Stream(c.Seed, rng.Draws))
	}

	// Base-policy answers: 20 per prompt to place the bar and standardise
	// the rewards, and one per prompt as its reference answer.
	base := newPolicy()
	src := rng.Stream(c.Seed, "lesson15/base")
	var bPrompts []world.Prompt
	var bPhis [][]float64
	var scores []float64
	reference := map[int]float64{}
	for i, p := range prompts {
		reference[p.ID] = tr.Scorer.Score(base.Sample(i, src).Phi)
		for k := 0; k < 20; k++ {
			phi := base.Sample(i, src).Phi
			bPrompts, bPhis, scores = append(bPrompts, p), append(bPhis, phi), append(scores, tr.Scorer.Score(phi))
		}
	}
	sort.Float64s(scores)
	bar := scores[int((1-passRate)*float64(len(scores)))]
	rewards := map[string]policy.RewardFunc{
		"score":   tr.Scorer.Func(),
		"verdict": policy.Pass(tr.Scorer.Func(), bar),
		"win":     policy.Win(tr.Scorer.Func(), reference),
	}
	names := []string{"score", "verdict", "win"}
	fmt.Printf("reward model: test accuracy %.3f; the bar is a score of %+.2f\n", tr.Metrics.TestAccuracy, bar)

	// %% [markdown]
	// ## Which teaches fastest?
	//
	// Each reward trains a fresh copy of the generative policy with RLOO,
	// with the same learning rate, KL coefficient (0.1) and samples per
	// step. Before you look: which reaches a given gain in the hidden gold
	// reward in the fewest steps?

	// %%
	set := policy.Settings{Algo: policy.RLOO, Beta: 0.1, Steps: steps, LR: 0.02}
	train := func(f policy.RewardFunc, s policy.Settings) *policy.Run {
		run, err := policy.Optimize(newPolicy(), f, w.Gold, &s, rng.Stream(c.Seed, rng.Optimize))
		nb.Must(err)
		return run
	}
	runs := map[string]*policy.Run{}
	for _, n := range names {
		runs[n] = train(rewards[n], set)
	}
	// The target: a third of the best gold gain the score's run reaches.
	target := 0.0
	for _, g := range gains(runs["score"].Steps) {
		target = math.Max(target, g/3)
	}
	at := map[string]int{}
	for _, n := range names {
		at[n] = reached(runs[n].Steps, target)
	}
	fastest := 0
	for i, n := range names {
		if at[n] < at[names[fastest]] {
			fastest = i
		}
	}
	nb.Predict("Which reward reaches the gold gain first?", []string{"the score", "the verdict", "the win", "all at about the same step"}, fastest,
		fmt.Sprintf("Steps to a gold gain of %.2f: score %s, verdict %s, win %s.", target, shown(at["score"], steps), shown(at["verdict"], steps), shown(at["win"], steps)))
	xs := make([]float64, steps+1)
	for i := range xs {
		xs[i] = float64(i)
	}
	var series []plots.Series
	for _, n := range names {
		series = append(series, plots.Series{Name: n, Y: gains(runs[n].Steps)})
	}
	fig, err := plots.Lines("Three rewards from one reward model", "step", "gold gain over the base policy", xs, series, nil)
	nb.Must(err)
	nb.Figure("Gold gain of the policy trained on the reward model's score, on its verdict and on wins over a reference answer", fig)
	var rows [][]string
	for _, n := range names {
		last := runs[n].Steps[steps]
		rows = append(rows, []string{n, shown(at[n], steps), fmt.Sprintf("%+.2f", last.Gold-runs[n].Steps[0].Gold), fmt.Sprintf("%.2f", last.KL)})
	}
	nb.Table([]string{"reward", fmt.Sprintf("steps to a gold gain of %.2f", target), "gold gain at the end", "KL at the end"}, rows)
	nb.Check("the score reaches the gold gain first, in fewer than half the steps the verdict and the win take",
		at["score"] <= steps && at["verdict"] > 2*at["score"] && at["win"] > 2*at["score"],
		"the score is a graded reward for every answer; a verdict or a win gives each answer one bit")

	// %% [markdown]
	// ## Part of it is only scale
	//
	// This policy takes plain natural-gradient steps: each moves its
	// parameters by the learning rate times the gradient of the reward
	// minus the KL penalty, scaled by the policy's own geometry. Double the
	// reward and the first step is exactly twice as long; later steps
	// about twice, since the KL penalty then weighs half as much against
	// it. The score's values spread with a standard deviation above 1,
	// the verdict's and the win's at most 0.5. A fair race puts every
	// reward on one scale: mean 0 and standard deviation 1 over the base
	// policy's answers. That is the normalisation Ziegler et al. (2019)
	// gave their reward model, so that the KL coefficient keeps one
	// meaning; here it serves to compare step lengths.

	// %%
	std := map[string]*policy.Run{}
	stdAt := map[string]int{}
	for _, n := range names {
		std[n] = train(policy.Standardize(rewards[n], bPrompts, bPhis), set)
		stdAt[n] = reached(std[n].Steps, target)
	}
	series = series[:0]
	for _, n := range names {
		series = append(series, plots.Series{Name: n + ", standardised", Y: gains(std[n].Steps)})
	}
	fig, err = plots.Lines("The same race on one scale", "step", "gold gain over the base policy", xs, series, nil)
	nb.Must(err)
	nb.Figure("Gold gain with each reward standardised on the base policy's answers", fig)
	fmt.Printf("steps to a gold gain of %.2f, standardised: score %s, verdict %s, win %s\n",
		target, shown(stdAt["score"], steps), shown(stdAt["verdict"], steps), shown(stdAt["win"], steps))
	nb.Check("on one scale the gap shrinks: the verdict needs a smaller multiple of the score's steps than before",
		stdAt["verdict"] <= steps && float64(stdAt["verdict"])/float64(stdAt["score"]) < float64(at["verdict"])/float64(at["score"]),
		"a natural-gradient step is as long as the reward is large; standardising takes scale out of the race")
	nb.Check("and the score still leads: the verdict and the win take more steps than it",
		stdAt["verdict"] > stdAt["score"] && stdAt["win"] > stdAt["score"],
		"on one scale what remains is how much each answer's reward says about which way is better")

	// %% [markdown]
	// ## Signal or noise?
	//
	// A verdict keeps one bit of each score. That could slow learning in
	// two ways: the gradient estimated from a batch of answers could be
	// **noisier**, or its **expected** push towards better answers could
	// be smaller. We estimate the gradient 100 times at the base policy
	// and measure both: the **signal**, the average estimate's component
	// along the score's own average gradient (how hard it pushes towards
	// answers the score prefers), and the **signal-to-noise ratio**, the
	// average estimate's squared length over one estimate's total
	// variance (itself estimated, so close values may swap between
	// runs).

	// %%
	gsrc := rng.Stream(c.Seed, "lesson15/gradients")
	moments := map[string]policy.Moments{}
	for _, n := range names {
		m, err := policy.GradientMoments(newPolicy(), policy.Standardize(rewards[n], bPrompts, bPhis),
			&policy.Estimate{Baseline: policy.LOOBaseline, Samples: 64, PerPrompt: 4}, 100, gsrc)
		nb.Must(err)
		moments[n] = m
	}
	// The signal is the mean gradient's component along the score's: how
	// hard it pushes the policy towards answers the score prefers.
	along := moments["score"].Mean[:world.NumFeatures]
	norm := math.Sqrt(dot(along, along))
	signal, snr := map[string]float64{}, map[string]float64{}
	for _, n := range names {
		m := moments[n]
		signal[n] = dot(m.Mean[:world.NumFeatures], along) / norm
		snr[n] = dot(m.Mean, m.Mean) / m.Variance
	}
	rows = rows[:0]
	for _, n := range names {
		rows = append(rows, []string{n, fmt.Sprintf("%.3f", signal[n]), fmt.Sprintf("%.0f%%", 100*signal[n]/signal["score"]), fmt.Sprintf("%.3f", snr[n])})
	}
	nb.Table([]string{"standardised reward", "signal: the mean gradient along the score's", "share of the score's signal", "signal-to-noise ratio (64 answers)"}, rows)

	// %% [markdown]
	// Is the noise what slows the verdict? If it were, more answers per
	// step would speed it up: sixteen times as many answers cut the
	// variance of each gradient estimate sixteen-fold. We rerun the
	// standardised verdict with 1,024 answers per step instead of 64.

	// %%
	many := set
	many.Samples = 16 * policy.DefaultSettings().Samples
	if stdAt["verdict"]+20 < steps {
		many.Steps = stdAt["verdict"] + 20 // enough to see whether it gets there sooner
	}
	manyAt := reached(train(policy.Standardize(rewards["verdict"], bPrompts, bPhis), many).Steps, target)
	fmt.Printf("standardised verdict: %s steps with 64 answers per step, %s with 1,024\n", shown(stdAt["verdict"], steps), shown(manyAt, steps))
	nb.Check("sixteen times as many answers per step change the verdict's pace by at most a fifth",
		manyAt <= steps && math.Abs(float64(manyAt-stdAt["verdict"])) <= 0.2*float64(stdAt["verdict"])+1,
		"plain natural-gradient steps add up the noise of tens of estimates, and it largely cancels; what sets the pace is the mean gradient")
	nb.Check("the signal is smaller for the verdict than for the score, and smaller still for the win",
		signal["verdict"] < signal["score"] && signal["win"] < signal["verdict"],
		"a pass says the answer cleared the bar, not by how much")

	// %% [markdown]
	// So with this policy's plain natural-gradient steps the noise is not
	// the brake; the pace follows the mean gradient. That is a property of
	// how this policy steps, not of verdicts in general: an optimiser that
	// rescales each step by the size of recent gradients treats noise
	// differently, and this lesson does not test one. Why is the verdict's
	// mean gradient smaller? A small shift of the policy changes its pass
	// rate only through answers near the bar, while it changes the mean
	// score through every answer. The win's bar is one random answer per
	// prompt, which may sit anywhere in that prompt's spread; where it sits
	// high or low, few answers are near it.
	//
	// ## Slower, not elsewhere
	//
	// For this policy, which shifts a Gaussian over the features, and a
	// linear reward model, every reward that rises with the score has its
	// mean gradient in the same direction (a consequence of Stein's
	// lemma): the model guarantees it, so the figure below shows it
	// rather than discovers it. Plotted against the square root of the KL
	// divergence from the base policy instead of steps, the three runs lie
	// on one curve; within a fixed number of steps the slower ones simply
	// get less far.

	// %%
	var curves []plots.NamedCurve
	for _, n := range names {
		curves = append(curves, plots.NamedCurve{Name: n + ", standardised", Curve: plots.StepsCurve(std[n].Steps)})
	}
	fig, err = plots.GoldFrontier("Slower, not elsewhere", curves, nil, nil)
	nb.Must(err)
	nb.Figure("Gold gain against sqrt(KL) for the three standardised rewards", fig)
	// The score's gold where its KL first reaches the verdict's final KL,
	// and the win's.
	vEnd, wEnd := std["verdict"].Steps[steps], std["win"].Steps[steps]
	vGain, wGain := gains(std["verdict"].Steps)[steps], gains(std["win"].Steps)[steps]
	sGain, swGain := gainAtKL(std["score"].Steps, vEnd.KL), gainAtKL(std["score"].Steps, wEnd.KL)
	fmt.Printf("at KL %.2f: verdict %+.3f gold, score %+.3f; at KL %.2f: win %+.3f, score %+.3f\n", vEnd.KL, vGain, sGain, wEnd.KL, wGain, swGain)
	nb.Check("at the KL the verdict ends at, and at the win's, the score's run had the same gold gain (within 0.1 or 10%)",
		math.Abs(sGain-vGain) <= math.Max(0.1, 0.1*math.Abs(vGain)) && math.Abs(swGain-wGain) <= math.Max(0.1, 0.1*math.Abs(wGain)),
		"every reward that rises with one linear score pushes this policy the same way; they differ in how fast they go")

	// %%
	nb.Quiz("Trained on the same reward model, why does the policy learn faster from its score than from a pass-or-fail verdict, even on one scale?",
		[]string{"noise alone explains the gap: a verdict run given enough answers per step would catch up with the score run",
			"the verdict's mean gradient is smaller: only answers near the bar move the pass rate",
			"a verdict points the policy in a different direction from the score",
			"a verdict cannot be optimised with policy gradients"}, 1,
		"With this policy's steps, the race with sixteen times as many answers rules out noise, the curves against KL rule out a different direction, and REINFORCE works with any reward, binary included: what differs is the size of the mean gradient.")
	nb.TrueFalse("Whitening a reward (mean 0, standard deviation 1) leaves unchanged which of any two answers it prefers.", true,
		"A shift and a positive scale keep every ordering; what they change is the length of each natural-gradient step, not its direction.")
}
