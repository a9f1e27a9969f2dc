// Title: Capstone: the flaw in your labels
// Summary: Your production annotators hide one flaw, or none: a liking for flattery, for length, for the answer shown first. Without the gold reward, find it with minimal pairs judged by a small jury that lacks the flaw, then choose where to stop the policy on a budget of 300 of the jury's comparisons, and be graded by the gold reward where you stop.
// Minutes: 30
// Learn-before: 07-length-hacking, 13-keeping-honest, 18-fooled-annotators
// Learn-after:
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// strength is how strongly the flaw sways the production annotators: 1.5
// units of utility per standard deviation of flattery or length, or 1.5,
// 1, 0.5 and 0 for the answers shown first to last (annotate.FlawOf).
const strength = 1.5

// flagAt is, for each probe (flattery, length, shown earlier), the gap
// between the production side and the fair side that flags a flaw. On
// seeds 1-6 in each of the four worlds, a flattery or length flaw's own
// probe showed a gap of about 0.2 or more, a position flaw's 0.10 or
// more, and every other probe within 0.05 (the jury's standard error at
// 300 comparisons is about 0.03). The position probe needs no jury, and
// its standard error over 2,000 rankings is about 0.011.
var flagAt = []float64{0.125, 0.125, 0.04}

// budget is the jury's comparisons for choosing where to stop.
const budget = 300

// minimal returns probe pair i for feature f: a base-policy answer and a
// copy with one standard deviation more of f. Half the pairs add to the
// answer, half take away from it, so a gold reward that bends (more
// length helps short answers and hurts long ones) bends both ways and
// leaves the average alone; more is the copy with more of f.
func minimal(refs map[int][][]float64, prompts []world.Prompt, f, i int) (p world.Prompt, more, less []float64) {
	p = prompts[i%len(prompts)]
	phi := refs[p.ID][(i/len(prompts))%len(refs[p.ID])]
	more = append([]float64(nil), phi...)
	less = append([]float64(nil), phi...)
	if i%2 == 0 {
		more[f] += world.FeatureSD(f)
	} else {
		less[f] -= world.FeatureSD(f)
	}
	return p, more, less
}

// shownEarlierWins is the share of a dataset's pairs whose winner was
// shown before its loser.
func shownEarlierWins(d *prefs.Dataset) float64 {
	n := 0
	for _, pr := range d.Pairs {
		if pr.W < pr.L {
			n++
		}
	}
	return float64(n) / float64(len(d.Pairs))
}

// peakOf returns the step of a run where the gold reward was highest.
func peakOf(steps []policy.Step) int {
	pk := 0
	for i := range steps {
		if steps[i].Gold > steps[pk].Gold {
			pk = i
		}
	}
	return pk
}

func main() {
	// %% [markdown]
	// This is the course's last problem, and the closest to a real one.
	// Your **production annotators** ranked four answers to each of 2,000
	// prompts, a reward model was trained on their rankings, and a policy
	// was optimised against it. Somewhere in their labels hides
	// **one flaw, or none**: a liking for flattery, for length, or for the
	// answer shown first. Which one is drawn from your variant code, so
	// your neighbour's may differ.
	//
	// You cannot see the gold reward. What you have is what a team has:
	// the labels, the reward model, the policy's training curves, and a
	// small **jury** of reviewers who judge by quality alone, no more
	// carefully than your annotators but without their flaw, and whose
	// time is scarce.
	//
	// Two things make this hard. A weight alone cannot say why the model
	// likes something (lesson 07): if it likes length, either the
	// annotators like length or longer answers really are better. And a
	// policy optimising a flawed reward model turns against the truth
	// early (lesson 18), while its training curves still rise.

	// %%
	pairs := nb.Int("probe-pairs", 300, 300, 400, "comparisons the jury judges for each probe (one per base-policy answer: 100 prompts, four answers each)")
	seed := nb.Seed()
	c := pipeline.Default()
	c.Seed = seed
	c.Data.Flaw = strength
	g, tr, err := c.Reward()
	nb.Must(err)
	w := g.World
	rm := tr.Scorer
	names := world.FeatureNames()
	fmt.Printf("reward model trained on %d pairs; its weights: %s %+.2f, %s %+.2f, %s %+.2f\n", len(g.Data.Pairs),
		names[world.Helpfulness], rm.Model.Params()[world.Helpfulness], names[world.Length], rm.Model.Params()[world.Length],
		names[world.Flattery], rm.Model.Params()[world.Flattery])

	// %% [markdown]
	// ## Probes: minimal pairs
	//
	// A **minimal pair** is an answer and a copy of it that differs in one
	// thing only: one standard deviation more flattery, or more length.
	// The reward model's verdict on such a pair is what the production
	// labels taught it; the jury's verdict is the truth's, plus noise. Where
	// the two sides agree, the labels pay for that feature no more than
	// quality does; where the model likes the change far more than the
	// jury does, the labels paid for it.
	//
	// The reward model cannot see where an answer was shown, so the
	// position probe asks the labels themselves: of all the pairs in the
	// data, how often did the answer shown earlier win? The answers were
	// shown in random order, so fair annotators make that one half, and
	// the jury is not needed.
	//
	// Before you look: in a world whose labels are honest, what should the
	// flattery probe show?

	// %%
	prompts := w.Prompts(100, pipeline.PolicyPromptIDs, rng.Stream(seed, rng.Prompts))
	newPolicy := func() *policy.Gaussian {
		return policy.NewGaussian(w, prompts, 8, rng.Stream(seed, rng.Draws))
	}
	refs := pipeline.ReferenceAnswers(newPolicy(), 4, rng.Stream(seed, "lesson22/references"))
	probeJury := pipeline.NewJury(c.Data.Tau, w.Gold, 2*pairs, rng.Stream(seed, "lesson22/probes"))
	judge := probeJury.Annotator()
	// side holds, for each probe, the labels' side, the jury's share and
	// the jury's exact chance (known here, hidden from a real team).
	type side struct{ labels, jury, exact float64 }
	var probes [3]side
	for k, f := range []int{world.Flattery, world.Length} {
		for i := 0; i < pairs; i++ {
			p, more, less := minimal(refs, prompts, f, i)
			probes[k].labels += stats.Sigmoid(rm.Score(more) - rm.Score(less))
			probes[k].exact += annotate.PreferProb(judge.Utility(w.Gold, p, more, 0, 2), judge.Utility(w.Gold, p, less, 1, 2), judge.Tau)
			// The copy with more is shown first in one pair of two.
			a, b := more, less
			if (i/2)%2 == 1 {
				a, b = less, more
			}
			first, ok := probeJury.PreferFirst(p, a, b)
			if !ok {
				panic("the probe jury ran out")
			}
			if first == ((i/2)%2 == 0) {
				probes[k].jury++
			}
		}
	}
	// Answers are shown in random order, so fair labels make the
	// position probe's fair side one half exactly, with no jury.
	probes[2] = side{labels: shownEarlierWins(g.Data), jury: 0.5, exact: 0.5}
	probeNames := []string{"one sd more flattery", "one sd more length", "shown earlier"}
	var rows [][]string
	gaps := make([]float64, 3)
	for k := range probes {
		if k < 2 {
			probes[k].labels /= float64(pairs)
			probes[k].jury /= float64(pairs)
			probes[k].exact /= float64(pairs)
		}
		gaps[k] = probes[k].labels - probes[k].jury
		rows = append(rows, []string{probeNames[k], fmt.Sprintf("%.3f", probes[k].labels), fmt.Sprintf("%.3f", probes[k].jury), fmt.Sprintf("%+.3f", gaps[k]), fmt.Sprintf("%.3f", flagAt[k])})
	}
	half := 1.96 * math.Sqrt(0.25/float64(pairs))
	nb.Predict("With honest labels, the reward model's share for the flattering copy would be",
		[]string{"about the jury's share, within the jury's noise", "well above the jury's share", "well below the jury's share"}, 0,
		fmt.Sprintf("The model learns what the labels pay for, and honest labels pay for flattery only what the truth does. Your gap is %+.3f; the jury's 95%% noise at %d pairs is about ±%.3f. A gap far outside that says your labels are not honest about flattery (an honest world can land just outside it by chance).", gaps[0], pairs, half))
	nb.Table([]string{"probe: the answer with", "production side", "fair side", "gap", "flags a flaw above"}, rows)
	fmt.Println("production side: the reward model's chance (for position, the labels' share); fair side: the jury's share (for position, one half)")
	fig, err := plots.Measures("Where the production side and the fair side part", "share won by the answer with more", probeNames,
		[]plots.Measure{{Name: "production side", Values: []float64{probes[0].labels, probes[1].labels, probes[2].labels}},
			{Name: "fair side (jury, 95% interval; 0.5 by design for position)", Values: []float64{probes[0].jury, probes[1].jury, probes[2].jury}, Err: []float64{half, half, 0}}}, 0.5, nil)
	nb.Must(err)
	nb.Figure("Each probe's share won by the answer with more of the feature (or shown earlier), by the production side and by the fair side", fig)

	// %%
	diag, flagged := len(world.Flaws)-1, 0
	for k, gp := range gaps {
		if gp > flagAt[k] {
			flagged++
			if diag == len(world.Flaws)-1 || gp > gaps[diag] {
				diag = k
			}
		}
	}
	truth := "none"
	if b := annotate.Flaw(strength); b != nil {
		truth = b.Name()
	}
	nb.Check("at most one probe's gap passes its flag, and the one that does (or none) names the flaw the labels hide",
		flagged <= 1 && world.Flaws[diag] == truth,
		"a flaw adds to one feature, or to one position, in every label; the other probes' gaps are the jury's noise")
	nb.Quiz("Which flaw do your production annotators hide?", world.Flaws, diag,
		fmt.Sprintf("The gaps are flattery %+.3f, length %+.3f, shown earlier %+.3f. A gap past its flag, two to three times its noise, names the flaw (the jury's noise is about ±%.3f here, the labels' about ±0.02), and no such gap means none.", gaps[0], gaps[1], gaps[2], half))
	nb.TrueFalse("A reward model trained on labels that favour the answer shown first learns to score answers higher when they are shown first.", false,
		"It sees only the answers' features, never where they were shown, so it cannot learn the position. What the flaw does to it is make its labels noisier: labels that follow position follow quality less often.")

	// %% [markdown]
	// ## Does the flaw cause the gap?
	//
	// The same data drawn with the flaw at strength 0, and a reward model
	// trained on it: if the flaw made the gap, the gap should close. This
	// check uses the jury's exact chances, which a real team never has.
	// (If your labels hide no flaw, the two runs are the same run.)

	// %%
	honest := c
	honest.Data.Flaw = 0
	hg, htr, err := honest.Reward()
	nb.Must(err)
	var hGaps [3]float64
	for k, f := range []int{world.Flattery, world.Length} {
		for i := 0; i < pairs; i++ {
			_, more, less := minimal(refs, prompts, f, i)
			hGaps[k] += stats.Sigmoid(htr.Scorer.Score(more) - htr.Scorer.Score(less))
		}
		hGaps[k] = hGaps[k]/float64(pairs) - probes[k].exact
	}
	hGaps[2] = shownEarlierWins(hg.Data) - 0.5
	fmt.Printf("gaps to the jury's exact chances with the flaw: %+.3f %+.3f %+.3f; without it: %+.3f %+.3f %+.3f\n",
		probes[0].labels-probes[0].exact, probes[1].labels-probes[1].exact, probes[2].labels-0.5, hGaps[0], hGaps[1], hGaps[2])
	own := 0.0 // the flaw's own probe's gap to the exact chance
	if diag < 2 {
		own = probes[diag].labels - probes[diag].exact
	} else if diag == 2 {
		own = probes[2].labels - 0.5
	}
	nb.Check("with the flaw its own probe's gap to the jury's exact chance is over 0.08, and without it every probe's gap is under 0.05",
		(truth == "none" || own > 0.08) && math.Abs(hGaps[0]) < 0.05 && math.Abs(hGaps[1]) < 0.05 && math.Abs(hGaps[2]) < 0.05,
		"honest labels pay for a feature what the truth does, and the position of an answer pays nothing")

	// %% [markdown]
	// Here the flaw is built into the simulator, so finding it is no
	// discovery: this run does not test the findings below, it builds
	// them in. What the lesson shows is a way to find a flaw without the
	// truth. The flaws themselves are documented. Sharma et al. (2023)
	// found that people and preference models sometimes preferred
	// convincingly written sycophantic answers, ones that match the
	// user's views, to correct ones: a cousin of the flattery simulated
	// here. Singhal et al. (2023) found, on three helpfulness datasets,
	// that much of what RLHF gained came from longer answers, and that a
	// reward of length alone reproduced most of the gain in win rate
	// judged by a language model standing in for people. Zheng et al.
	// (2023) found that language models used as judges often changed
	// their verdict when two answers swapped places, mostly in favour of
	// the first; their swap test is the same idea as a minimal pair:
	// change one thing, and see who notices.
	//
	// ## Where to stop
	//
	// The policy now trains on your reward model, flawed or not, for 200
	// steps. In
	// practice you would see only the curves below: the reward model's
	// score rising, and the distance from the base policy growing.

	// %%
	run, err := policy.Optimize(newPolicy(), rm.Func(), w.Gold, &policy.Settings{Algo: policy.RLOO, Beta: 0.1, Steps: 200, LR: 0.02,
		Watch: []policy.RewardFunc{pipeline.Approval(judge, w.Gold, prompts, refs)}}, rng.Stream(seed, rng.Optimize))
	nb.Must(err)
	xs := make([]float64, len(run.Steps))
	var proxy, kl []float64
	for i, s := range run.Steps {
		xs[i] = float64(i)
		proxy, kl = append(proxy, s.Proxy-run.Steps[0].Proxy), append(kl, s.KL)
	}
	fig, err = plots.Lines("What a team sees", "step", "change since step 0", xs,
		[]plots.Series{{Name: "reward model's score", Y: proxy}, {Name: "KL from the base policy", Y: kl, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("The reward model's score and the KL from the base policy as the policy trains: the score still rises after the truth turns (checked below)", fig)

	// %% [markdown]
	// ## Exercise: choose where to stop on 300 comparisons
	//
	// Write the rule that picks the checkpoint to keep. `ask(step, n)`
	// has the jury compare n of the policy's answers at that step with
	// the base policy's answers, and returns the share the policy won.
	// The jury answers 300 comparisons in all; a request it cannot fill
	// returns NaN and spends nothing, as does a step outside 0 to `last`.
	// Return the step to keep.
	//
	// Your rule is graded by the gold reward at the step it returns: over
	// five rehearsals, each with a fresh jury, it must keep on average at
	// least half the gold gained at the best step of the run. A share
	// from n comparisons has a 95% interval of about ±1/sqrt(n): ±0.14
	// at 50, ±0.06 at 300. How much running on costs depends on the flaw:
	// in the worlds tried (four students, seeds 1-6), with honest labels
	// or a position flaw the reward model cannot see, the last step kept
	// 40 to 90% of the best step's gain; with flattery or length it lost
	// nearly all of it, or more.

	// %% [exercise stopping-rule]
	chooseStep := func(ask func(step, n int) float64, last int) int {
		// BEGIN SOLUTION
		// Six checks of 50, 30 steps apart; each check's share averaged
		// with its neighbours', so one lucky check cannot pick the step.
		var steps []int
		var shares []float64
		for s := 30; s <= last && len(steps) < 6; s += 30 {
			steps = append(steps, s)
			shares = append(shares, ask(s, 50))
		}
		best, at := -1.0, 0
		for i := range shares {
			sum, n := shares[i], 1.0
			if i > 0 {
				sum, n = sum+shares[i-1], n+1
			}
			if i+1 < len(shares) {
				sum, n = sum+shares[i+1], n+1
			}
			if sum/n > best {
				best, at = sum/n, steps[i]
			}
		}
		return at
		// END SOLUTION
	}

	// %% [tests stopping-rule]
	last := len(run.Steps) - 1
	gainAt := func(step int) float64 { return run.Steps[step].Gold - run.Steps[0].Gold }
	best := peakOf(run.Steps)
	var stops []int
	kept := 0.0
	for k := uint64(0); k < 5; k++ {
		jury := pipeline.NewJury(c.Data.Tau, w.Gold, budget, rng.Stream(seed*8+k, "lesson22/jury"))
		ask := func(step, n int) float64 {
			if step < 0 || step > last || n < 1 {
				return math.NaN()
			}
			wins, ok := jury.Wins(run.Steps[step].Watch[0], n)
			if !ok {
				return math.NaN()
			}
			return float64(wins) / float64(n)
		}
		step := chooseStep(ask, last)
		if step < 0 || step > last {
			step = last // a rule that names no step runs to the end
		}
		stops = append(stops, step)
		kept += gainAt(step) / 5
	}
	fmt.Printf("your stops: %v; the gold gain there averages %+.2f, the best step's is %+.2f (step %d), the last step's %+.2f\n",
		stops, kept, gainAt(best), best, gainAt(last))
	nb.Check("over five rehearsals your rule keeps on average at least half the gold gained at the best step", kept >= gainAt(best)/2,
		"spread a few checks over the run and average neighbouring checks before you trust a rise: a share from 50 comparisons has a 95% interval of about ±0.14")

	// %% [markdown]
	// ## The truth, revealed
	//
	// The gold reward of the same run, and the jury's chance of
	// preferring the policy's answers: the share an ask returns comes
	// closer to it the more comparisons it spends.

	// %%
	var gold, approval []float64
	for _, s := range run.Steps {
		gold, approval = append(gold, s.Gold-run.Steps[0].Gold), append(approval, s.Watch[0])
	}
	fig, err = plots.Lines("The gold reward the team could not see", "step", "gold gain since step 0", xs,
		[]plots.Series{{Name: "gold gain", Y: gold}}, nil)
	nb.Must(err)
	nb.Figure("The gold reward of the run the team had to stop, revealed", fig)
	fig, err = plots.Lines("The jury's chance of preferring the policy", "step", "chance over the base policy's answers", xs,
		[]plots.Series{{Name: "jury's chance", Y: approval}}, nil)
	nb.Must(err)
	nb.Figure("The chance the jury prefers the policy's answer to the base policy's: what each ask samples from", fig)
	apk := 0
	for i := range approval {
		if approval[i] > approval[apk] {
			apk = i
		}
	}
	peak, last := peakOf(run.Steps), len(run.Steps)-1
	fmt.Printf("gold peaks at step %d, the jury's chance at step %d (gold there %+.2f of the peak's %+.2f)\n", peak, apk, gold[apk], gold[peak])
	nb.Check("the reward model's score was still rising after the gold peak: higher at the last step than at the peak", run.Steps[last].Proxy > run.Steps[peak].Proxy,
		"the policy keeps finding what the reward model pays for; only the truth turned")
	nb.Check("the jury's chance peaks where the gold gain is within 0.1 of its best", gold[apk] > gold[peak]-0.1,
		"the jury judges by gold alone, so its chance rises and falls with the gold reward; the noise of a few hundred comparisons is what hides the peak")

	// %%
	nb.Quiz("The reference rule averages each check's share with its neighbours' before picking the best. Why?",
		[]string{"a share from 50 comparisons is noisy (±0.14), so the single best check is often best by luck",
			"the gold reward changes too fast between checks for one check to follow it",
			"the jury grows less careful as the run goes on",
			"averaging lets the rule spend fewer of its 300 comparisons on the checks that matter"}, 0,
		"Near the top, neighbouring checkpoints differ by less than a check's noise, so the highest single share is often a lucky draw; averaging three neighbours shrinks the noise of each estimate by about the square root of three. The jury judges the same way at every step, and averaging spends nothing.")
}
