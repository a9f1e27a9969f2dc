package policy

import (
	"math"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// watcher returns a function that evaluates the policy's current
// expectation of each of fs, exactly over the pool or over the
// generative policy's common random draws. It returns nil when fs is
// empty, so a run that watches nothing pays nothing.
func watcher(pol Policy, fs []RewardFunc) func() []float64 {
	if len(fs) == 0 {
		return nil
	}
	switch p := pol.(type) {
	case *Pool:
		// The pool is fixed, so score it once.
		scores := make([][]float64, len(fs))
		for k, f := range fs {
			scores[k] = p.Scores(f)
		}
		return func() []float64 {
			out := make([]float64, len(fs))
			for i := range p.prompts {
				probs := p.Probs(i, p.p)
				for k, s := range scores {
					for j, pj := range probs {
						out[k] += pj * s[i*p.m+j]
					}
				}
			}
			for k := range out {
				out[k] /= float64(len(p.prompts))
			}
			return out
		}
	case *Gaussian:
		return func() []float64 { return p.expect(fs) }
	}
	return func() []float64 {
		out := make([]float64, len(fs))
		for k := range out {
			out[k] = math.NaN()
		}
		return out
	}
}

// expect returns the expectation of each of fs over the common random
// draws, as Eval computes the expected rewards.
func (g *Gaussian) expect(fs []RewardFunc) []float64 {
	out := make([]float64, len(fs))
	g.eachDraw(func(_, _ int, p world.Prompt, phi []float64) {
		for k, f := range fs {
			out[k] += f(p, phi)
		}
	})
	for k := range out {
		out[k] /= float64(len(g.prompts) * g.draws)
	}
	return out
}
