package reward

import "github.com/rlhfsim/rlhfsim/sim/prefs"

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

// Optional behaviours of a model, which training looks for.
type (
	// scratchKeeper is a model whose Backward keeps scratch of its own:
	// full-batch passes over it stay on one core.
	scratchKeeper interface{ keepsScratch() bool }
	// inputFitter is a model that fits to its training inputs (an MLP's
	// input standardisation) before training.
	inputFitter interface{ fitInputs(d *prefs.Dataset) }
)

// Score returns m's score of x, allocating an activation buffer if m needs
// one. Use a Scorer to score many responses.
func Score(m Model, x []float64) float64 {
	var act []float64
	if n := m.ActLen(); n > 0 {
		act = make([]float64, n)
	}
	return m.Forward(x, act)
}

var (
	_ Model = (*Linear)(nil)
	_ Model = (*MLP)(nil)
)
