package policy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/rng"

	"gonum.org/v1/gonum/mat"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Gaussian is the generative policy: it produces new responses, so it can
// leave the region where the reward model was trained. For prompt x,
//
//	pi_theta(. | x) = N(mu_ref(x) + delta, exp(2s) Sigma)
//
// with theta = (delta, s): delta moves the mean of every feature and s
// scales the spread. The base policy is theta = 0, and
//
//	KL(pi_theta || pi_ref) = (D exp(2s) - D - 2 D s + delta' Sigma^-1 delta) / 2
//
// in closed form. Expected rewards are estimated with common random
// numbers: a fixed set of standard normal draws per prompt, reused at every
// evaluation, so successive evaluations differ only because theta did.
type Gaussian struct {
	w       *world.World
	prompts []world.Prompt
	theta   []float64 // delta (D values), then s
	inv     [world.NumFeatures][world.NumFeatures]float64
	cov     [world.NumFeatures][world.NumFeatures]float64
	logDet  float64   // log det Sigma
	crn     []float64 // L z of the common random draws: the base policy's deviations from its mean
	draws   int
	mu, dv  []float64 // scratch
}

// NewGaussian returns the generative policy for prompts at the base policy,
// with draws common random draws per prompt for Eval.
func NewGaussian(w *world.World, prompts []world.Prompt, draws int, src rand.Source) *Gaussian {
	if len(prompts) == 0 || draws < 1 {
		panic("policy: no prompts or draws")
	}
	D := world.NumFeatures
	g := &Gaussian{w: w, prompts: append([]world.Prompt(nil), prompts...),
		theta: make([]float64, D+1), draws: draws,
		crn: make([]float64, len(prompts)*draws*D),
		mu:  make([]float64, D), dv: make([]float64, D)}
	var ch mat.Cholesky
	if !ch.Factorize(w.Cov()) {
		panic("policy: world covariance is not positive definite")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		panic(fmt.Sprintf("policy: %v", err))
	}
	cov := w.Cov()
	for i := 0; i < D; i++ {
		for j := 0; j < D; j++ {
			g.inv[i][j] = inv.At(i, j)
			g.cov[i][j] = cov.At(i, j)
		}
	}
	g.logDet = ch.LogDet()
	rng := rand.New(src)
	z := make([]float64, D)
	for i := range prompts {
		g.w.Mean(prompts[i], g.mu)
		for j := 0; j < draws; j++ {
			for k := range z {
				z[k] = rng.NormFloat64()
			}
			// Place once and keep the deviation: every later evaluation
			// only scales and shifts it.
			o := (i*draws + j) * D
			dev := g.crn[o : o+D]
			g.w.Place(prompts[i], nil, 1, z, dev)
			for k := range dev {
				dev[k] -= g.mu[k]
			}
		}
	}
	return g
}

// Prompts returns the prompts.
func (g *Gaussian) Prompts() []world.Prompt { return g.prompts }

// Params returns theta: the mean shift delta, one per feature, then the
// log-scale s.
func (g *Gaussian) Params() []float64 { return g.theta }

// Shift returns delta (a view).
func (g *Gaussian) Shift() []float64 { return g.theta[:world.NumFeatures] }

// LogScale returns s.
func (g *Gaussian) LogScale() float64 { return g.theta[world.NumFeatures] }

// Sample draws a new response to prompt i.
func (g *Gaussian) Sample(i int, src rand.Source) Sample {
	rnd := rng.Of(src)
	var z [world.NumFeatures]float64
	for k := range z {
		z[k] = rnd.NormFloat64()
	}
	phi := make([]float64, world.NumFeatures)
	g.w.Place(g.prompts[i], g.Shift(), math.Exp(g.LogScale()), z[:], phi)
	return Sample{Prompt: i, Index: -1, Phi: phi}
}

// quad returns v' Sigma^-1 v and, if dst is not nil, writes Sigma^-1 v.
func (g *Gaussian) quad(v, dst []float64) float64 {
	q := 0.0
	for i := range v {
		s := 0.0
		for j, vj := range v {
			s += g.inv[i][j] * vj
		}
		if dst != nil {
			dst[i] = s
		}
		q += v[i] * s
	}
	return q
}

// logDensity is log N(phi; mu(x) + shift, exp(2s) Sigma).
func (g *Gaussian) logDensity(i int, phi, shift []float64, s float64, grad []float64, scale float64) float64 {
	D := world.NumFeatures
	g.w.Mean(g.prompts[i], g.mu)
	for k := range g.dv {
		g.dv[k] = phi[k] - g.mu[k]
		if shift != nil {
			g.dv[k] -= shift[k]
		}
	}
	var sinv []float64
	if grad != nil {
		sinv = make([]float64, D)
	}
	q := g.quad(g.dv, sinv)
	e := math.Exp(-2 * s)
	if grad != nil {
		for k := 0; k < D; k++ {
			grad[k] += scale * e * sinv[k]
		}
		grad[D] += scale * (e*q - float64(D))
	}
	return -0.5*e*q - float64(D)*s - 0.5*(float64(D)*math.Log(2*math.Pi)+g.logDet)
}

// LogProb returns log pi_theta(y|x) and adds scale times its gradient in
// (delta, s) to grad.
func (g *Gaussian) LogProb(smp *Sample, grad []float64, scale float64) float64 {
	return g.logDensity(smp.Prompt, smp.Phi, g.Shift(), g.LogScale(), grad, scale)
}

// LogRef returns log pi_ref(y|x).
func (g *Gaussian) LogRef(smp *Sample) float64 {
	return g.logDensity(smp.Prompt, smp.Phi, nil, 0, nil, 0)
}

// Precondition turns a gradient in (delta, s) into the natural gradient.
// The Fisher information of N(mu + delta, exp(2s) Sigma) is
// exp(-2s) Sigma^-1 for delta and 2D for s, with no cross terms, so the
// natural gradient is exp(2s) Sigma g_delta and g_s / (2D). For a linear
// reward w the natural gradient of E[r] is Sigma w whatever the features'
// scales: a feature the base policy varies a lot is cheap to move, one it
// holds steady is dear.
func (g *Gaussian) Precondition(grad []float64) {
	D := world.NumFeatures
	e := math.Exp(2 * g.LogScale())
	var out [world.NumFeatures]float64
	for i := 0; i < D; i++ {
		s := 0.0
		for j := 0; j < D; j++ {
			s += g.cov[i][j] * grad[j]
		}
		out[i] = e * s
	}
	copy(grad[:D], out[:])
	grad[D] /= 2 * float64(D)
}

var _ Preconditioner = (*Gaussian)(nil)

// OptimalKL returns the KL to the base policy of the regularised optimum
// of E[w . phi] - beta KL over this family: the mean moves by Sigma w /
// beta and the spread stays, so KL* = w' Sigma w / (2 beta^2). A run with
// a linear proxy w heads there; whether it arrives depends on its steps.
// It panics if w has the wrong length or beta is not positive.
func (g *Gaussian) OptimalKL(w []float64, beta float64) float64 {
	if len(w) != world.NumFeatures || !(beta > 0) {
		panic("policy: OptimalKL needs one weight per feature and beta > 0")
	}
	q := 0.0
	for i := range w {
		for j := range w {
			q += w[i] * g.cov[i][j] * w[j]
		}
	}
	return q / (2 * beta * beta)
}

// KL returns KL(pi_theta || pi_ref) in closed form.
func (g *Gaussian) KL() float64 {
	D := float64(world.NumFeatures)
	s := g.LogScale()
	return 0.5 * (D*math.Exp(2*s) - D - 2*D*s + g.quad(g.Shift(), nil))
}

// Entropy returns the differential entropy of pi_theta in nats.
func (g *Gaussian) Entropy() float64 {
	D := float64(world.NumFeatures)
	return 0.5*(D*(1+math.Log(2*math.Pi))+g.logDet) + D*g.LogScale()
}

// Eval returns the KL and entropy in closed form, the expected features
// exactly, and the expected rewards over the common random draws.
func (g *Gaussian) Eval(proxy, gold RewardFunc) Stats {
	D := world.NumFeatures
	st := Stats{KL: g.KL(), Entropy: g.Entropy(), Features: make([]float64, D),
		KLEstimator:     "exact (closed form)",
		RewardEstimator: fmt.Sprintf("Monte Carlo, %d common draws per prompt", g.draws)}
	prox, gd := make([]float64, g.draws), make([]float64, g.draws)
	var acc agreement
	g.eachDraw(func(i, j int, p world.Prompt, phi []float64) {
		if j == 0 {
			for k := range st.Features {
				st.Features[k] += g.mu[k] + g.theta[k]
			}
		}
		prox[j], gd[j] = proxy(p, phi), gold(p, phi)
		st.Proxy += prox[j]
		st.Gold += gd[j]
		if j == g.draws-1 {
			acc.add(uniformAgreement(prox, gd))
		}
	})
	st.GoldAgreement = acc.mean()
	n := float64(len(g.prompts))
	for k := range st.Features {
		st.Features[k] /= n
	}
	st.Proxy /= n * float64(g.draws)
	st.Gold /= n * float64(g.draws)
	return st
}

// eachDraw calls f with every common random draw j of every prompt i, as
// the current policy places it; g.mu holds prompt i's base mean during
// the call, and phi is reused.
func (g *Gaussian) eachDraw(f func(i, j int, p world.Prompt, phi []float64)) {
	D := world.NumFeatures
	phi := make([]float64, D)
	sc := math.Exp(g.LogScale())
	shift := g.Shift()
	for i, p := range g.prompts {
		g.w.Mean(p, g.mu)
		for j := 0; j < g.draws; j++ {
			o := (i*g.draws + j) * D
			for k, dev := range g.crn[o : o+D] {
				phi[k] = g.mu[k] + shift[k] + sc*dev
			}
			f(i, j, p, phi)
		}
	}
}

var _ Policy = (*Gaussian)(nil)
