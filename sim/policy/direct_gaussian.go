package policy

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	gonumopt "gonum.org/v1/gonum/optimize"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// gaussianPairs holds what DPO needs of each training pair for the
// generative policy. With u = phi - mu(x), a = Sigma^-1 u and q = u' a,
//
//	log pi/pi_ref (phi) = -1/2 e^{-2s} (q - 2 delta' a + delta' Sigma^-1 delta) - D s + q/2,
//
// and in a pair's difference the terms without phi cancel:
//
//	h = (1 - e^{-2s}) dq / 2 + e^{-2s} delta' da,
//
// with dq and da the chosen response's q and a minus the rejected one's.
// So the data are read once, and each loss evaluation is O(D) a pair.
type gaussianPairs struct {
	dq []float64
	da []float64 // D values a pair
}

func (g *Gaussian) directPairs(d *prefs.Dataset) (*gaussianPairs, error) {
	D := world.NumFeatures
	if d.D() != D {
		return nil, fmt.Errorf("%w: the data have %d features, the policy %d", ErrSettings, d.D(), D)
	}
	pairs := d.SplitPairs(prefs.Train)
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%w: no training pairs", ErrSettings)
	}
	gp := &gaussianPairs{dq: make([]float64, len(pairs)), da: make([]float64, len(pairs)*D)}
	mu, u := make([]float64, D), make([]float64, D)
	aw, al := make([]float64, D), make([]float64, D)
	for n, pi := range pairs {
		p := d.Pairs[pi]
		g.w.Mean(d.Rankings[p.Ranking].Prompt, mu)
		floats.SubTo(u, d.Response(p.W), mu)
		qw := g.quad(u, aw)
		floats.SubTo(u, d.Response(p.L), mu)
		ql := g.quad(u, al)
		gp.dq[n] = qw - ql
		floats.SubTo(gp.da[n*D:(n+1)*D], aw, al)
	}
	return gp, nil
}

// loss is DirectLoss for the generative policy's parameters theta =
// (delta, s), with its gradient written to grad when grad is not nil.
func (gp *gaussianPairs) loss(theta []float64, set *Direct, grad []float64) float64 {
	D := world.NumFeatures
	delta, s := theta[:D], theta[D]
	e := math.Exp(-2 * s)
	if grad != nil {
		clear(grad)
	}
	total := 0.0
	n := float64(len(gp.dq))
	for k, dq := range gp.dq {
		da := gp.da[k*D : (k+1)*D]
		dd := floats.Dot(delta, da)
		l, dl := set.pairLoss((1-e)*dq/2 + e*dd)
		total += l
		if grad != nil {
			floats.AddScaled(grad[:D], dl*e/n, da)
			grad[D] += dl * e * (dq - 2*dd) / n
		}
	}
	return total / n
}

// TrainDirect fits the generative policy to the training pairs of d with
// DPO or IPO, minimising the loss exactly with L-BFGS (Steps and LR are
// not used). The policy's parameters are shared by all prompts, so it
// answers its own prompts with what it learned from the data's.
func (g *Gaussian) TrainDirect(d *prefs.Dataset, s *Direct) (*DirectResult, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	gp, err := g.directPairs(d)
	if err != nil {
		return nil, err
	}
	theta := g.Params()
	prob := gonumopt.Problem{
		Func: func(x []float64) float64 { return gp.loss(x, &set, nil) },
		Grad: func(gr, x []float64) { gp.loss(x, &set, gr) },
	}
	r, err := gonumopt.Minimize(prob, append([]float64(nil), theta...), &gonumopt.Settings{GradientThreshold: 1e-10, MajorIterations: 10000}, &gonumopt.LBFGS{})
	if err != nil && r == nil {
		return nil, err
	}
	copy(theta, r.X)
	return &DirectResult{Loss: gp.loss(theta, &set, nil), Norm: floats.Norm(theta, 2)}, nil
}

// ImplicitAgreement measures the implicit reward beta log(pi/pi_ref) of
// the policy as it stands on the base policy's common draws: how often it
// orders two draws for the same prompt as gold does, and as proxy does,
// averaged over prompts.
func (g *Gaussian) ImplicitAgreement(beta float64, proxy, gold RewardFunc) (withGold, withProxy float64) {
	D := world.NumFeatures
	delta, e := g.Shift(), math.Exp(-2*g.LogScale())
	impl, pr, gd := make([]float64, g.draws), make([]float64, g.draws), make([]float64, g.draws)
	phi, a := make([]float64, D), make([]float64, D)
	var ag, ap agreement
	for i, p := range g.prompts {
		g.w.Mean(p, g.mu)
		for j := 0; j < g.draws; j++ {
			dev := g.crn[(i*g.draws+j)*D : (i*g.draws+j+1)*D]
			q := g.quad(dev, a)
			impl[j] = beta * ((1-e)*q/2 + e*floats.Dot(delta, a))
			floats.AddTo(phi, g.mu, dev)
			pr[j], gd[j] = proxy(p, phi), gold(p, phi)
		}
		ag.add(uniformAgreement(impl, gd))
		ap.add(uniformAgreement(impl, pr))
	}
	return ag.mean(), ap.mean()
}
