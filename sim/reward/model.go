package reward

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"gonum.org/v1/gonum/floats"
)

// Model maps a feature vector to a scalar reward.
//
// Forward and Backward split one evaluation so that training computes each
// response's activations once and reuses them for the gradient.
type Model interface {
	// Kind names the architecture, as saved in model files.
	Kind() Kind
	// D is the number of input features.
	D() int
	// Params returns the live parameter vector; optimisers update it in
	// place.
	Params() []float64
	// ActLen is the length of the activation buffer Forward needs.
	ActLen() int
	// Forward returns the score of x and stores what Backward needs in act.
	Forward(x, act []float64) float64
	// Backward adds scale times the gradient of the score with respect to
	// the parameters to grad, using act from Forward(x, act).
	Backward(x, act []float64, scale float64, grad []float64)
}

// Score returns m's score of x, allocating an activation buffer if m needs
// one. Use a Scorer to score many responses.
func Score(m Model, x []float64) float64 {
	var act []float64
	if n := m.ActLen(); n > 0 {
		act = make([]float64, n)
	}
	return m.Forward(x, act)
}

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

// MLP is a multilayer perceptron with one or two hidden layers and a linear
// output without bias:
//
//	r(x) = v . f(W_L ... f(W_1 z + b_1) ... + b_L),  z = (x - InMean) / InScale
//
// The inputs are standardised with InMean and InScale, which training fits to
// the training responses; they are saved with the model but not trained.
type MLP struct {
	Hidden     []int
	Act        Activation
	InMean     []float64
	InScale    []float64
	params     []float64
	d          int
	delta, buf []float64 // backprop scratch; an MLP is not safe for concurrent use
}

// NewMLP returns an MLP on d features with the given hidden widths (one or
// two layers, each 1 to MaxWidth) and activation, its weights drawn from
// src with variance 1/fan-in. A bad shape or activation is an error that
// wraps ErrShape.
func NewMLP(d int, hidden []int, act Activation, src rand.Source) (*MLP, error) {
	m, err := newMLP(d, hidden, act)
	if err != nil {
		return nil, err
	}
	rng := rand.New(src)
	off, in := 0, d
	for _, h := range hidden {
		sd := 1 / math.Sqrt(float64(in))
		for i := 0; i < h*in; i++ {
			m.params[off+i] = sd * rng.NormFloat64()
		}
		off += h*in + h // biases stay 0
		in = h
	}
	sd := 1 / math.Sqrt(float64(in))
	for i := off; i < len(m.params); i++ {
		m.params[i] = sd * rng.NormFloat64()
	}
	return m, nil
}

// newMLP makes an MLP of the given shape with zero weights: the one place
// an MLP's shape is checked, for new models and for model files.
func newMLP(d int, hidden []int, act Activation) (*MLP, error) {
	if d < 1 || d > MaxFeatures {
		return nil, fmt.Errorf("%w: an MLP on %d features, want 1 to %d", ErrShape, d, MaxFeatures)
	}
	if err := CheckHidden(hidden); err != nil {
		return nil, err
	}
	if act == "" {
		act = Tanh
	}
	if err := act.Validate(); err != nil {
		return nil, err
	}
	n, in, maxW := 0, d, d
	for _, h := range hidden {
		n += h*in + h
		in = h
		if h > maxW {
			maxW = h
		}
	}
	n += in
	m := &MLP{
		Hidden: append([]int(nil), hidden...), Act: act, d: d,
		InMean: make([]float64, d), InScale: make([]float64, d),
		params: make([]float64, n),
		delta:  make([]float64, maxW), buf: make([]float64, maxW),
	}
	for i := range m.InScale {
		m.InScale[i] = 1
	}
	return m, nil
}

// Kind returns "mlp".
func (m *MLP) Kind() Kind { return KindMLP }

// D returns the number of input features.
func (m *MLP) D() int { return m.d }

// Params returns all weights and biases, layer by layer (each layer's
// weights row by row, then its biases), then the output weights.
func (m *MLP) Params() []float64 { return m.params }

// ActLen returns d plus the hidden widths: the standardised input and every
// hidden layer's output.
func (m *MLP) ActLen() int {
	n := m.d
	for _, h := range m.Hidden {
		n += h
	}
	return n
}

func (m *MLP) f(z float64) float64 {
	switch m.Act {
	case ReLU:
		return math.Max(z, 0)
	case Softplus:
		return stats.Softplus(z)
	}
	return math.Tanh(z)
}

// fprime returns f'(z) from the layer output a = f(z).
func (m *MLP) fprime(a float64) float64 {
	switch m.Act {
	case ReLU:
		if a > 0 {
			return 1
		}
		return 0
	case Softplus:
		return -math.Expm1(-a) // sigma(z) = 1 - exp(-softplus(z))
	}
	return 1 - a*a
}

// Forward returns the score of x, storing the standardised input and each
// hidden layer's output in act.
func (m *MLP) Forward(x, act []float64) float64 {
	d := m.d
	z := act[:d]
	for i := 0; i < d; i++ {
		z[i] = (x[i] - m.InMean[i]) / m.InScale[i]
	}
	p := m.params
	off, aoff, in := 0, d, z
	for _, h := range m.Hidden {
		n := len(in)
		out := act[aoff : aoff+h]
		W := p[off : off+h*n]
		b := p[off+h*n : off+h*n+h]
		for j := 0; j < h; j++ {
			out[j] = m.f(b[j] + floats.Dot(W[j*n:(j+1)*n], in))
		}
		off += h*n + h
		aoff += h
		in = out
	}
	return floats.Dot(p[off:off+len(in)], in)
}

// Backward adds scale times the gradient of the score to grad.
func (m *MLP) Backward(x, act []float64, scale float64, grad []float64) {
	L := len(m.Hidden)
	// Offsets of each layer's parameters and activations.
	var poff, aoff [3]int
	off, a, in := 0, m.d, m.d
	for l, h := range m.Hidden {
		poff[l], aoff[l] = off, a
		off += h*in + h
		a += h
		in = h
	}
	last := act[aoff[L-1] : aoff[L-1]+m.Hidden[L-1]]
	v := m.params[off : off+len(last)]
	gv := grad[off : off+len(last)]
	delta := m.delta[:len(last)]
	for j, aj := range last {
		gv[j] += scale * aj
		delta[j] = scale * v[j] * m.fprime(aj) // d score / d pre-activation
	}
	for l := L - 1; l >= 0; l-- {
		h := m.Hidden[l]
		var prev []float64
		if l == 0 {
			prev = act[:m.d]
		} else {
			prev = act[aoff[l-1] : aoff[l-1]+m.Hidden[l-1]]
		}
		n := len(prev)
		W := m.params[poff[l] : poff[l]+h*n]
		gW := grad[poff[l] : poff[l]+h*n]
		gb := grad[poff[l]+h*n : poff[l]+h*n+h]
		for j := 0; j < h; j++ {
			gb[j] += delta[j]
			floats.AddScaled(gW[j*n:(j+1)*n], delta[j], prev)
		}
		if l == 0 {
			break
		}
		next := m.buf[:n]
		for i := range next {
			next[i] = 0
		}
		for j := 0; j < h; j++ {
			floats.AddScaled(next, delta[j], W[j*n:(j+1)*n])
		}
		for i, pv := range prev {
			next[i] *= m.fprime(pv)
		}
		delta = m.delta[:n]
		copy(delta, next)
	}
}

var (
	_ Model = (*Linear)(nil)
	_ Model = (*MLP)(nil)
)
