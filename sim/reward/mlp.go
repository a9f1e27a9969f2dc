package reward

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"gonum.org/v1/gonum/floats"
)

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

// fitInputs sets an MLP's input standardisation from the training
// responses, unless it was set already.
func (m *MLP) fitInputs(d *prefs.Dataset) {
	for i := range m.InMean {
		if m.InMean[i] != 0 || m.InScale[i] != 1 {
			return
		}
	}
	D := d.D()
	sum := make([]float64, D)
	sq := make([]float64, D)
	n := 0
	for _, ri := range d.SplitRankings(prefs.Train) {
		rk := &d.Rankings[ri]
		for j := rk.First; j < rk.First+rk.K; j++ {
			for f, x := range d.Response(j) {
				sum[f] += x
				sq[f] += x * x
			}
			n++
		}
	}
	for f := range sum {
		mean := sum[f] / float64(n)
		sd := math.Sqrt(math.Max(sq[f]/float64(n)-mean*mean, 0))
		if sd < 1e-8 {
			sd = 1
		}
		m.InMean[f], m.InScale[f] = mean, sd
	}
}

func newMLPKind(d int, s Spec, src rand.Source) (Model, error) {
	return NewMLP(d, s.Hidden, s.Activation, src)
}

// keepsScratch: an MLP's Backward uses scratch of its own, so a pass
// over the data cannot share one MLP between cores.
func (m *MLP) keepsScratch() bool { return true }

// mlpShape checks an MLP file: its hidden widths, the parameters they
// need, and an input mean and scale per feature.
func mlpShape(features int, hidden []int, counts map[string]int) error {
	if err := CheckHidden(hidden); err != nil {
		return badFile("%v", err)
	}
	want := 0
	in := features
	for _, h := range hidden {
		want += in*h + h
		in = h
	}
	want += in // the output layer has no bias: ranking cannot identify one
	if counts["input_mean"] != features || counts["input_scale"] != features {
		return badFile("input_mean and input_scale need %d values each, have %d and %d", features, counts["input_mean"], counts["input_scale"])
	}
	if n := counts["params"]; n != want {
		return badFile("mlp %v on %d features needs %d parameters, has %d", hidden, features, want, n)
	}
	return nil
}

// saveMLP writes an MLP's shape and input standardisation.
func saveMLP(mod Model, f *file) {
	m, ok := mod.(*MLP)
	if !ok {
		return // a model of another type that calls itself mlp
	}
	f.Hidden, f.Activation, f.InMean, f.InScale = m.Hidden, m.Act, m.InMean, m.InScale
}

// loadMLP builds an MLP from its file.
func loadMLP(f *file, D int) (Model, error) {
	mlp, err := newMLP(D, f.Hidden, f.Activation)
	if err != nil {
		return nil, badFile("%v", err)
	}
	if len(f.Params) != len(mlp.params) {
		return nil, badFile("mlp %v on %d features needs %d parameters, has %d", f.Hidden, D, len(mlp.params), len(f.Params))
	}
	if len(f.InMean) != D || len(f.InScale) != D {
		return nil, badFile("input_mean and input_scale need %d values each", D)
	}
	for _, v := range f.InScale {
		if !(v >= MinInputScale) {
			return nil, badFile("input_scale values must be at least %g", MinInputScale)
		}
	}
	copy(mlp.params, f.Params)
	mlp.InMean, mlp.InScale = f.InMean, f.InScale
	return mlp, nil
}
