package policy

import (
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/rng"
	"gonum.org/v1/gonum/floats"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Pool is the exact policy. Each prompt has a fixed pool of M responses
// drawn from the base policy, so pi_ref is uniform over the pool, and
//
//	pi_theta(y_j | x) = exp(theta . phi_j) / sum_k exp(theta . phi_k).
//
// Everything a policy-gradient method estimates (KL, expected rewards, the
// gradient itself) can be summed exactly over the pool, which is what makes
// the sampled estimators testable.
type Pool struct {
	prompts []world.Prompt
	m, d    int
	phi     []float64 // prompt i, member j at ((i*m)+j)*d
	theta   []float64
	z, p    []float64 // scratch: logits and probabilities of one prompt
}

// NewPool draws a pool of m base-policy responses for each prompt.
func NewPool(w *world.World, prompts []world.Prompt, m int, src rand.Source) *Pool {
	if m < 1 || len(prompts) == 0 {
		panic("policy: empty pool")
	}
	rng := rand.New(src)
	d := world.NumFeatures
	pl := &Pool{
		prompts: append([]world.Prompt(nil), prompts...), m: m, d: d,
		phi:   make([]float64, len(prompts)*m*d),
		theta: make([]float64, d),
		z:     make([]float64, m), p: make([]float64, m),
	}
	for i, p := range prompts {
		for j := 0; j < m; j++ {
			w.Sample(p, pl.Response(i, j), rng)
		}
	}
	return pl
}

// Prompts returns the prompts.
func (pl *Pool) Prompts() []world.Prompt { return pl.prompts }

// Params returns theta, one logit weight per feature.
func (pl *Pool) Params() []float64 { return pl.theta }

// M returns the pool size per prompt.
func (pl *Pool) M() int { return pl.m }

// Response returns member j of prompt i's pool (a view).
func (pl *Pool) Response(i, j int) []float64 {
	o := (i*pl.m + j) * pl.d
	return pl.phi[o : o+pl.d : o+pl.d]
}

// Probs writes pi_theta over prompt i's pool into dst (allocated if nil)
// and returns it.
func (pl *Pool) Probs(i int, dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, pl.m)
	}
	for j := 0; j < pl.m; j++ {
		s := 0.0
		for k, v := range pl.Response(i, j) {
			s += pl.theta[k] * v
		}
		dst[j] = s
	}
	lse := floats.LogSumExp(dst)
	for j := range dst {
		dst[j] = math.Exp(dst[j] - lse)
	}
	return dst
}

// Sample draws a pool member for prompt i from pi_theta.
func (pl *Pool) Sample(i int, src rand.Source) Sample {
	rnd := rng.Of(src)
	p := pl.Probs(i, pl.p)
	u := rnd.Float64()
	j := 0
	for c := p[0]; c < u && j < pl.m-1; c += p[j] {
		j++
	}
	return Sample{Prompt: i, Index: j, Phi: pl.Response(i, j)}
}

// LogProb returns log pi_theta of the sample and adds scale times
// grad log pi_theta = phi_j - E_pi[phi] to grad.
func (pl *Pool) LogProb(s *Sample, grad []float64, scale float64) float64 {
	p := pl.Probs(s.Prompt, pl.p)
	if grad != nil {
		for j, pj := range p {
			for k, v := range pl.Response(s.Prompt, j) {
				grad[k] -= scale * pj * v
			}
		}
		for k, v := range s.Phi {
			grad[k] += scale * v
		}
	}
	return math.Log(p[s.Index])
}

// LogRef returns log(1/M): the base policy is uniform over the pool.
func (pl *Pool) LogRef(*Sample) float64 { return -math.Log(float64(pl.m)) }

// Scores evaluates f on every pool member, indexed i*M + j.
func (pl *Pool) Scores(f RewardFunc) []float64 {
	out := make([]float64, len(pl.prompts)*pl.m)
	for i, p := range pl.prompts {
		for j := 0; j < pl.m; j++ {
			out[i*pl.m+j] = f(p, pl.Response(i, j))
		}
	}
	return out
}

// Eval returns the exact expectations, summed over every pool.
func (pl *Pool) Eval(proxy, gold RewardFunc) Stats {
	return pl.EvalScores(pl.Scores(proxy), pl.Scores(gold))
}

// EvalScores is Eval with the rewards of every pool member precomputed by
// Scores, which saves re-scoring a fixed pool at every step.
func (pl *Pool) EvalScores(proxy, gold []float64) Stats {
	return pl.evalScores(proxy, gold, pl.agreements(proxy, gold))
}

// agreements prepares each prompt's pair agreement between fixed scores,
// so that evaluating a moving policy does not sort them again.
func (pl *Pool) agreements(proxy, gold []float64) []*stats.PairAgreement {
	a := make([]*stats.PairAgreement, len(pl.prompts))
	for i := range a {
		a[i] = stats.NewPairAgreement(proxy[i*pl.m:(i+1)*pl.m], gold[i*pl.m:(i+1)*pl.m])
	}
	return a
}

func (pl *Pool) evalScores(proxy, gold []float64, agree []*stats.PairAgreement) Stats {
	st := Stats{Features: make([]float64, pl.d), KLEstimator: "exact (enumerated over the pool)",
		RewardEstimator: "exact (enumerated over the pool)"}
	logM := math.Log(float64(pl.m))
	var acc agreement
	for i := range pl.prompts {
		p := pl.Probs(i, pl.p)
		acc.add(agree[i].Weighted(p))
		for j, pj := range p {
			if pj == 0 {
				continue
			}
			lp := math.Log(pj)
			st.KL += pj * (lp + logM)
			st.Entropy -= pj * lp
			st.Proxy += pj * proxy[i*pl.m+j]
			st.Gold += pj * gold[i*pl.m+j]
			for k, v := range pl.Response(i, j) {
				st.Features[k] += pj * v
			}
		}
	}
	n := float64(len(pl.prompts))
	st.KL /= n
	st.Entropy /= n
	st.Proxy /= n
	st.Gold /= n
	st.GoldAgreement = acc.mean()
	for k := range st.Features {
		st.Features[k] /= n
	}
	return st
}

// Objective returns J(theta) = mean over prompts of E_pi[r] - beta KL(pi || pi_ref)
// for rewards r of every member (from Scores) and, if grad is not nil,
// writes its exact gradient there:
//
//	dJ/dtheta = mean over prompts of sum_j p_j (f_j - E_p[f]) phi_j,  f_j = r_j - beta log(p_j M).
//
// (The derivative of the log inside f contributes sum_j p_j (delta_jk - p_k) = 0.)
func (pl *Pool) Objective(r []float64, beta float64, grad []float64) float64 {
	for k := range grad {
		grad[k] = 0
	}
	logM := math.Log(float64(pl.m))
	f := make([]float64, pl.m)
	J := 0.0
	for i := range pl.prompts {
		p := pl.Probs(i, pl.p)
		fbar := 0.0
		for j, pj := range p {
			f[j] = r[i*pl.m+j]
			if pj > 0 {
				f[j] -= beta * (math.Log(pj) + logM)
			}
			fbar += pj * f[j]
		}
		J += fbar
		if grad == nil {
			continue
		}
		for j, pj := range p {
			c := pj * (f[j] - fbar)
			for k, v := range pl.Response(i, j) {
				grad[k] += c * v
			}
		}
	}
	n := float64(len(pl.prompts))
	for k := range grad {
		grad[k] /= n
	}
	return J / n
}

// Optimal returns the KL-regularised optimum over prompt i's pool for
// rewards r (from Scores): pi*(y) = pi_ref(y) exp(r(y)/beta) / Z.
func (pl *Pool) Optimal(i int, r []float64, beta float64) []float64 {
	q := make([]float64, pl.m)
	for j := range q {
		q[j] = r[i*pl.m+j] / beta
	}
	lse := floats.LogSumExp(q)
	for j := range q {
		q[j] = math.Exp(q[j] - lse)
	}
	return q
}

var _ Policy = (*Pool)(nil)
