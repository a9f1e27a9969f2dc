// Title: Verifiers and reward models
// Summary: Exact checks where answers can be checked, learned judgement where they cannot. Optimise each and watch what gets exploited: length and cues for the reward model, nothing for a verifier, until its own weak tests are found.
// Minutes: 20
// Learn-before: 07-length-hacking
// Learn-after: 13-keeping-honest
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/verify"
)

// optimise runs the pipeline at beta 0.02 for 600 steps against reward r,
// with a verifier configured by v (nil for the defaults) and best-of-n for
// the listed n. A verifier's reward is at most 1, so it moves the policy
// slowly: the small beta and the long run give it room.
func optimise(seed uint64, r pipeline.Reward, v *verify.Settings, bon []int) *pipeline.Result {
	c := pipeline.Default()
	c.Seed = seed
	c.Policy.Prompts = 100
	c.Policy.Reward, c.Policy.Verifier = r, v
	c.Policy.Settings.Beta, c.Policy.Settings.Steps = 0.02, 600
	c.Policy.BoN = bon
	res, err := pipeline.Run(c, nil)
	nb.Must(err)
	return res
}

// upTo returns a run's KL, gold and proxy for the steps up to KL max.
func upTo(r *pipeline.Result, max float64) plots.Curve {
	var c plots.Curve
	for _, st := range r.Run.Steps {
		if st.KL > max {
			break
		}
		c.KL, c.Gold, c.Proxy = append(c.KL, st.KL), append(c.Gold, st.Gold), append(c.Proxy, st.Proxy)
	}
	return c
}

// goldAt returns the gold reward of the last step of r whose KL is at
// most kl.
func goldAt(r *pipeline.Result, kl float64) float64 {
	g := r.Run.Steps[0].Gold
	for _, st := range r.Run.Steps {
		if st.KL <= kl {
			g = st.Gold
		}
	}
	return g
}

// best returns the highest gold reward of a run.
func best(r *pipeline.Result) float64 {
	pk, _ := r.GoldPeak()
	return r.Run.Steps[pk].Gold
}

func main() {
	// %% [markdown]
	// A reward model is a learned judge: it gives a score to any answer,
	// and it can be wrong in ways a policy finds (lesson 07). For some
	// questions there is a better judge. Code can be run against tests; a
	// fact can be compared with a reference answer. A **verifier** checks
	// whether an answer is right. It does not learn, so it has no weights
	// on length or flattery for a policy to exploit; but it exists only
	// where answers can be checked.
	//
	// In this world the factual and coding prompts have a verifier: an
	// answer is right when its correctness is above a bar (0 by default,
	// about half of the base policy's answers). Advice and creative
	// prompts have none. We optimise the same policy twice, once against
	// the learned reward model and once against the verifier's verdict,
	// and reveal the gold reward of both.

	// %%
	seed := nb.Seed()
	rm := optimise(seed, pipeline.RewardModel, &verify.Settings{}, nil)
	ver := optimise(seed, pipeline.RewardVerifier, nil, []int{1, 16, 256})
	fmt.Printf("the verifier checks %.0f%% of the policy's prompts\n", 100*ver.Verifier.Coverage)

	// %% [markdown]
	// Before you look: which run reaches the higher gold reward at its
	// best moment?

	// %%
	br, bv := best(rm), best(ver)
	higher := 1
	if br > bv {
		higher = 0
	}
	nb.Predict("Which run's gold reward reaches higher at its best?",
		[]string{"the run against the reward model", "the run against the verifier"}, higher,
		fmt.Sprintf("Best gold: reward model %+.2f, verifier %+.2f (both start at %+.2f).", br, bv, rm.Run.Steps[0].Gold))
	// Steps are not a fair clock: the reward model's scores span a few
	// units and the verdict at most 1, so one run moves much further per
	// step. Distance from the base policy is the fair axis, as in lesson
	// 08: gold gain against d = sqrt(KL), up to KL 25.
	fig, err := plots.GoldFrontier("Gold gain per distance spent", []plots.NamedCurve{
		{Name: "against the reward model", Curve: upTo(rm, 25)}, {Name: "against the verifier", Curve: upTo(ver, 25)}}, nil, nil)
	nb.Must(err)
	nb.Figure("The hidden gold reward's gain against d = sqrt(KL) for each run, up to KL 25", fig)
	vKL := ver.Run.Steps[600].KL
	rAt := goldAt(rm, vKL)
	fmt.Printf("at KL %.2f, where the verifier run ends: gold %+.2f against the reward model, %+.2f against the verifier\n", vKL, rAt, ver.Run.Steps[600].Gold)
	nb.Check("at the distance where the verifier run ends, the reward-model run had already gained more gold", rAt > ver.Run.Steps[600].Gold,
		"by construction of this world: the reward model learned from annotators who judge helpfulness, clarity and harmlessness as well as correctness, on every prompt; the verdict pays for correctness alone, on the checked prompts")
	endR, endV := rm.Run.Steps[600], ver.Run.Steps[600]
	fmt.Printf("after 600 steps: gold %+.2f against the reward model, %+.2f against the verifier\n", endR.Gold, endV.Gold)
	peak, _ := rm.GoldPeak()
	nb.Check("against the reward model, gold peaks early and then falls below where it started", peak < 150 && endR.Gold < rm.Run.Steps[0].Gold,
		"a learned reward is trusted far outside the answers it was trained on; the policy goes where it is wrong")
	nb.Check("against the verifier, gold never falls back: the last step is within 0.02 of the best", endV.Gold > bv-0.02,
		"a verdict is capped at a pass; once an answer passes there is nothing more to gain, so nothing pushes the policy into answers that are worse")

	// %% [markdown]
	// The reward model wins the race and loses the war. It learned what
	// annotators like, helpfulness and clarity as well as correctness, so
	// it improves the gold reward fast; and it learned length and the cues
	// that travel with quality, so it keeps paying as the policy pushes
	// them far past sense. The verifier rewards correctness alone: slower,
	// smaller, but nothing it pays for turns bad. Compare what each run
	// did to the features a learned reward is exploited through.

	// %%
	base := rm.Run.Steps[0]
	cue := verify.Exploit
	nb.Table([]string{"run", "length change (log tokens)", "cue-01 change (sd)", "right answers (checked prompts)"}, [][]string{
		{"reward model", fmt.Sprintf("%+.2f", endR.Length-base.Length), fmt.Sprintf("%+.2f", endR.Features[cue]-base.Features[cue]), "-"},
		{"verifier", fmt.Sprintf("%+.3f", endV.Length-base.Length), fmt.Sprintf("%+.3f", endV.Features[cue]-base.Features[cue]),
			fmt.Sprintf("%.2f -> %.2f", ver.Verifier.Steps[0].Right, ver.Verifier.Steps[600].Right)},
	})
	nb.Check("the verifier run leaves length and the cues where they were (within 0.05)",
		endV.Length-base.Length < 0.05 && base.Length-endV.Length < 0.05 &&
			endV.Features[cue]-base.Features[cue] < 0.05 && base.Features[cue]-endV.Features[cue] < 0.05,
		"a verifier looks only at whether the answer is right, so nothing else earns reward")

	// %% [markdown]
	// Per unit of distance the reward model is the better judge here; what
	// hurts is where it keeps going. Many pipelines add the two: the
	// reward model's score plus a bonus for a pass (`--reward mix` on the
	// command line). Does the bonus hold the policy back?

	// %%
	mix := optimise(seed, pipeline.RewardMix, nil, nil)
	pm, _ := mix.GoldPeak()
	endM := mix.Run.Steps[600]
	fmt.Printf("reward model plus %d for a pass: gold peaks at %+.2f (KL %.1f) and ends at %+.2f (KL %.0f, length %+.2f log tokens)\n",
		pipeline.DefaultVerifierWeight, mix.Run.Steps[pm].Gold, mix.Run.Steps[pm].KL, endM.Gold, endM.KL, endM.Length-mix.Run.Steps[0].Length)
	nb.Check("adding the verdict to the reward model does not stop the fall: the mixed run also ends below its start", endM.Gold < mix.Run.Steps[0].Gold,
		"the bonus for a pass is capped; the reward model's part is not, and once answers pass it drives the policy as before. The verifier run alone, without that part, never fell")

	// %% [markdown]
	// ## Where there is no verifier
	//
	// Best-of-n shows the verifier's reach most plainly, because it works
	// prompt by prompt: draw n answers from the base policy and keep one
	// that passes (any one: the verdicts tie). On an advice prompt there is
	// no verdict, every answer ties, and best-of-n is just the base policy.

	// %%
	bc, bo := ver.Verifier.BoNChecked, ver.Verifier.BoNOpen
	var rows [][]string
	for i := range bc {
		rows = append(rows, []string{fmt.Sprint(bc[i].N), fmt.Sprintf("%+.3f", bc[i].Gold), fmt.Sprintf("%.3f", bc[i].KL),
			fmt.Sprintf("%+.3f", bo[i].Gold), fmt.Sprintf("%.3f", bo[i].KL)})
	}
	nb.Table([]string{"n", "gold, checked prompts", "KL, checked", "gold, open-ended prompts", "KL, open-ended"}, rows)
	last := len(bc) - 1
	nb.Check("best-of-n by the verifier raises gold on the checked prompts and leaves the open-ended ones exactly at the base policy",
		bc[last].Gold > bc[0].Gold+0.3 && bo[last].Gold == bo[0].Gold && bo[last].KL == 0,
		"a verifier can only select where it can check; elsewhere every answer gets the same (no) verdict")

	// %% [markdown]
	// ## A verifier's own weakness
	//
	// Real verifiers are imperfect. Unit tests can be weak: they check a
	// few examples, and code that special-cases those examples passes
	// without being right. Here the weak tests pass a wrong answer with
	// probability `weak_tests` when it carries a trait the gold reward
	// ignores (cue-01, "output shaped like the tests' examples"). A
	// base-policy answer sits in that blind spot about a fifth of the
	// time.
	//
	// On easy problems honest work pays, and a policy has no need of the
	// hole. On hard ones (at a `bar` of 2, about 3% of base answers are right) it
	// is easier to shape answers like the examples than to be right.

	// %%
	bar := nb.Float("bar", 2, 1.5, 2.5, "correctness a right answer needs, in standard deviations (hard problems)")
	weak := nb.Float("weak_tests", 0.9, 0.5, 1, "chance that a wrong answer deep in the tests' blind spot passes")
	hole := optimise(seed, pipeline.RewardVerifier, &verify.Settings{Bar: bar, WeakTests: weak}, nil)
	sound := optimise(seed, pipeline.RewardVerifier, &verify.Settings{Bar: bar}, nil)
	var pass, right, fair []float64
	xs := make([]float64, len(hole.Verifier.Steps))
	for i, s := range hole.Verifier.Steps {
		xs[i] = float64(s.Step)
		pass, right = append(pass, s.Pass), append(right, s.Right)
		fair = append(fair, sound.Verifier.Steps[i].Right)
	}
	fig, err = plots.Lines("Passing is not being right", "policy step", "probability (checked prompts)", xs, []plots.Series{
		{Name: "weak tests: passed", Y: pass, Color: 1, Dashed: true}, {Name: "weak tests: right", Y: right, Color: 1},
		{Name: "sound tests: right (= passed)", Y: fair, Color: 2}}, nil)
	nb.Must(err)
	nb.Figure("What the verifier passes and what is right, against weak and against sound tests", fig)
	h, s := hole.Verifier.Steps[600], sound.Verifier.Steps[600]
	hc := hole.Run.Steps[600].Features[cue] - hole.Run.Steps[0].Features[cue]
	fmt.Printf("weak tests: passed %.2f, right %.2f, cue-01 moved %+.2f sd; sound tests: right %.2f\n", h.Pass, h.Right, hc, s.Right)
	fmt.Printf("gold after 600 steps: weak tests %+.2f, sound tests %+.2f\n", hole.Run.Steps[600].Gold, sound.Run.Steps[600].Gold)
	found := hc > 1
	nb.Check("weak tests never make answers more often right than sound tests do", h.Right <= s.Right+0.02,
		"a blind spot in the tests can only pay for wrong answers; it never helps a right one")
	if bar >= 2 && weak >= 0.9 {
		nb.Check("on hard problems with weak tests, the policy found the blind spot: cue-01 moved up by more than one standard deviation", found,
			"nothing in the verdict says why an answer passed; the policy moves whatever raises the pass rate, and here the blind spot is cheaper than being right")
		nb.Check("against weak tests the pass rate ends far above the right rate (by 0.3 or more)", h.Pass-h.Right >= 0.3,
			"an exact check is only as exact as its tests: where passing is cheaper than being right, the policy learns to pass")
	}
	if found {
		nb.Check("having found the blind spot, the policy ends with a lower gold reward than against sound tests", hole.Run.Steps[600].Gold < sound.Run.Steps[600].Gold,
			"every step spent on the blind spot is a step not spent on being right, and the trait itself turns answers incoherent at the extreme")
	} else {
		fmt.Println("the policy did not go far into the blind spot here: being right paid better. Raise bar or weak_tests and run again.")
	}

	// %% [markdown]
	// Try `bar` 1.5 with `weak_tests` 0.5: when honest work pays about as
	// well as the hole, the policy goes only part of the way into it, and
	// the weak tests cost fewer right answers. The hole matters most where
	// problems are hard and the tests are easy to fool.

	// %% [markdown]
	// A verifier is exploitable too, but only through its own flaw, and a
	// flaw in a program can be found and fixed: read the answers that pass,
	// add tests. A reward model's flaws are spread over every direction it
	// learned from finite data. That is why many training pipelines use
	// verifiers where answers can be checked and reward models for the
	// rest.

	// %%
	nb.Quiz("In this simulator, why does optimising the verifier leave answer length where it was, where optimising the reward model of lesson 07 lengthened it?",
		[]string{"because the verifier was trained on more data than the reward model, so it learned that length does not predict a right answer",
			"because here the verdict depends only on correctness, and nothing in this world ties correctness to length",
			"because the KL penalty is larger for verifiers",
			"because verifiers score only short answers"}, 1,
		"A learned reward model weighs every feature that predicted the annotators' choices, length included; this world's verdict weighs correctness alone. In practice RL with verifiable rewards has lengthened answers: DeepSeek-R1-Zero's (2025) responses grew to thousands of tokens during RL, which its authors read as the model learning to reason at greater length; later work (Liu et al., 2025) traces part of that growth to how GRPO normalises by length. This world leaves all of it out: an answer's length here does not change its chance of being right.")
	nb.TrueFalse("Some prompts of a chat assistant have no verifier, so a reward model is still needed for them.", true,
		fmt.Sprintf("Only prompts whose answers can be checked have one: here %.0f%% of them. Advice or a story has no test to pass.", 100*ver.Verifier.Coverage))
}
