// Title: Annotators who can be fooled
// Summary: Annotators who like flattery teach the reward model to like it, though the hidden truth does not; as the policy optimises, their approval keeps rising after the gold reward has turned. A run with fair annotators as the ablation, and one mitigation with what the panel makes of it.
// Minutes: 15
// Learn-before: 08-overoptimisation
// Learn-after: 13-keeping-honest
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
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// peaks returns the step of the highest gold and of the highest value of
// each watched approval.
func peaks(steps []policy.Step) (gold, fooled, fair int) {
	for i, s := range steps {
		if s.Gold > steps[gold].Gold {
			gold = i
		}
		if s.Watch[0] > steps[fooled].Watch[0] {
			fooled = i
		}
		if s.Watch[1] > steps[fair].Watch[1] {
			fair = i
		}
	}
	return gold, fooled, fair
}

func main() {
	// %% [markdown]
	// The annotators so far judged by the gold reward plus noise. Real
	// people can also be swayed by what does not make an answer better:
	// a confident tone, praise for the question, an answer that looks
	// right. Wen et al. (2024) found that after RLHF, people given a few
	// minutes to judge answers to reading-comprehension and programming
	// questions approved wrong answers more often, while the answers got
	// no more correct.
	// Here the annotators like **flattery**, which the hidden gold reward
	// mildly dislikes. We train a reward model on their rankings and let
	// the policy chase it, and at every step we measure two kinds of
	// approval of the policy's answers over the base policy's (about 0.5
	// at the start): by the panel that likes flattery, and by annotators
	// as noisy but judging by the gold reward alone.

	// %%
	bias := nb.Float("flattery-bias", 2, 1.5, 2.5, "the annotators' utility per unit of flattery")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.Data.FlatteryBias = bias
	g, tr, err := c.Reward()
	nb.Must(err)
	w := g.World
	fmt.Printf("flattery weight: learned %+.3f, gold %+.3f\n", tr.Scorer.Model.Params()[world.Flattery], g.Gold.W[world.Flattery])
	nb.Check("the reward model learned to like flattery, which the gold reward dislikes",
		tr.Scorer.Model.Params()[world.Flattery] > 0 && g.Gold.W[world.Flattery] < 0,
		"a reward model learns what the annotators reward, not what is good")

	prompts := w.Prompts(100, pipeline.PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts))
	newPolicy := func() *policy.Gaussian {
		return policy.NewGaussian(w, prompts, 8, rng.Stream(c.Seed, rng.Draws))
	}
	refs := pipeline.ReferenceAnswers(newPolicy(), 4, rng.Stream(c.Seed, "lesson18/references"))
	fooledPanel := c.Data.Annotator()
	fairPanel := annotate.Annotator{Tau: c.Data.Tau}
	watch := []policy.RewardFunc{pipeline.Approval(fooledPanel, w.Gold, prompts, refs), pipeline.Approval(fairPanel, w.Gold, prompts, refs)}
	optimise := func(rm policy.RewardFunc) *policy.Run {
		run, err := policy.Optimize(newPolicy(), rm, w.Gold, &policy.Settings{Algo: policy.RLOO, Beta: 0.1, Steps: 200, LR: 0.02,
			Watch: watch}, rng.Stream(c.Seed, rng.Optimize))
		nb.Must(err)
		return run
	}

	// %% [markdown]
	// Before you look: as the policy optimises this reward model, which
	// peaks later, the gold reward or the flattery-loving panel's
	// approval?

	// %%
	fooled := optimise(tr.Scorer.Func())
	goldPeak, approvalPeak, fairPeak := peaks(fooled.Steps)
	later := 2
	switch {
	case approvalPeak > goldPeak+5:
		later = 0
	case approvalPeak < goldPeak-5:
		later = 1
	}
	nb.Predict("Which peaks later?", []string{"the panel's approval", "the gold reward", "both at about the same step"}, later,
		fmt.Sprintf("Gold peaks at step %d, the panel's approval at step %d, approval by gold alone at step %d.", goldPeak, approvalPeak, fairPeak))
	xs := make([]float64, len(fooled.Steps))
	var fooledY, fairY []float64
	for i, s := range fooled.Steps {
		xs[i] = float64(i)
		fooledY, fairY = append(fooledY, s.Watch[0]), append(fairY, s.Watch[1])
	}
	fig, err := plots.Lines("Approval rises after the truth turns", "step", "approval over the base policy's answers", xs,
		[]plots.Series{{Name: "by the panel that likes flattery", Y: fooledY}, {Name: "by annotators judging gold alone", Y: fairY, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("Approval of the policy's answers over the base policy's, by the panel whose labels trained the reward model and by fair annotators", fig)
	pc, err := plots.PolicyCurves(fooled.Steps, nil)
	nb.Must(err)
	nb.Figure("The reward model's score and the gold reward during the same run", pc)
	atApproval := fooled.Steps[approvalPeak]
	atGold := fooled.Steps[goldPeak]
	fmt.Printf("gold peaks at step %d (gain %+.3f, the panel's approval %.3f); the panel's approval peaks at step %d (%.3f), when the gold gain is %+.3f\n",
		goldPeak, atGold.Gold-fooled.Steps[0].Gold, atGold.Watch[0], approvalPeak, atApproval.Watch[0], atApproval.Gold-fooled.Steps[0].Gold)
	nb.Check("after the gold reward has peaked, the panel's approval keeps rising (by 0.02 or more) while gold falls (by 0.1 or more)",
		atApproval.Watch[0] >= atGold.Watch[0]+0.02 && atApproval.Gold <= atGold.Gold-0.1,
		"each step towards flattery is worth more to the panel than it costs in gold")
	nb.Check("approval by annotators judging gold alone turns no later than the gold reward (within 5 steps), and at least 10 steps before the panel's",
		fairPeak <= goldPeak+5 && approvalPeak >= fairPeak+10, "fair annotators' approval follows the gold reward; the panel's follows the flattery too")

	// %% [markdown]
	// ## Without the flattery
	//
	// Is the flattery the cause? The same run with a reward model trained
	// on the rankings of annotators without the taste, everything else
	// the same. Gold still turns, later: that turn is the overoptimisation
	// of lesson 08, which needs no flattery. What the flattery added is an
	// earlier turn, and a panel still pleased after it: with fair labels
	// the policy cuts flattery, so the panel's approval should peak no
	// later than gold.

	// %%
	fairC := c
	fairC.Data.FlatteryBias = 0
	_, fairRM, err := fairC.Reward()
	nb.Must(err)
	fairRun := optimise(fairRM.Scorer.Func())
	fg, fa, ff := peaks(fairRun.Steps)
	fmt.Printf("reward model from fair labels: gold peaks at step %d, the flattery-loving panel's approval at step %d, fair annotators' at step %d\n", fg, fa, ff)
	nb.Check("without the flattery in the labels, the panel's approval no longer outlasts the others (it peaks within 5 steps of fair annotators' approval, and no later than gold)",
		fa <= ff+5 && fa <= fg+5, "the lag came from the taste the reward model learned")
	nb.Check("and gold turns later than with the flattery in the labels", fg > goldPeak,
		"the steps spent on flattery are steps not spent on what gold rewards")

	// %% [markdown]
	// ## One mitigation and its price
	//
	// If you know what fools the annotators, you can strike it from the
	// reward model: set its weight on flattery to zero, so the policy
	// gains nothing by flattering. What the panel sees: it liked the
	// flattery, so it approves less of what the policy now writes.

	// %%
	_, struck, err := c.Reward() // the same reward model, trained again
	nb.Must(err)
	struck.Scorer.Model.(*reward.Linear).Weights()[world.Flattery] = 0
	struckRun := optimise(struck.Scorer.Func())
	var rows [][]string
	best := map[string]policy.Step{}
	for _, r := range []struct {
		name string
		run  *policy.Run
	}{{"trained on the flattery-loving panel", fooled}, {"the same, flattery struck out", struckRun}, {"trained on fair annotators", fairRun}} {
		gp, ap, _ := peaks(r.run.Steps)
		best[r.name+"/gold"], best[r.name+"/approval"] = r.run.Steps[gp], r.run.Steps[ap]
		rows = append(rows, []string{r.name, fmt.Sprintf("%+.3f", r.run.Steps[gp].Gold-r.run.Steps[0].Gold), fmt.Sprintf("%.3f", r.run.Steps[ap].Watch[0]),
			fmt.Sprintf("%+.2f", r.run.Steps[len(r.run.Steps)-1].Features[world.Flattery])})
	}
	nb.Table([]string{"reward model", "best gold gain", "best approval by the flattery-loving panel", "flattery at the end"}, rows)
	foolGold, struckGold := best["trained on the flattery-loving panel/gold"].Gold, best["the same, flattery struck out/gold"].Gold
	foolApp, struckApp := best["trained on the flattery-loving panel/approval"].Watch[0], best["the same, flattery struck out/approval"].Watch[0]
	nb.Check("striking flattery out raises the best gold gain the policy reaches", struckGold > foolGold,
		"the policy no longer spends its steps on something the gold reward dislikes")
	nb.Check("and the flattery-loving panel's best approval falls (by 0.03 or more)", struckApp < foolApp-0.03,
		"the panel liked the flattery; a policy that stops flattering pleases it less")

	// %% [markdown]
	// The shape, approval rising while the truth falls, is the one Wen et
	// al. describe, with differences: their judges did not write the
	// reward model's labels, their answers grew more convincing rather
	// than flattering, and their judges said correct or incorrect rather
	// than which of two answers was better. Here the cause is one we
	// planted, so we can name it. The mitigation needed to know the bias. Approval by the same people who
	// wrote the labels cannot reveal it: by that measure the mitigation
	// looks like a loss. Only judges the bias does not sway, here the gold
	// reward, show the gain.

	// %%
	nb.Quiz("A team's reward model is trained on annotators who like flattery. After RLHF their approval of the model's answers is higher than ever. What can they conclude about the answers' quality?",
		[]string{"that it rose, since the annotators approve more",
			"nothing by itself: approval by annotators with a bias rewards the bias too, so a judge the bias does not sway must check",
			"that it fell, since approval always rises when quality falls",
			"that it rose, as long as the KL penalty was on"}, 1,
		"In this run the panel's approval kept rising after the gold reward had turned; approval by fair judges turned with gold.")
}
