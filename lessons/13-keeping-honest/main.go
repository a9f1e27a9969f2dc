// Title: Keeping the policy honest
// Summary: Mitigations for overoptimisation, each measured on one run against the hidden truth: the KL penalty (an early stop in disguise, by construction here), stopping when the reward model stops agreeing with the truth on the policy's own answers, and ensembles of reward models, set against what the papers found.
// Minutes: 20
// Learn-before: 08-overoptimisation
// Learn-after: 14-dpo
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

// run is the default pipeline at beta b, without best-of-n, with an
// ensemble of m reward models scored by their lower confidence bound when
// m >= 2.
func run(seed uint64, b float64, m int) *pipeline.Result {
	c := pipeline.Default()
	c.Seed = seed
	c.Policy.Settings.Beta = b
	c.Policy.BoN = nil
	if m >= 2 {
		c.RM.Ensemble, c.RM.Aggregate, c.RM.K = m, reward.LCB, 1
	}
	res, err := pipeline.Run(c, nil)
	nb.Must(err)
	return res
}

// goldAt interpolates a run's gold reward at KL k, or NaN past its end.
func goldAt(st []policy.Step, k float64) float64 {
	for i := 1; i < len(st); i++ {
		if st[i].KL >= k {
			f := (k - st[i-1].KL) / (st[i].KL - st[i-1].KL)
			return st[i-1].Gold + f*(st[i].Gold-st[i-1].Gold)
		}
	}
	return math.NaN()
}

// peakOf returns the step of a run where the gold reward was highest.
func peakOf(r *pipeline.Result) policy.Step {
	pk, _ := r.GoldPeak()
	return r.Run.Steps[pk]
}

func main() {
	// %% [markdown]
	// Lesson 08 showed the gold reward rising, peaking and falling as a
	// policy optimises a reward model. Real RLHF cannot see the gold
	// reward, so it cannot simply stop at the peak. This lesson tries what
	// practice tries, on the same data and the same reward model, and
	// reveals what each one buys.
	//
	// ## The KL penalty
	//
	// The objective E[r] - beta KL(pi || pi_ref) keeps the policy near
	// the base policy. A larger beta means a shorter trip. Does it also
	// make a better trip, with more gold at the same distance?

	// %%
	seed := nb.Seed()
	betas := []float64{0.05, 0.2, 1}
	runs := map[float64]*pipeline.Result{}
	var curves []plots.NamedCurve
	for _, b := range betas {
		r := run(seed, b, 1)
		runs[b] = r
		var c plots.Curve
		for _, s := range r.Run.Steps {
			if s.KL > 20 {
				break // beyond KL 20 the small-beta run only falls
			}
			c.KL, c.Gold = append(c.KL, s.KL), append(c.Gold, s.Gold)
		}
		curves = append(curves, plots.NamedCurve{Name: fmt.Sprintf("beta %g", b), Curve: c})
	}
	fig, err := plots.GoldFrontier("One frontier, three stopping points", curves, nil, nil)
	nb.Must(err)
	nb.Figure("Gold gain against sqrt(KL) for three KL coefficients (up to KL 20)", fig)
	var rows [][]string
	for _, b := range betas {
		st := runs[b].Run.Steps
		e, p := st[len(st)-1], peakOf(runs[b])
		rows = append(rows, []string{fmt.Sprint(b), fmt.Sprintf("%.2f", e.KL), fmt.Sprintf("%+.2f", e.Gold), fmt.Sprintf("%+.2f (KL %.2f)", p.Gold, p.KL)})
	}
	nb.Table([]string{"beta", "KL at the end", "gold at the end", "best gold on the way"}, rows)
	hi := runs[1].Run.Steps
	end1 := hi[len(hi)-1]
	same := goldAt(runs[0.05].Run.Steps, end1.KL)
	fmt.Printf("where beta 1 stops (KL %.2f): its gold %+.2f; the beta 0.05 run passed that KL with gold %+.2f\n", end1.KL, end1.Gold, same)
	nb.Check("the large-beta run ends on the small-beta run's path: same gold at the same KL (within 0.1)", math.Abs(end1.Gold-same) < 0.1,
		"the penalty does not change which direction the policy moves, only how far; it is an early stop written into the objective")
	nb.Check("beta 1 stops well before the gold peak the other runs reach", end1.Gold < peakOf(runs[0.2]).Gold-0.5,
		"stopping early is safe but leaves gold unclaimed: the penalty cannot know where the peak is")

	// %% [markdown]
	// Gao et al. reported the same in large models, the KL penalty acting
	// like early stopping rather than improving the frontier of gold
	// against KL, and warned that the result may be sensitive to
	// hyperparameters. Here it holds by construction, so do not count it
	// as confirmation: with a linear reward model the policy's Gaussian
	// shifts its mean along one direction whatever beta is, and the
	// penalty only sets how far, so the same KL gives the same gold. With
	// an MLP reward model the direction bends as the policy moves, and
	// there the penalty did improve the frontier a little (by 0.08 to 0.18
	// gold on seeds 1-6; try `rlhfsim sweep --models mlp --betas
	// 0,0.05,0.2`). A beta picks a point on the curve, blind to where the
	// peak is.
	//
	// ## An early warning
	//
	// The gold peak is where the reward model stops telling better from
	// worse among the answers the policy now gives (lesson 08). That can
	// be measured without the gold reward: have people compare pairs of
	// the *policy's current* answers and check how often the reward model
	// agrees with them. It starts at the reward model's held-out accuracy
	// and falls as the policy moves away. Here we stop the run the first
	// time it falls below a threshold.

	// %%
	warn := nb.Float("warn", 0.6, 0.55, 0.65, "stop when the reward model agrees with gold on the policy's own pairs less often than this")
	def := runs[0.2]
	st := def.Run.Steps
	ac, err := plots.AccuracyUnderShift(st, def.RM.Metrics.GoldAgreement, nil)
	nb.Must(err)
	nb.Figure("The reward model's agreement with gold on pairs of the policy's own answers, as the policy moves", ac)
	stop := len(st) - 1
	for i, s := range st {
		if s.GoldAgreement < warn {
			stop = i
			break
		}
	}
	pk, end := peakOf(def), st[len(st)-1]
	fmt.Printf("stopped at step %d: gold %+.2f; the peak was %+.2f at step %d; running on ends at %+.2f\n", stop, st[stop].Gold, pk.Gold, pk.Step, end.Gold)
	nb.Check("stopping on the warning keeps the gold within 0.3 of the peak", st[stop].Gold > pk.Gold-0.3,
		"agreement on the policy's own answers falls towards chance exactly as the reward model's scores stop tracking quality")
	nb.Check("and far above where the run would have ended (by more than 2)", st[stop].Gold > end.Gold+2,
		"the warning comes before the fall, not after it")

	// %% [markdown]
	// Here the simulator cheats, and you should know how. The warning
	// above is the reward model's agreement with the gold reward itself,
	// over 3,200 answers at every step: no annotator noise and no budget.
	// Real people's labels are noisy, so real agreement starts near the
	// held-out accuracy on labels (lower than on gold) and wobbles with
	// the few hundred comparisons a team can afford at each check; the
	// threshold must then sit further from chance, and the stop comes
	// later or earlier by luck. The threshold is a judgement too: a high
	// one stops early and safe, a low one late and close to the peak.
	//
	// ## Ensembles
	//
	// Train five reward models, each on a bootstrap resample of the
	// comparisons, and score an answer by the members' mean minus their
	// standard deviation (Coste et al., 2023): where the models disagree,
	// which is where the data were thin, the score is held down.

	// %%
	ens := run(seed, 0.2, 5)
	var x, g1, g5 []float64
	for i, s := range st {
		x, g1, g5 = append(x, float64(s.Step)), append(g1, s.Gold), append(g5, ens.Run.Steps[i].Gold)
	}
	fig, err = plots.Lines("One reward model or five", "policy step", "gold reward", x,
		[]plots.Series{{Name: "one reward model", Y: g1}, {Name: "ensemble of 5, mean - 1 sd", Y: g5}}, nil)
	nb.Must(err)
	nb.Figure("Gold reward while optimising one reward model and while optimising an ensemble's lower bound", fig)
	ep, ee := peakOf(ens), ens.Run.Steps[len(ens.Run.Steps)-1]
	fmt.Printf("peak gold: one model %+.2f, ensemble %+.2f; at the end: one model %+.2f, ensemble %+.2f\n", pk.Gold, ep.Gold, end.Gold, ee.Gold)
	lo, hi2 := 1.0, 0.0
	for _, m := range ens.Ensemble {
		lo, hi2 = math.Min(lo, m.Metrics.GoldAgreement), math.Max(hi2, m.Metrics.GoldAgreement)
	}
	fmt.Printf("the members agree with gold on held-out pairs %.1f%% to %.1f%% of the time: they are nearly the same model\n", 100*lo, 100*hi2)
	nb.Check("the ensemble's peak is the single model's, within 0.1", math.Abs(ep.Gold-pk.Gold) < 0.1,
		"every member is a linear model that misreads the gold reward the same way; averaging removes their disagreements, not what they share")

	// %% [markdown]
	// The ensemble does not raise the peak here, because all five members
	// make the same mistake: each is linear, trained on a resample of the
	// same comparisons, and none can see the incoherence that makes the
	// fall (lesson 08). After the peak it changes the fall by a few
	// tenths, softer in some worlds and seeds and harsher in others: the
	// members' disagreement is small beside the error they share.
	//
	// The papers found more. Coste et al. (2023) trained members from
	// different initialisations and found conservative ensembles (the
	// worst member, or mean minus spread) improved best-of-n and largely
	// removed overoptimisation under PPO. Eisenstein et al. (2023) found
	// ensembles help but do not remove hacking, because members
	// pretrained alike share errors. This run reproduces neither gain: it
	// is the extreme case of Eisenstein et al.'s explanation, members so
	// alike that they share every error, and it says nothing about
	// ensembles whose members really differ, which this simulator does not
	// yet build.
	//
	// What does raise the peak is a better reward model: more data for a
	// model that can use it (lessons 08 and 10). Where answers can be
	// checked, a verifier (lesson 12) changes the target itself: its
	// gain is smaller, but optimising it does not turn against the gold
	// reward. The mitigations here buy time and safety, not a better
	// target.

	// %%
	nb.Quiz("A team raises beta after seeing reward hacking. What does this do, according to this lesson's runs?",
		[]string{"it makes the reward model more accurate",
			"it stops the policy earlier on the same path of gold against KL, trading possible gain for safety",
			"it moves the whole frontier of gold against KL upwards",
			"it removes the reward model's errors"}, 1,
		"The penalty decides how far the policy goes, not where it goes: at the same KL the runs have the same gold.")
	nb.TrueFalse("An ensemble of reward models trained on the same kind of data removes the errors the members share.", false,
		"Averaging, or taking a lower bound, removes the disagreement between members; an error they all make survives it.")
}
