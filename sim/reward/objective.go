package reward

import (
	"errors"
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// Objective is what training minimises; see the package documentation for
// the formula. The zero value is the pairwise Bradley-Terry loss, grouped
// by prompt, without margin, decay or centering.
type Objective struct {
	// Loss is "bt" (pairwise Bradley-Terry, the default) or "pl"
	// (listwise Plackett-Luce on whole rankings).
	Loss Loss `json:"loss"`
	// Margin m requires r_w - r_l to exceed m before the pair's loss
	// flattens (bt only).
	Margin float64 `json:"margin"`
	// L2 is the weight-decay coefficient: (L2/2) ||theta||^2 per batch.
	L2 float64 `json:"l2"`
	// Center is the reward-centering coefficient lambda of
	// lambda * (r_w + r_l)^2 (TRL uses 0.01).
	Center float64 `json:"center"`
	// Grouping is "prompt" (the default: a unit is all pairs of one
	// prompt, each weighted 1/C(K,2)) or "flat" (a unit is one pair, and
	// pairs are shuffled independently).
	Grouping Grouping `json:"grouping"`
}

// ErrObjective is wrapped by errors for an invalid Objective.
var ErrObjective = errors.New("reward: bad objective")

// Validate reports an objective training cannot minimise: an unknown loss
// or grouping, the listwise loss without grouping by prompt, a margin with
// it, or a negative or non-finite coefficient.
func (o Objective) Validate() error {
	_, err := o.resolve()
	return err
}

func (o Objective) resolve() (Objective, error) {
	if err := o.Loss.Validate(); err != nil {
		return o, err
	}
	if err := o.Grouping.Validate(); err != nil {
		return o, err
	}
	if o.Loss == "" {
		o.Loss = BradleyTerry
	}
	if o.Grouping == "" {
		o.Grouping = GroupByPrompt
	}
	switch {
	case o.Loss == PlackettLuce && o.Grouping == GroupFlat:
		return o, fmt.Errorf("%w: the pl loss scores whole rankings, so it needs grouping by prompt", ErrObjective)
	case o.Loss == PlackettLuce && o.Margin != 0:
		return o, fmt.Errorf("%w: a margin applies to the bt loss only", ErrObjective)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"margin", o.Margin}, {"l2", o.L2}, {"center", o.Center}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) || (v.name != "margin" && v.x < 0) {
			return o, fmt.Errorf("%w: %s = %v, want a finite value >= 0", ErrObjective, v.name, v.x)
		}
	}
	return o, nil
}

// Describe returns the objective as one line of text, as saved with models.
func (o Objective) Describe() string {
	o, _ = o.resolve()
	data := "-log sigma(r_w - r_l)"
	if o.Margin != 0 {
		data = fmt.Sprintf("-log sigma(r_w - r_l - %g)", o.Margin)
	}
	if o.Loss == PlackettLuce {
		data = "Plackett-Luce NLL of the ranking"
	}
	unit := "mean over pairs"
	if o.Grouping == GroupByPrompt {
		unit = "mean over prompts of the per-prompt mean over its C(K,2) pairs"
		if o.Loss == PlackettLuce {
			unit = "mean over prompts"
		}
	}
	s := fmt.Sprintf("%s of [%s", unit, data)
	if o.Center != 0 {
		s += fmt.Sprintf(" + %g (r_w + r_l)^2", o.Center)
	}
	s += "]"
	if o.L2 != 0 {
		s += fmt.Sprintf(" + (%g/2) ||theta||^2 once per batch", o.L2)
	}
	return s
}

// pairTerm returns a pair's loss and its derivatives with respect to the
// two scores. -log sigma(z) = softplus(-z) keeps it finite for any z; the
// loss and sigma(-z) share one exponential, and the results are bit for bit
// those of stats.Softplus and stats.Sigmoid.
func (o *Objective) pairTerm(rw, rl float64) (l, gw, gl float64) {
	z := rw - rl - o.Margin
	e := math.Exp(-math.Abs(z))
	l = math.Max(-z, 0) + math.Log1p(e)
	s := e / (1 + e) // sigma(-z) = -dl/dz
	if z <= 0 {
		s = 1 / (1 + e)
	}
	gw, gl = -s, s
	if o.Center != 0 {
		c := rw + rl
		l += o.Center * c * c
		gw += 2 * o.Center * c
		gl += 2 * o.Center * c
	}
	return l, gw, gl
}

// pairGrad returns the derivatives of a pair's loss without the loss, which
// spares a logarithm per pair in the training loop.
func (o *Objective) pairGrad(rw, rl float64) (gw, gl float64) {
	s := stats.Sigmoid(-(rw - rl - o.Margin)) // as pairTerm rounds it
	gw, gl = -s, s
	if o.Center != 0 {
		c := 2 * o.Center * (rw + rl)
		gw += c
		gl += c
	}
	return gw, gl
}

// rankingTerm returns ranking ri's unit loss given its responses' scores s
// (presentation order) and, if ds is not nil, adds dloss/ds to ds.
func (o *Objective) rankingTerm(d *prefs.Dataset, ri int, s, ds []float64) float64 {
	return o.ranking(d, ri, s, ds, true)
}

// ranking is rankingTerm; without wantLoss it skips the bt loss values and
// returns 0, which saves a logarithm per pair.
func (o *Objective) ranking(d *prefs.Dataset, ri int, s, ds []float64, wantLoss bool) float64 {
	rk := &d.Rankings[ri]
	pairs := d.PairsOf(ri)
	if o.Loss == PlackettLuce {
		l := plTerm(s, rk.Order, ds)
		if o.Center != 0 {
			w := o.Center / float64(len(pairs))
			for _, p := range pairs {
				i, j := p.W-rk.First, p.L-rk.First
				c := s[i] + s[j]
				l += w * c * c
				if ds != nil {
					ds[i] += 2 * w * c
					ds[j] += 2 * w * c
				}
			}
		}
		return l
	}
	if len(pairs) == 0 {
		return 0
	}
	inv := 1 / float64(len(pairs))
	l := 0.0
	for _, p := range pairs {
		i, j := p.W-rk.First, p.L-rk.First
		var pl, gw, gl float64
		if wantLoss {
			pl, gw, gl = o.pairTerm(s[i], s[j])
		} else {
			gw, gl = o.pairGrad(s[i], s[j])
		}
		l += pl * inv
		if ds != nil {
			ds[i] += gw * inv
			ds[j] += gl * inv
		}
	}
	return l
}

// plTerm is the Plackett-Luce negative log-likelihood of order (best first)
// under scores s: the sum over positions i < K-1 of
// logsumexp(s over order[i:]) - s[order[i]]. Each suffix subtracts its own
// maximum, so score gaps of any size stay finite.
func plTerm(s []float64, order []int, ds []float64) float64 {
	k := len(order)
	l := 0.0
	for i := 0; i < k-1; i++ {
		m := math.Inf(-1)
		for _, j := range order[i:] {
			m = math.Max(m, s[j])
		}
		sum := 0.0
		for _, j := range order[i:] {
			sum += math.Exp(s[j] - m)
		}
		lse := m + math.Log(sum)
		l += lse - s[order[i]]
		if ds != nil {
			for _, j := range order[i:] {
				ds[j] += math.Exp(s[j] - lse)
			}
			ds[order[i]]--
		}
	}
	return l
}

// units returns the indices of the training units of split sp: rankings
// when grouping by prompt, pairs when flat.
func (o *Objective) units(d *prefs.Dataset, sp prefs.Split) []int {
	if o.Grouping == GroupFlat {
		return d.SplitPairs(sp)
	}
	return d.SplitRankings(sp)
}

// Eval returns the objective of m over split sp of d and, if grad is not
// nil, writes its gradient there. It is the full-batch form of what Train
// minimises.
func (o Objective) Eval(m Model, d *prefs.Dataset, sp prefs.Split, grad []float64) (float64, error) {
	o, err := o.resolve()
	if err != nil {
		return 0, err
	}
	if err := checkShapes(m, d); err != nil {
		return 0, err
	}
	if grad != nil && len(grad) != len(m.Params()) {
		panic("reward: gradient length mismatch")
	}
	e := newEngine(m, d, o)
	u := o.units(d, sp)
	e.scoreAll()
	if grad != nil {
		e.grad(u, grad)
	}
	return e.loss(u), nil
}

// ErrShape is wrapped by errors for a model that does not fit the data.
var ErrShape = errors.New("reward: model and data do not fit")

func checkShapes(m Model, d *prefs.Dataset) error {
	if m.D() != d.D() {
		return fmt.Errorf("%w: model has %d features, data has %d", ErrShape, m.D(), d.D())
	}
	return nil
}
