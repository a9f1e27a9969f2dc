package policy

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	gonumopt "gonum.org/v1/gonum/optimize"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Method names how a policy learns from preferences: through a reward
// model and RL against it, or fitted to the pairs directly. It is the one
// method type of the engine: pipeline.Method is this type.
type Method string

// The methods.
const (
	// RLHF trains a reward model, then the policy against it by
	// policy-gradient RL (Optimize).
	RLHF Method = "rlhf"
	// DPO minimises -log sigma(beta h), h the difference of the two
	// responses' log-ratios log(pi/pi_ref) (Rafailov et al. 2023).
	DPO Method = "dpo"
	// IPO minimises (h - 1/(2 tau))^2: it asks for a margin, not an
	// ever larger one, so deterministic preferences cannot drive it off
	// (Azar et al. 2023).
	IPO Method = "ipo"
)

// Methods lists the methods.
func Methods() []Method { return []Method{RLHF, DPO, IPO} }

// DirectMethods lists the methods that train a policy on the pairs
// directly, without a reward model: what Direct runs.
func DirectMethods() []Method { return []Method{DPO, IPO} }

// IsDirect reports whether m is one of DirectMethods.
func (m Method) IsDirect() bool { return m == DPO || m == IPO }

// Validate reports a method that is not one of Methods; "" means rlhf in
// a pipeline, dpo in a Direct.
func (m Method) Validate() error { return enum.Option(ErrSettings, "method", m, Methods()...) }

// Direct configures DirectLoss and a DirectPolicy's TrainDirect. The zero value is DPO at
// beta 0.1 trained to its optimum.
type Direct struct {
	// Method is DPO (the default) or IPO.
	Method Method
	// Beta is DPO's coefficient, the beta of the KL-regularised objective
	// whose optimum DPO reaches; zero means 0.1.
	Beta float64
	// Tau is IPO's regularisation: it asks each pair for a log-ratio
	// margin of 1/(2 Tau); zero means Beta.
	Tau float64
	// Steps, if positive, takes that many full-batch gradient steps of
	// size LR instead of minimising exactly (L-BFGS), to show the path.
	Steps int
	// LR is the gradient step size when Steps > 0; zero means 1.
	LR float64
	// Watch is Settings.Watch: functions whose expectation is recorded
	// at every recorded step.
	Watch []RewardFunc
}

func (s *Direct) resolve() (Direct, error) {
	r := Direct{Method: DPO, Beta: 0.1, LR: 1}
	if s != nil {
		if s.Method != "" {
			r.Method = s.Method
		}
		if s.Beta != 0 {
			r.Beta = s.Beta
		}
		r.Tau, r.Steps, r.Watch = s.Tau, s.Steps, s.Watch
		if s.LR != 0 {
			r.LR = s.LR
		}
	}
	if r.Tau == 0 {
		r.Tau = r.Beta
	}
	if err := enum.Option(ErrSettings, "method", r.Method, DirectMethods()...); err != nil {
		return r, err
	}
	if !(r.Beta > 0) || !(r.Tau > 0) || !(r.LR > 0) || math.IsInf(r.Beta+r.Tau+r.LR, 0) || r.Steps < 0 {
		return r, fmt.Errorf("%w: direct method needs a finite beta, tau and step size above 0", ErrSettings)
	}
	return r, nil
}

// pairLoss returns one pair's loss for its log-ratio difference h, and
// the loss's derivative in h: softplus(-beta h) for DPO, (h - 1/(2 tau))^2
// for IPO.
func (s *Direct) pairLoss(h float64) (l, dl float64) {
	if s.Method == IPO {
		e := h - 1/(2*s.Tau)
		return e * e, 2 * e
	}
	return stats.Softplus(-s.Beta * h), -s.Beta * stats.Sigmoid(-s.Beta*h)
}

// DirectLoss returns the loss of method s on pairs, each given as the
// feature difference chosen minus rejected (diffs, D values a pair), for
// the pool-policy parameters theta, and writes its gradient into grad when
// grad is not nil.
//
// For the pool policy, log pi_theta(y|x)/pi_ref(y|x) = theta . phi(y) -
// log Z(x), and log Z(x) is the same for both responses of a pair, so the
// log-ratio difference of a pair is h = theta . (phi_w - phi_l): DPO on
// this family is Bradley-Terry regression with weights beta theta, and
// its optimum is the KL-regularised optimum of the reward model those
// weights define.
func DirectLoss(theta, diffs []float64, s *Direct, grad []float64) (float64, error) {
	set, err := s.resolve()
	if err != nil {
		return 0, err
	}
	D := len(theta)
	if len(diffs)%D != 0 || len(diffs) == 0 {
		panic("policy: DirectLoss needs whole pairs of len(theta) values")
	}
	clear(grad)
	n := len(diffs) / D
	loss := 0.0
	for k := 0; k < n; k++ {
		dv := diffs[k*D : (k+1)*D]
		l, dl := set.pairLoss(floats.Dot(theta, dv))
		loss += l
		if grad != nil {
			floats.AddScaled(grad, dl/float64(n), dv)
		}
	}
	return loss / float64(n), nil
}

// DirectResult is a pool policy trained directly on preference pairs.
type DirectResult struct {
	// Loss is the final training loss; History the loss after every
	// gradient step (only when Steps > 0).
	Loss    float64
	History []float64
	// Norm is |theta| at the end: it grows without bound under DPO on
	// preferences a linear score separates perfectly, and stays put
	// under IPO.
	Norm float64
}

// A DirectPolicy is a policy that DPO and IPO can train: TrainDirect fits
// it to the training pairs of d, the same data a reward model would see,
// in place, starting from its current parameters. The pool and the
// generative policy are; a new policy becomes one by this method.
type DirectPolicy interface {
	Policy
	TrainDirect(d *prefs.Dataset, s *Direct) (*DirectResult, error)
	// ImplicitAgreement measures the implicit reward beta
	// log(pi/pi_ref) of the policy as it stands on base-policy responses:
	// how often it orders two responses to the same prompt as gold does,
	// and as proxy does, averaged over prompts.
	ImplicitAgreement(beta float64, proxy, gold RewardFunc) (withGold, withProxy float64)
}

// steppedDirect is a DirectPolicy whose gradient steps OptimizeDirect
// records one by one.
type steppedDirect interface {
	trainDirect(d *prefs.Dataset, s *Direct, each func(step int)) (*DirectResult, error)
}

var (
	_ DirectPolicy = (*Pool)(nil)
	_ DirectPolicy = (*Gaussian)(nil)
)

// TrainDirect trains the pool policy with gradient steps (s.Steps > 0)
// or to the optimum with L-BFGS.
func (pl *Pool) TrainDirect(d *prefs.Dataset, s *Direct) (*DirectResult, error) {
	return pl.trainDirect(d, s, nil)
}

// trainDirect is TrainDirect, calling each after every gradient step.
func (pl *Pool) trainDirect(d *prefs.Dataset, s *Direct, each func(step int)) (*DirectResult, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	D := len(pl.Params())
	if d.D() != D {
		return nil, fmt.Errorf("%w: the data have %d features, the policy %d", ErrSettings, d.D(), D)
	}
	pairs := d.SplitPairs(prefs.Train)
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%w: no training pairs", ErrSettings)
	}
	diffs := make([]float64, 0, len(pairs)*D)
	for _, pi := range pairs {
		p := d.Pairs[pi]
		w, l := d.Response(p.W), d.Response(p.L)
		for k := range w {
			diffs = append(diffs, w[k]-l[k])
		}
	}
	theta := pl.Params()
	res := &DirectResult{}
	if set.Steps > 0 {
		g := make([]float64, D)
		for step := 0; step < set.Steps; step++ {
			l, _ := DirectLoss(theta, diffs, &set, g)
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return res, fmt.Errorf("policy: %s diverged at step %d: lower the step size", set.Method, step)
			}
			floats.AddScaled(theta, -set.LR, g)
			res.History = append(res.History, l)
			if each != nil {
				each(step + 1)
			}
		}
	} else {
		prob := gonumopt.Problem{
			Func: func(x []float64) float64 { l, _ := DirectLoss(x, diffs, &set, nil); return l },
			Grad: func(g, x []float64) { _, _ = DirectLoss(x, diffs, &set, g) },
		}
		r, err := gonumopt.Minimize(prob, append([]float64(nil), theta...), &gonumopt.Settings{GradientThreshold: 1e-10, MajorIterations: 10000}, &gonumopt.LBFGS{})
		if err != nil && r == nil {
			return nil, err
		}
		copy(theta, r.X)
	}
	res.Loss, _ = DirectLoss(theta, diffs, &set, nil)
	res.Norm = floats.Norm(theta, 2)
	return res, nil
}

// OptimizeDirect trains a policy with DPO or IPO (its TrainDirect) and
// records it as
// Optimize records RL: the base policy as step 0, then every gradient step
// when s.Steps > 0 (the pool only), or else the optimum alone as step 1.
// proxy and gold are only measured, never optimised: the policy sees
// nothing but the preference pairs.
func OptimizeDirect(pol Policy, d *prefs.Dataset, proxy, gold RewardFunc, s *Direct) (*Run, *DirectResult, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, nil, err
	}
	run := &Run{}
	dp, ok := pol.(DirectPolicy)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s needs the pool or the generative policy", ErrSettings, set.Method)
	}
	eval := func() Stats { return pol.Eval(proxy, gold) }
	stepped, isStepped := pol.(steppedDirect)
	if fp, ok := pol.(fixedPolicy); ok {
		// The pool is fixed, so score it once.
		ps, gs := fp.Scores(proxy), fp.Scores(gold)
		agree := fp.agreements(ps, gs)
		eval = func() Stats { return fp.evalScores(ps, gs, agree) }
	}
	if set.Steps > 0 && !isStepped {
		return nil, nil, fmt.Errorf("%w: gradient steps of %s are built for the pool policy; the generative policy is fitted exactly", ErrSettings, set.Method)
	}
	watch := watcher(pol, set.Watch)
	rec := func(step int) {
		st := eval()
		run.KLEstimator, run.RewardEstimator = st.KLEstimator, st.RewardEstimator
		run.Steps = append(run.Steps, stepOf(step, st, set.Beta, watch))
	}
	rec(0)
	var res *DirectResult
	if isStepped {
		res, err = stepped.trainDirect(d, &set, rec)
	} else {
		res, err = dp.TrainDirect(d, &set)
	}
	if err != nil {
		return run, res, err
	}
	if set.Steps == 0 {
		rec(1)
	}
	return run, res, nil
}

// ImplicitAgreement measures the pool policy's implicit reward on its
// pool (DirectPolicy).
func (pl *Pool) ImplicitAgreement(beta float64, proxy, gold RewardFunc) (withGold, withProxy float64) {
	ps, gs := pl.Scores(proxy), pl.Scores(gold)
	// log pi/pi_ref = theta . phi - log Z + log M; the terms that do not
	// depend on the response change no comparison.
	theta := pl.Params()
	impl := pl.Scores(func(_ world.Prompt, phi []float64) float64 { return beta * floats.Dot(theta, phi) })
	uniform := make([]float64, pl.m)
	for j := range uniform {
		uniform[j] = 1
	}
	n := float64(len(pl.prompts))
	for i := range pl.prompts {
		row := func(x []float64) []float64 { return x[i*pl.m : (i+1)*pl.m] }
		withGold += stats.NewPairAgreement(row(impl), row(gs)).Weighted(uniform) / n
		withProxy += stats.NewPairAgreement(row(impl), row(ps)).Weighted(uniform) / n
	}
	return withGold, withProxy
}

// TVToOptimum is the total variation between the pool policy and the
// KL-regularised optimum pi_ref exp(r/beta)/Z of proxy at the same beta,
// averaged over prompts: the common target of DPO and of RL against
// proxy when both fit the same Bradley-Terry model.
func (pl *Pool) TVToOptimum(beta float64, proxy RewardFunc) float64 {
	ps := pl.Scores(proxy)
	n := float64(len(pl.prompts))
	tv := 0.0
	for i := range pl.prompts {
		p, q := pl.Probs(i, nil), pl.Optimal(i, ps, beta)
		for j := range p {
			tv += math.Abs(p[j]-q[j]) / 2 / n
		}
	}
	return tv
}
