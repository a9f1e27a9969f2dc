// Title: DPO: the reward model you do not train
// Summary: The KL-regularised optimum has a closed form, so a policy can be fitted to the comparisons directly. DPO lands exactly where RL against the reward model is heading; with deterministic preferences it ignores beta, and IPO does not.
// Minutes: 20
// Learn-before: 06-policy-gradient, 09-underdetermined
// Learn-after:
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// poolRun runs the pipeline on the pool policy (exact: a softmax over 128
// base-policy answers per prompt) with the reward model fitted exactly.
func poolRun(seed uint64, m pipeline.Method, beta, tau float64, gold world.GoldName, prompts int) *pipeline.Result {
	c := pipeline.Default()
	c.Seed = seed
	c.Data.Prompts, c.Data.Tau, c.Data.Gold = prompts, tau, gold
	c.RM.Optimizer = reward.LBFGS
	c.Policy.Kind, c.Policy.Method, c.Policy.Prompts = pipeline.Pool, m, 40
	c.Policy.BoN = nil
	c.Policy.Settings.Algo, c.Policy.Settings.Beta = policy.Exact, beta
	c.Policy.Settings.Steps, c.Policy.Settings.LR = 300, 0.3
	res, err := pipeline.Run(c, nil)
	nb.Must(err)
	return res
}

func main() {
	// %% [markdown]
	// RL against a reward model maximises E[r] - beta KL(pi || pi_ref).
	// Over all policies, that objective has a closed-form maximiser:
	//
	// `pi*(y|x) = pi_ref(y|x) exp(r(x,y) / beta) / Z(x)`
	//
	// the reference policy tilted towards high reward, as far as beta
	// allows. Turn it around and the reward is written by the policy:
	// `r(x,y) = beta log(pi*(y|x) / pi_ref(y|x)) + beta log Z(x)`. The
	// Bradley-Terry loss only ever compares two answers to the same
	// prompt, so Z(x) cancels, and the loss can be written in the policy's
	// own log-probabilities:
	//
	// `-log sigma(beta log(pi(y_w)/pi_ref(y_w)) - beta log(pi(y_l)/pi_ref(y_l)))`
	//
	// That is **DPO** (Rafailov et al., 2023): fit the policy to the
	// comparisons directly, and never train a reward model or run RL. Its
	// **implicit reward** is beta log(pi/pi_ref).
	//
	// We take the same comparisons two ways: a reward model fitted to them
	// exactly, then RL (exact gradient steps on the pool policy) at beta;
	// and DPO at the same beta.

	// %%
	beta := nb.Float("beta", 0.2, 0.1, 2, "the KL coefficient both routes use")
	seed := nb.Seed()
	rl := poolRun(seed, pipeline.RLHF, beta, 1, world.GoldDefault, 1000)
	dpo := poolRun(seed, pipeline.DPO, beta, 1, world.GoldDefault, 1000)
	ipo := poolRun(seed, pipeline.IPO, beta, 1, world.GoldDefault, 1000)
	end, d := rl.Run.Steps[len(rl.Run.Steps)-1], dpo.Run.Steps[1]
	fmt.Printf("RL after %d steps: KL %.3f, gold %+.3f\n", end.Step, end.KL, end.Gold)
	fmt.Printf("DPO: KL %.3f, gold %+.3f; total variation to the reward model's optimum pi*: %.1e\n", d.KL, d.Gold, *dpo.Direct.TVToRMOptimum)

	// %% [markdown]
	// Before you look: how far apart are the DPO policy and the optimum
	// pi* that RL is heading for?

	// %%
	tv := *dpo.Direct.TVToRMOptimum
	truth := 2
	switch {
	case tv < 1e-6:
		truth = 0
	case tv < 0.05:
		truth = 1
	}
	nb.Predict("Total variation between the DPO policy and pi* for the reward model fitted to the same comparisons:",
		[]string{"zero, up to rounding", "small but clearly not zero", "large: they are different policies"}, truth,
		fmt.Sprintf("It is %.1e.", tv))
	curve := plots.StepsCurve(rl.Run.Steps)
	base := rl.Run.Steps[0].Gold
	fig, err := plots.GoldFrontier("Two routes to one policy", []plots.NamedCurve{{Name: "RL against the reward model", Curve: curve}},
		[]plots.NamedPoint{{Name: "DPO", KL: d.KL, Gain: d.Gold - base}, {Name: "IPO", KL: ipo.Run.Steps[1].KL, Gain: ipo.Run.Steps[1].Gold - base}}, nil)
	nb.Must(err)
	nb.Figure("RL's path from the base policy, against sqrt(KL), and where DPO and IPO land from the same comparisons", fig)
	nb.Check("DPO lands on the reward model's regularised optimum (total variation below 1e-6)", tv < 1e-6,
		"DPO and reward-model training minimise the same Bradley-Terry loss, one over the policy's log-ratios and one over the reward; at the optimum the two are the same function")
	nb.Check("RL's last step and DPO agree on the KL to within 0.05", math.Abs(end.KL-d.KL) < 0.05,
		"RL climbs towards pi*; DPO jumps there. Same objective, same answer")

	// %% [markdown]
	// IPO, fitted to the same comparisons, lands somewhere else: its loss
	// asks each pair for a fixed margin instead of a likelihood, so its
	// optimum is a different policy. (RL's path is the way Adam climbs,
	// not the best gold a policy can have at each KL, so the gap between
	// IPO's point and the path ranks nothing.)
	//
	// The pool policy can represent any tilt of the reference by a linear
	// reward, and the reward model here is linear, so DPO's policy and the
	// reward model's optimum are the same function exactly. The implicit
	// reward orders answers as the explicit one does, so on the same
	// answers it agrees with the gold reward exactly as often; the first
	// two numbers below come from different samples of answers (the
	// held-out pairs, the pool) and differ by sampling alone.

	// %%
	nb.Table([]string{"", "agreement with gold on base-policy pairs"}, [][]string{
		{"the reward model (held-out pairs)", fmt.Sprintf("%.3f", dpo.RM.Metrics.GoldAgreement)},
		{"DPO's implicit reward (the pool's pairs)", fmt.Sprintf("%.3f", dpo.Direct.ImplicitGoldAgreement)},
		{"DPO's implicit reward against the reward model", fmt.Sprintf("%.4f", dpo.Direct.ImplicitRMAgreement)},
	})
	nb.Check("the implicit reward orders the pool's answers as the reward model does (agreement above 0.999)",
		dpo.Direct.ImplicitRMAgreement > 0.999, "beta log(pi/pi_ref) of the DPO policy is the reward model's score, up to a constant per prompt")

	// %% [markdown]
	// ## Where the routes part: deterministic preferences
	//
	// If every annotator always prefers the better answer (tau = 0) and a
	// linear score can order every training pair correctly, the
	// Bradley-Terry loss keeps falling as the scores grow: its minimum
	// lies at infinity (lesson 09). A reward model then has to be stopped
	// or regularised; DPO has the same problem in the policy itself. Its
	// log-ratios grow without bound, the policy collapses onto one answer
	// per prompt, and **beta no longer matters**: no finite beta holds it
	// back. **IPO** (Azar et al., 2023) replaces the loss by a squared one
	// that asks each pair for a fixed margin of log-ratios and no more, so
	// its optimum stays finite. Here the gold reward is linear, so a linear
	// score can order the deterministic labels perfectly.

	// %%
	var rows [][]string
	var dpoH0, ipoH0, dpoH1, dpoLoss0 float64
	logM := math.Log(128)
	for _, tau := range []float64{1, 0} {
		for _, m := range []pipeline.Method{pipeline.DPO, pipeline.IPO} {
			r := poolRun(seed, m, beta, tau, world.GoldLinear, 300)
			s := r.Run.Steps[1]
			rows = append(rows, []string{fmt.Sprint(tau), string(m), fmt.Sprintf("%.3f", s.KL), fmt.Sprintf("%.3f", s.Entropy), fmt.Sprintf("%+.3f", s.Gold)})
			switch {
			case tau == 0 && m == pipeline.DPO:
				dpoH0, dpoLoss0 = s.Entropy, r.Direct.Loss
			case tau == 0 && m == pipeline.IPO:
				ipoH0 = s.Entropy
			case tau == 1 && m == pipeline.DPO:
				dpoH1 = s.Entropy
			}
		}
	}
	nb.Table([]string{"annotator tau", "method", "KL to the reference", "entropy (nats, at most 4.852)", "gold"}, rows)
	fmt.Printf("a policy that puts all its weight on one of the 128 answers has entropy 0 and KL log 128 = %.3f\n", logM)
	fmt.Printf("DPO's loss on the deterministic labels: %.1e\n", dpoLoss0)
	nb.Check("with deterministic preferences DPO drives its loss to nearly 0 (below 1e-6) and collapses (entropy below 0.1, of at most 4.852), whatever beta is",
		dpoLoss0 < 1e-6 && dpoH0 < 0.1,
		"when a linear score orders every pair correctly, DPO's loss falls forever as its log-ratios grow, and the KL term it stands for never enters the loss; the optimiser stops only when the gains are too small to measure")
	nb.Check("IPO keeps a spread-out policy on the same data (entropy above 1)", ipoH0 > 1,
		"IPO's squared loss asks each pair for a margin of 1/(2 tau_IPO) in log-ratios and penalises more, so its optimum is finite")
	nb.Check("with noisy annotators (tau = 1) DPO keeps some entropy", dpoH1 > dpoH0,
		"noisy labels make some pairs disagree with any score, so the Bradley-Terry loss has a finite minimum")

	// %% [markdown]
	// Here the collapse even picks good answers: the labels were right
	// and the gold reward linear, so the gold column looks fine. The
	// lesson is about control: with deterministic preferences beta has
	// stopped meaning anything, and on real data, where a label can be
	// wrong without any noise model saying so, a policy that trusts every
	// label infinitely is an overfitted one.
	//
	// Off the data the routes differ too: a reward model scores any new
	// answer, and RL can use it on prompts and answers no one labelled;
	// DPO learns only from the labelled pairs' log-ratios, and moves the
	// rest of the policy only as far as its parameters tie them together.

	// %%
	nb.Quiz("Why does DPO not need a reward model?",
		[]string{"because it uses the gold reward directly",
			"because the regularised optimum writes the reward as beta log(pi/pi_ref) plus a per-prompt constant, which cancels in every comparison",
			"because it skips the KL penalty",
			"because preference data already contain rewards: the share of annotators who preferred each answer is its reward, and DPO fits the policy to those shares"}, 1,
		"pi* = pi_ref exp(r/beta)/Z turns into r = beta log(pi*/pi_ref) + beta log Z. Comparisons of answers to one prompt cancel Z, so fitting the comparisons fits the policy.")
	nb.TrueFalse("With deterministic preferences that a linear score separates, raising DPO's beta keeps its policy close to the reference.", false,
		"The loss keeps falling as the log-ratios grow whatever beta is; beta scales the log-ratios, it does not bound them. IPO's margin does.")

	// %% [markdown]
	// ## Exercise: the DPO loss
	//
	// Write the DPO loss of one comparison from the log-probabilities of
	// the winner and the loser under the policy and the reference:
	// -log sigma(beta ((log pi_w - log ref_w) - (log pi_l - log ref_l))).
	// Keep it finite when the policy has moved far from the reference.

	// %% [exercise dpo-loss]
	dpoLoss := func(beta, piW, piL, refW, refL float64) float64 {
		var loss float64
		// BEGIN SOLUTION
		z := beta * ((piW - refW) - (piL - refL))
		if z > 0 {
			loss = math.Log1p(math.Exp(-z))
		} else {
			loss = -z + math.Log1p(math.Exp(z))
		}
		// END SOLUTION
		return loss
	}

	// %% [tests dpo-loss]
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	closedForm := true
	for _, c := range [][5]float64{{0.1, -3, -4, -3.5, -3.5}, {1, -1, -2, -1.5, -1.2}, {0.5, -10, -2, -9, -3}, {2, -0.7, -0.9, -0.8, -0.8}} {
		want := -math.Log(sig(c[0] * ((c[1] - c[3]) - (c[2] - c[4]))))
		closedForm = closedForm && math.Abs(dpoLoss(c[0], c[1], c[2], c[3], c[4])-want) < 1e-9
	}
	nb.Check("the loss matches -log sigma(beta (log-ratio of the winner - log-ratio of the loser)) at four comparisons", closedForm,
		"each log-ratio is the policy's log-probability minus the reference's")
	nb.Check("a policy equal to its reference has loss ln 2 at every beta", math.Abs(dpoLoss(0.1, -2, -3, -2, -3)-math.Ln2) < 1e-12 && math.Abs(dpoLoss(5, -7, -1, -7, -1)-math.Ln2) < 1e-12,
		"both log-ratios are zero, so the margin is zero whatever the log-probabilities")
	far := dpoLoss(1, -1, -900, -1, -1)
	wrong := dpoLoss(1, -900, -1, -1, -1)
	nb.Check("with log-ratio margins of +899 and -899 the loss is about 0 and about 899, finite", far >= 0 && far < 1e-12 && math.Abs(wrong-899) < 1e-6,
		"write log(1+exp(-z)) as -z + log(1+exp(z)) when z is negative")

	// %%
	fmt.Printf("your DPO loss at beta %g when the policy doubles the winner's probability relative to the reference: %.4f\n", beta, dpoLoss(beta, math.Log(0.2), math.Log(0.1), math.Log(0.1), math.Log(0.1)))
	nb.Check("your loss falls as the policy raises the winner's probability", dpoLoss(beta, math.Log(0.2), math.Log(0.1), math.Log(0.1), math.Log(0.1)) < dpoLoss(beta, math.Log(0.1), math.Log(0.1), math.Log(0.1), math.Log(0.1)),
		"a larger winner log-ratio is a larger margin, and -log sigma falls with the margin")
}
