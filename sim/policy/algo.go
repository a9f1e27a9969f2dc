package policy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"

	"gonum.org/v1/gonum/floats"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// lengthIndex is where the policies keep the length feature.
const lengthIndex = world.Length

// Optimize runs policy-gradient ascent on E[proxy] - beta KL(pi || pi_ref),
// recording the proxy and the hidden gold reward at every step (or every
// Settings.Record steps). The policy is changed in place; all sampling
// comes from src.
func Optimize(pol Policy, proxy, gold RewardFunc, s *Settings, src rand.Source) (*Run, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	algo := set.Algo.algorithm()
	pool, isPool := pol.(fixedPolicy)
	if algo.needsFixed && !isPool {
		return nil, fmt.Errorf("%w: the exact gradient needs the pool policy", ErrSettings)
	}
	o := &optimizer{pol: pol, set: set, rng: rand.New(src), proxy: proxy, beta: set.Beta, update: algo.update}
	o.eval = func() Stats { return pol.Eval(proxy, gold) }
	o.watch = watcher(pol, set.Watch)
	if isPool {
		// The pool is fixed, so score it once.
		ps, gs := pool.Scores(proxy), pool.Scores(gold)
		o.pool, o.poolProxy = pool, ps
		agree := pool.agreements(ps, gs)
		o.eval = func() Stats { return pool.evalScores(ps, gs, agree) }
	}
	n := len(pol.Params())
	o.grad, o.m1, o.m2 = make([]float64, n), make([]float64, n), make([]float64, n)
	run := &Run{}
	st := o.eval()
	run.KLEstimator, run.RewardEstimator = st.KLEstimator, st.RewardEstimator
	run.Steps = append(run.Steps, o.record(0, st, 0, 0))
	if set.Inspect != nil {
		set.Inspect(0, pol)
	}
	for step := 1; step <= set.Steps; step++ {
		beta := o.beta
		sampleKL := o.update(o)
		if step%set.Record != 0 && step != set.Steps {
			if set.Inspect != nil {
				set.Inspect(step, pol)
			}
			continue
		}
		gn := floats.Norm(o.grad, 2)
		st := o.eval()
		rec := o.record(step, st, gn, sampleKL)
		rec.Beta = beta
		run.Steps = append(run.Steps, rec)
		if set.Inspect != nil {
			set.Inspect(step, pol)
		}
		if set.Progress != nil {
			set.Progress(rec)
		}
		if math.IsNaN(st.Proxy) || math.IsNaN(st.KL) || math.IsInf(st.KL, 0) {
			return run, fmt.Errorf("policy: diverged at step %d: lower the learning rate", step)
		}
		if set.TargetKL > 0 {
			e := math.Max(-0.2, math.Min(0.2, st.KL/set.TargetKL-1))
			o.beta *= 1 + 0.1*e
		}
	}
	return run, nil
}

type optimizer struct {
	pol       Policy
	pool      fixedPolicy // pol, when its responses are fixed
	update    func(*optimizer) float64
	set       Settings
	rng       *rand.Rand
	proxy     RewardFunc
	poolProxy []float64
	eval      func() Stats
	watch     func() []float64
	beta      float64
	grad      []float64
	m1, m2    []float64
	step      int
}

func (o *optimizer) record(step int, st Stats, gn, sampleKL float64) Step {
	s := stepOf(step, st, o.beta, o.watch)
	s.GradNorm, s.SampleKL = gn, sampleKL
	return s
}

// stepOf records the policy's statistics st, and its expectations of the
// watched functions when watch is not nil, as step number step.
func stepOf(step int, st Stats, beta float64, watch func() []float64) Step {
	s := Step{Step: step, KL: st.KL, Proxy: st.Proxy, Gold: st.Gold, GoldAgreement: st.GoldAgreement, Entropy: st.Entropy,
		Length: st.Features[lengthIndex], Features: st.Features, Beta: beta}
	if watch != nil {
		s.Watch = watch()
	}
	return s
}

// reward returns the proxy reward of a sample, from the pool's cache when
// there is one.
func (o *optimizer) reward(s *Sample) float64 {
	if o.poolProxy != nil && s.Index >= 0 {
		return o.poolProxy[s.Prompt*o.pool.M()+s.Index]
	}
	return o.proxy(o.pol.Prompts()[s.Prompt], s.Phi)
}

// ascend takes one ascent step along o.grad: a natural-gradient step for a
// policy that knows its Fisher information, an Adam step otherwise.
func (o *optimizer) ascend() {
	if pc, ok := o.pol.(Preconditioner); ok {
		pc.Precondition(o.grad)
		p := o.pol.Params()
		for i, g := range o.grad {
			p[i] += o.set.LR * g
		}
		return
	}
	o.adam()
}

// adam takes one Adam ascent step along o.grad.
func (o *optimizer) adam() {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	o.step++
	c1 := 1 - math.Pow(b1, float64(o.step))
	c2 := 1 - math.Pow(b2, float64(o.step))
	p := o.pol.Params()
	for i, g := range o.grad {
		o.m1[i] = b1*o.m1[i] + (1-b1)*g
		o.m2[i] = b2*o.m2[i] + (1-b2)*g*g
		p[i] += o.set.LR * (o.m1[i] / c1) / (math.Sqrt(o.m2[i]/c2) + eps)
	}
}

// fixedPolicy is a policy over a fixed set of responses per prompt (the
// pool): its scores are computed once, and its exact gradient exists.
type fixedPolicy interface {
	Policy
	M() int
	Scores(f RewardFunc) []float64
	Objective(r []float64, beta float64, grad []float64) float64
	agreements(proxy, gold []float64) []*stats.PairAgreement
	evalScores(proxy, gold []float64, agree []*stats.PairAgreement) Stats
}

// An algorithm makes one policy update and returns the k1 KL estimate of
// its samples (0 when it draws none).
type algorithm struct {
	name       Algo
	needsFixed bool // it needs a fixedPolicy
	update     func(*optimizer) float64
}

// algorithms registers the optimisers, in the order Algos lists them. A
// new one is an update function here and its entry, with its Algo
// constant in options.go; Settings.resolve holds the rules between its
// settings.
var algorithms = []algorithm{
	{Reinforce, false, func(o *optimizer) float64 { return o.sampled(MeanBaseline, false) }},
	{RLOO, false, func(o *optimizer) float64 { return o.sampled(LOOBaseline, false) }},
	{PPO, false, func(o *optimizer) float64 { return o.sampled(LOOBaseline, true) }},
	{Exact, true, (*optimizer).exact},
}

// algorithm returns a's entry; a is valid (resolve checked it).
func (a Algo) algorithm() algorithm {
	for _, al := range algorithms {
		if al.name == a {
			return al
		}
	}
	panic("policy: unregistered algorithm " + string(a))
}

// exact takes one step along the pool's exact gradient.
func (o *optimizer) exact() float64 {
	o.pool.Objective(o.poolProxy, o.beta, o.grad)
	o.ascend()
	return 0
}

// sampled draws a batch and takes one REINFORCE step with the baseline,
// or PPO's clipped steps over the same batch.
func (o *optimizer) sampled(baseline Baseline, ppo bool) float64 {
	b := drawBatch(o.pol, o.set.Samples, o.set.PerPrompt, o.rng)
	rewards := make([]float64, len(b.samples))
	for i := range b.samples {
		rewards[i] = o.reward(&b.samples[i])
	}
	adv, logp, kl := b.advantages(o.pol, rewards, o.beta, baseline)
	if !ppo {
		b.reinforce(o.pol, adv, o.grad)
		o.ascend()
		return kl
	}
	for e := 0; e < o.set.PPOEpochs; e++ {
		b.ppoGrad(o.pol, adv, logp, o.set.Clip, o.grad)
		o.ascend()
	}
	return kl
}

// batch is one step's samples, PerPrompt consecutive samples per prompt.
type batch struct {
	samples []Sample
	k       int
}

// drawBatch draws n samples, k per prompt, for prompts chosen uniformly.
func drawBatch(pol Policy, n, k int, rng *rand.Rand) batch {
	np := len(pol.Prompts())
	b := batch{k: k}
	for len(b.samples) < n {
		i := rng.IntN(np)
		for j := 0; j < k && len(b.samples) < n; j++ {
			b.samples = append(b.samples, pol.Sample(i, rng))
		}
	}
	return b
}

// advantages turns rewards into penalised returns R = r - beta (log pi -
// log pi_ref) minus the baseline, and also returns the samples' log pi and
// the k1 KL estimate mean(log pi - log pi_ref).
func (b *batch) advantages(pol Policy, rewards []float64, beta float64, baseline Baseline) (adv, logp []float64, kl float64) {
	n := len(b.samples)
	R := make([]float64, n)
	logp = make([]float64, n)
	for i := range b.samples {
		logp[i] = pol.LogProb(&b.samples[i], nil, 0)
		d := logp[i] - pol.LogRef(&b.samples[i])
		kl += d
		R[i] = rewards[i] - beta*d
	}
	kl /= float64(n)
	adv = make([]float64, n)
	switch baseline {
	case NoBaseline:
		copy(adv, R)
	case MeanBaseline:
		m := floats.Sum(R) / float64(n)
		for i := range adv {
			adv[i] = R[i] - m
		}
	case LOOBaseline:
		// Leave-one-out within each prompt's group: the baseline of a
		// sample is the mean return of the other samples of its prompt, so
		// it is independent of the sample and the estimate stays unbiased.
		for g := 0; g < n; g += b.k {
			end := min(g+b.k, n)
			sum := floats.Sum(R[g:end])
			c := float64(end - g - 1)
			for i := g; i < end; i++ {
				if c == 0 {
					adv[i] = 0 // a lone sample has no others to compare with
					continue
				}
				adv[i] = R[i] - (sum-R[i])/c
			}
		}
	default:
		panic("policy: unknown baseline " + baseline)
	}
	return adv, logp, kl
}

// reinforce writes mean(adv_i grad log pi(y_i)) to grad.
func (b *batch) reinforce(pol Policy, adv, grad []float64) {
	for i := range grad {
		grad[i] = 0
	}
	w := 1 / float64(len(b.samples))
	for i := range b.samples {
		pol.LogProb(&b.samples[i], grad, w*adv[i])
	}
}

// ppoGrad writes the gradient of PPO's clipped surrogate
// mean(min(rho A, clip(rho, 1-eps, 1+eps) A)), rho = pi/pi_old, to grad. A
// sample whose ratio has left the trust region in the direction its
// advantage pushes contributes nothing.
func (b *batch) ppoGrad(pol Policy, adv, logpOld []float64, clip float64, grad []float64) {
	for i := range grad {
		grad[i] = 0
	}
	w := 1 / float64(len(b.samples))
	for i := range b.samples {
		rho := math.Exp(pol.LogProb(&b.samples[i], nil, 0) - logpOld[i])
		if (adv[i] > 0 && rho > 1+clip) || (adv[i] < 0 && rho < 1-clip) {
			continue
		}
		pol.LogProb(&b.samples[i], grad, w*adv[i]*rho)
	}
}

// Estimate configures GradientEstimate. The zero value draws 64 samples,
// 4 per prompt, with no baseline and no KL penalty.
type Estimate struct {
	// Beta is the KL coefficient of E[r] - Beta KL.
	Beta float64
	// Baseline is subtracted from each sample's reward; zero means none.
	Baseline Baseline
	// Samples is the number of samples; zero means 64.
	Samples int
	// PerPrompt is the number of samples per prompt; zero means 4.
	PerPrompt int
}

// GradientEstimate draws samples from pol and writes the REINFORCE
// estimate of the gradient of E[r] - beta KL to grad. It is the estimator
// Optimize uses, exposed so tests and lessons can study its bias and
// variance. Settings it cannot use are an error that wraps ErrSettings.
func GradientEstimate(pol Policy, reward RewardFunc, e *Estimate, grad []float64, src rand.Source) error {
	var s Estimate
	if e != nil {
		s = *e
	}
	if s.Samples == 0 {
		s.Samples = 64
	}
	if s.PerPrompt == 0 {
		s.PerPrompt = 4
	}
	if s.Baseline == "" {
		s.Baseline = NoBaseline
	}
	if err := s.Baseline.Validate(); err != nil {
		return err
	}
	if s.Samples < 1 || s.PerPrompt < 1 || !(s.Beta >= 0) || math.IsInf(s.Beta, 0) {
		return fmt.Errorf("%w: %d samples, %d per prompt, beta %v: want positive counts and a finite beta >= 0", ErrSettings, s.Samples, s.PerPrompt, s.Beta)
	}
	if s.Baseline == LOOBaseline && s.PerPrompt < 2 {
		return fmt.Errorf("%w: the leave-one-out baseline needs at least 2 samples per prompt", ErrSettings)
	}
	beta, baseline := s.Beta, s.Baseline
	rnd := rng.Of(src)
	b := drawBatch(pol, s.Samples, s.PerPrompt, rnd)
	r := make([]float64, len(b.samples))
	for i := range b.samples {
		r[i] = reward(pol.Prompts()[b.samples[i].Prompt], b.samples[i].Phi)
	}
	adv, _, _ := b.advantages(pol, r, beta, baseline)
	b.reinforce(pol, adv, grad)
	return nil
}
