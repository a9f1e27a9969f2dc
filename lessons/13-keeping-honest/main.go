// Title: Keeping the policy honest
// Summary: Mitigations for overoptimisation, each measured on one run against the hidden truth: the KL penalty (an early stop for a linear reward model, a little more for an MLP), an audit that stops when the reward model stops agreeing with annotators on the policy's own answers, and ensembles of reward models, set against what the papers found.
// Minutes: 20
// Learn-before: 08-overoptimisation, 10-training-cost
// Learn-after: 14-dpo
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// auditPairs is the number of comparisons each audit check buys; one
// check every auditEvery steps.
const auditPairs, auditEvery = 200, 10

// run is the default pipeline at beta b with reward model kind, without
// best-of-n, with an ensemble of m reward models scored by their lower
// confidence bound when m >= 2, and an audit of the policy's answers.
func run(seed uint64, b float64, kind reward.Kind, m int) *pipeline.Result {
	return runEnsemble(seed, b, kind, m, reward.LCB, 0)
}

// runEnsemble is run with an ensemble of m members combined by agg, each
// trained on a fraction view of the features (0: all of them).
func runEnsemble(seed uint64, b float64, kind reward.Kind, m int, agg reward.Aggregate, view float64) *pipeline.Result {
	c := pipeline.Default()
	c.Seed = seed
	c.Policy.Settings.Beta = b
	c.Policy.BoN = nil
	c.RM.Model = kind
	c.Policy.Audit = pipeline.Audit{Pairs: auditPairs, Every: auditEvery}
	if m >= 2 {
		c.RM.Ensemble, c.RM.Aggregate, c.RM.K, c.RM.View = m, agg, 1, view
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
		r := run(seed, b, reward.KindLinear, 1)
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
	// as confirmation: with a linear reward model the expected reward of
	// the policy's Gaussian depends only on where its mean is, and the
	// mean moves along one direction whatever beta is; the penalty only
	// sets how far. A reward model that is not linear bends that
	// direction as the policy moves. Take the same data with a small MLP
	// as the reward model, and compare beta 0.2 with beta 0.05 at the
	// distance where beta 0.2 ends.

	// %%
	// Each MLP run takes a few seconds, so each has a cell of its own.
	mlpLo := run(seed, 0.05, reward.KindMLP, 1)

	// %%
	mlpHi := run(seed, 0.2, reward.KindMLP, 1)
	mh := mlpHi.Run.Steps[len(mlpHi.Run.Steps)-1]
	ml := goldAt(mlpLo.Run.Steps, mh.KL)
	nb.Table([]string{"reward model", "larger beta ends at KL", "its gold", "beta 0.05 at that KL", "difference"}, [][]string{
		{"linear (beta 1 against 0.05)", fmt.Sprintf("%.2f", end1.KL), fmt.Sprintf("%+.3f", end1.Gold), fmt.Sprintf("%+.3f", same), fmt.Sprintf("%+.3f", end1.Gold-same)},
		{"MLP, 32 hidden units", fmt.Sprintf("%.2f", mh.KL), fmt.Sprintf("%+.3f", mh.Gold), fmt.Sprintf("%+.3f", ml), fmt.Sprintf("%+.3f", mh.Gold-ml)},
	})
	nb.Check("with the MLP reward model, the larger beta reaches more gold at the same KL (by more than 0.03)", mh.Gold > ml+0.03,
		"a non-linear reward model's direction of steepest ascent changes as the policy moves; the penalty holds the policy where the model is still right and so changes the path, not only its length")

	// %% [markdown]
	// On seeds 1-6 the MLP's gain at equal KL was 0.07 to 0.18, the linear
	// model's (beta 1 against 0.05) 0.01 to 0.04. So this simulator shows
	// both cases: the penalty is almost exactly an early stop for a linear
	// reward model (its small gain may be the penalty damping the noise of
	// the sampled gradients), and a larger improvement of the frontier for
	// a non-linear one.
	// Either way a beta picks a point on a curve, blind to where the peak
	// is.
	//
	// ## An early warning
	//
	// The gold peak is where the reward model stops telling better from
	// worse among the answers the policy now gives (lesson 08). That can
	// be measured without the gold reward, at a price: have the same kind
	// of annotators who labelled the training data compare pairs of the
	// *policy's current* answers, and count how often the reward model
	// agrees with them. Here a team buys 200 comparisons every 10 steps,
	// 6,200 labels over the run (compare them with the comparisons the
	// reward model was trained on, printed below), and stops when two
	// checks in a row fall below a
	// threshold (one check alone is too noisy to stop on). Annotators are
	// noisy, so agreement starts near the reward model's held-out accuracy
	// on labels, not on gold.

	// %%
	warn := nb.Float("warn", 0.6, 0.55, 0.6, "stop when, twice in a row, the reward model agrees with the annotators on the policy's own pairs less often than this")
	def := runs[0.2]
	st := def.Run.Steps
	var ax, ay, gy []float64
	for _, a := range def.Audit {
		ax, ay, gy = append(ax, float64(a.Step)), append(ay, a.Agreement), append(gy, st[a.Step].GoldAgreement)
	}
	fig, err = plots.Lines("Is the reward model still right about these answers?", "policy step", "agreement on pairs of the policy's answers", ax,
		[]plots.Series{{Name: fmt.Sprintf("with annotators (%d pairs per check)", auditPairs), Y: ay}, {Name: "with gold (hidden; 3,200 answers)", Y: gy, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("The reward model's agreement with annotators' labels and with the hidden gold reward, on the policy's own answers", fig)
	stop, bought := len(st)-1, def.Audit[len(def.Audit)-1].Labels
	for i, a := range def.Audit {
		if i > 0 && a.Agreement < warn && def.Audit[i-1].Agreement < warn {
			stop, bought = a.Step, a.Labels
			break
		}
	}
	pk, end := peakOf(def), st[len(st)-1]
	fmt.Printf("held-out accuracy on labels %.3f; first check %.3f\n", def.RM.Metrics.TestAccuracy, def.Audit[0].Agreement)
	fmt.Printf("the audit buys %d labels over the run; the reward model was trained on %d comparisons\n", def.Audit[len(def.Audit)-1].Labels, len(def.Data.SplitPairs(prefs.Train)))
	fmt.Printf("stopped at step %d after %d labels: gold %+.2f; the peak was %+.2f at step %d; running on ends at %+.2f\n", stop, bought, st[stop].Gold, pk.Gold, pk.Step, end.Gold)
	nb.Check("stopping on the annotators' warning keeps the gold within 0.3 of the peak", st[stop].Gold > pk.Gold-0.3,
		"agreement on the policy's own answers falls as the reward model's scores stop tracking quality, and noisy labels see that fall too")
	nb.Check("and far above where the run would have ended (by more than 2)", st[stop].Gold > end.Gold+2,
		"the warning comes before the fall, not after it")

	// %% [markdown]
	// The labels cost something and each check is noisy: 200 comparisons
	// measure agreement to about 3 points. On seeds 1-12, a threshold of
	// 0.65 stopped up to 0.47 below the peak by luck, and stopping on the
	// first check below 0.6 up to 0.31 below; a threshold of 0.5 stops
	// late, up to 0.24 below, after the fall has begun. The threshold is a
	// judgement, and this lesson lets you choose only where it held. Past the peak agreement falls below one
	// half: the reward model then prefers the worse of two answers more
	// often than not, which is overoptimisation seen from the inside.
	//
	// ## Ensembles
	//
	// Train five reward models, each on a bootstrap resample of the
	// comparisons, and score an answer by the members' mean minus their
	// standard deviation, a conservative score in the spirit of Coste et
	// al. (2023): where the models disagree, which is where the data were
	// thin, the score is held down.

	// %%
	ens := run(seed, 0.2, reward.KindLinear, 5)
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
	fmt.Printf("the members agree with gold on held-out pairs %.1f%% to %.1f%% of the time: about equally accurate\n", 100*lo, 100*hi2)
	nb.Check("the ensemble's peak is the single model's, within 0.1", math.Abs(ep.Gold-pk.Gold) < 0.1,
		"every member is a linear model that misreads the gold reward the same way; averaging removes their disagreements, not what they share")

	// %% [markdown]
	// The ensemble does not raise the peak here, because all five members
	// make the same mistake: each is linear, trained on a resample of the
	// same comparisons, and none can see the incoherence that makes the
	// fall (lesson 08). After the peak it softens the fall a little (by
	// 0.2 to 0.5 on seeds 1-6): the members' disagreement is small beside
	// the error they share.
	//
	// Members can be made to differ. Train each on a random half of the
	// features (the random subspace method): a feature only some members
	// weigh is one they disagree about. Everything else is as in the
	// ensemble above: five members, mean minus one standard deviation.

	// %%
	views := runEnsemble(seed, 0.2, reward.KindLinear, 5, reward.LCB, 0.5)
	vp, ve := peakOf(views), views.Run.Steps[len(views.Run.Steps)-1]
	single := goldAt(st, ve.KL)
	fmt.Printf("five members on half the features each: peak %+.2f (KL %.2f), end %+.2f (KL %.2f)\n", vp.Gold, vp.KL, ve.Gold, ve.KL)
	fmt.Printf("the single model at the same KL %.2f: %+.2f; its own fall from the peak: %.2f\n", ve.KL, single, pk.Gold-end.Gold)
	var g2 []float64
	for _, s := range views.Run.Steps {
		g2 = append(g2, s.Gold)
	}
	fig, err = plots.Lines("Members that differ", "policy step", "gold reward", x,
		[]plots.Series{{Name: "one reward model", Y: g1}, {Name: "ensemble of 5 on half the features each, mean - 1 sd", Y: g2}}, nil)
	nb.Must(err)
	nb.Figure("Gold reward while optimising one reward model and the lower bound of five members trained on different halves of the features", fig)
	nb.Check("with members that see different features, the ensemble stops the fall: gold ends within 1 of its peak", vp.Gold-ve.Gold < 1,
		"the half-feature members change what the policy optimises; the next cell shows how")
	nb.Check("the same ensemble with every member seeing every feature falls by more than 2", ep.Gold-ee.Gold > 2,
		"without different views the members agree everywhere, and their lower bound is pushed as far as one model")

	// %% [markdown]
	// Is it the lower bound, the caution about disagreement, that stops
	// the policy? Take it away: combine the same half-feature members by
	// their plain mean. The mean of linear models is one linear model,
	// whose weights are the members' average; each feature counts in only
	// about half of them, so its weights are shrunk. With a linear reward
	// w and the same beta, the policy heads for KL* = w' Sigma w /
	// (2 beta^2) (lesson 06): a shrunken w stops it sooner.

	// %%
	plain := runEnsemble(seed, 0.2, reward.KindLinear, 5, reward.Mean, 0.5)
	mp, me := peakOf(plain), plain.Run.Steps[len(plain.Run.Steps)-1]
	avg := make([]float64, world.NumFeatures)
	for _, m := range plain.Ensemble {
		for i, v := range m.Scorer.Model.(*reward.Linear).Weights() {
			avg[i] += v / float64(len(plain.Ensemble))
		}
	}
	g := def.Policy.(*policy.Gaussian)
	kOne, kAvg := g.OptimalKL(def.RM.Scorer.Model.(*reward.Linear).Weights(), 0.2), g.OptimalKL(avg, 0.2)
	nb.Table([]string{"reward", "KL* it heads for", "KL at the end", "fall from its peak"}, [][]string{
		{"one reward model", fmt.Sprintf("%.1f", kOne), fmt.Sprintf("%.1f", end.KL), fmt.Sprintf("%.2f", pk.Gold-end.Gold)},
		{"mean of the 5 half-feature members", fmt.Sprintf("%.1f", kAvg), fmt.Sprintf("%.1f", me.KL), fmt.Sprintf("%.2f", mp.Gold-me.Gold)},
		{"their mean - 1 sd", "-", fmt.Sprintf("%.1f", ve.KL), fmt.Sprintf("%.2f", vp.Gold-ve.Gold)},
	})
	nb.Check("the plain mean of the same members stops the fall too (within 1 of its peak): the lower bound is not what does it", mp.Gold-me.Gold < 1,
		"the members' average is a linear model with shrunken weights, so the same beta holds the policy closer to the base policy")
	nb.Check("and the shrunken average heads for a smaller KL than the single model (KL* at most half)", 2*kAvg <= kOne,
		"KL* grows with the square of the reward's scale")

	// %% [markdown]
	// So in this world the diverse ensemble stops the fall mostly the way
	// a larger beta would: by stopping early. On seeds 1-6 the lower bound
	// fell 0 to 0.62 after its peak, where the single model fell 3.2 to
	// 4.2, and the plain mean 0.01 to 0.66. At the KL where the lower bound
	// ended, its gold beat the single model's on three seeds, equalled it
	// on one and fell short on two (by up to 1.0, where the members' halves
	// missed features that matter); for best-of-n at n = 16,384 it helped
	// on four seeds of six. The bootstrapped members of the first
	// ensemble, which see every feature, softened the fall by 0.2 to 0.5
	// and left the peak within 0.1 on seeds 1-6.
	//
	// The papers found more, and differently. Coste et al. (2023) trained
	// members from different random seeds on the same data and found that
	// conservative objectives (the worst member, or the mean minus a
	// multiple of the variance) improved best-of-n and largely removed
	// overoptimisation under PPO. Eisenstein et al. (2023) found that
	// ensembles help but do not remove reward hacking: even members
	// pretrained from different seeds share error patterns. This lesson
	// shows the two ends in miniature: members that share every error
	// (bootstraps of one linear model) soften the fall a little; members
	// that differ stop it, here by holding the policy back rather than by
	// knowing where the truth lies.
	//
	// What does raise the peak is a better reward model: more data for a
	// model that can use it (lessons 08 and 10). Where answers can be
	// checked, a verifier (lesson 12) changes the target itself: its
	// gain is smaller, but optimising it does not turn against the gold
	// reward. The mitigations here mostly buy time and safety, not a
	// better target.

	// %%
	nb.Quiz("A team's reward model is linear in its features, like this lesson's first runs. They raise beta after seeing reward hacking. What does this do?",
		[]string{"it makes the reward model more accurate",
			"it stops the policy earlier on the same path of gold against KL, trading possible gain for safety",
			"it moves the whole frontier of gold against KL upwards",
			"it removes the reward model's errors"}, 1,
		"With a linear reward model the penalty decides how far the policy goes, not where it goes: at the same KL the runs have the same gold. With the MLP it also bent the path a little upwards, by about a tenth of a unit of gold.")
	nb.TrueFalse("An ensemble of reward models trained on the same data with the same features removes the errors the members share.", false,
		"Averaging, or taking a lower bound, removes the disagreement between members; an error they all make survives it.")

	// %% [markdown]
	// ## Exercise: a stopping rule on a budget of labels
	//
	// Write the rule that decides, after each audit check, whether to stop
	// the run. It sees the agreements measured so far, oldest first (200
	// noisy comparisons each, one check every 10 steps), and nothing of
	// the gold reward. Your rule is graded by the gold reward where it
	// stops, on this lesson's runs at beta 0.2 and 0.05, and by the labels
	// it buys: at most 4,000 (20 checks).

	// %% [exercise stopping-rule]
	shouldStop := func(agreements []float64) bool {
		// BEGIN SOLUTION
		n := len(agreements)
		return n >= 2 && agreements[n-1] < 0.6 && agreements[n-2] < 0.6
		// END SOLUTION
	}

	// %% [tests stopping-rule]
	stopOf := func(r *pipeline.Result) (step, labels int) {
		var seen []float64
		for _, a := range r.Audit {
			seen = append(seen, a.Agreement)
			if shouldStop(append([]float64(nil), seen...)) {
				return a.Step, a.Labels
			}
		}
		last := r.Audit[len(r.Audit)-1]
		return last.Step, last.Labels
	}
	for _, b := range []float64{0.2, 0.05} {
		r := runs[b]
		step, labels := stopOf(r)
		pk := peakOf(r)
		nb.Check(fmt.Sprintf("at beta %g your rule stops with the gold reward within 0.3 of its peak", b), r.Run.Steps[step].Gold > pk.Gold-0.3,
			"a single check is noisy to about 3 points: stop on a fall that persists, before agreement sinks towards one half")
		nb.Check(fmt.Sprintf("at beta %g your rule buys at most 4,000 labels", b), labels <= 4000,
			"the budget runs out after 20 checks: a rule that waits for certainty waits past the peak")
	}

	// %%
	// On seeds 1-6 and twenty students' worlds the rule of the section
	// above stopped within 0.13 of the peak at both betas, after at most
	// 1,800 labels.
	fmt.Printf("your rule on the checks 0.70, 0.66, 0.58, 0.57: stop = %v\n", shouldStop([]float64{0.70, 0.66, 0.58, 0.57}))
}
