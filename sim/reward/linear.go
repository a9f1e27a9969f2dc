package reward

import (
	"gonum.org/v1/gonum/floats"
)

// Linear is r(x) = w.x. It has no bias, because pairwise training cannot
// identify one: NewAffine adds one to show exactly that.
type Linear struct {
	p    []float64 // weights, then the bias if bias is set
	d    int
	bias bool
}

// NewLinear returns a linear model on d features with zero weights.
func NewLinear(d int) *Linear {
	if d < 1 {
		panic("reward: no features")
	}
	return &Linear{p: make([]float64, d), d: d}
}

// NewAffine returns r(x) = w.x + b with zero parameters. The ranking loss
// gives b a gradient of exactly zero, so b keeps whatever value it starts
// with; only a centering penalty pulls it towards a mean score of 0.
func NewAffine(d int) *Linear {
	if d < 1 {
		panic("reward: no features")
	}
	return &Linear{p: make([]float64, d+1), d: d, bias: true}
}

// Kind returns KindLinear, or KindAffine for a model with a bias.
func (m *Linear) Kind() Kind {
	if m.bias {
		return KindAffine
	}
	return KindLinear
}

// D returns the number of features.
func (m *Linear) D() int { return m.d }

// Params returns the weights followed by the bias, if any.
func (m *Linear) Params() []float64 { return m.p }

// Weights returns the feature weights (a view).
func (m *Linear) Weights() []float64 { return m.p[:m.d] }

// Bias returns the bias, 0 for a model without one.
func (m *Linear) Bias() float64 {
	if m.bias {
		return m.p[m.d]
	}
	return 0
}

// ActLen returns 0: a linear model needs no activations.
func (m *Linear) ActLen() int { return 0 }

// Forward returns w.x (+ b).
func (m *Linear) Forward(x, _ []float64) float64 {
	s := floats.Dot(m.p[:m.d], x[:m.d])
	if m.bias {
		s += m.p[m.d]
	}
	return s
}

// Backward adds scale * x (and scale for the bias) to grad.
func (m *Linear) Backward(x, _ []float64, scale float64, grad []float64) {
	floats.AddScaled(grad[:m.d], scale, x[:m.d])
	if m.bias {
		grad[m.d] += scale
	}
}

// linearShape checks a linear or affine model file: one weight per
// feature, and a bias for affine.
func linearShape(kind Kind) func(features int, _ []int, counts map[string]int) error {
	return func(features int, _ []int, counts map[string]int) error {
		want := features
		if kind == KindAffine {
			want++
		}
		if n := counts["params"]; n != want {
			return badFile("%s model on %d features needs %d parameters, has %d", kind, features, want, n)
		}
		return nil
	}
}

// loadLinear builds a linear or affine model from its file.
func loadLinear(kind Kind) func(f *file, D int) (Model, error) {
	return func(f *file, D int) (Model, error) {
		want := D
		if kind == KindAffine {
			want++
		}
		if len(f.Params) != want {
			return nil, badFile("%s model on %d features needs %d parameters, has %d", f.Kind, D, want, len(f.Params))
		}
		return &Linear{p: f.Params, d: D, bias: kind == KindAffine}, nil
	}
}
