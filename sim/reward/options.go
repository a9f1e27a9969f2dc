package reward

import (
	"errors"
	"fmt"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// The options of a reward model and its training are string types, each
// with its valid values and a Validate method that lists them: the one
// definition the command line, the pipeline and lessons all check against.
// The empty string is each option's documented default.

// Kind names a kind of model.
type Kind string

// The kinds of model.
const (
	KindLinear Kind = "linear" // w . phi, no bias: ranking cannot identify one
	KindAffine Kind = "affine" // w . phi + b, to show the bias gets no gradient
	KindMLP    Kind = "mlp"    // a multilayer perceptron
)

// Activation names a hidden-layer nonlinearity of an MLP.
type Activation string

// The activations an MLP supports.
const (
	Tanh     Activation = "tanh"
	ReLU     Activation = "relu"
	Softplus Activation = "softplus"
)

// Activations lists the valid activations.
func Activations() []Activation { return []Activation{Tanh, ReLU, Softplus} }

// Validate reports an activation that is not one of Activations; ""
// means tanh.
func (a Activation) Validate() error {
	return enum.Option(ErrOption, "activation", a, Activations()...)
}

// Optimizer names a training algorithm.
type Optimizer string

// The optimizers.
const (
	Adam  Optimizer = "adam"  // minibatch Adam with early stopping (the default)
	SGD   Optimizer = "sgd"   // minibatch stochastic gradient descent
	LBFGS Optimizer = "lbfgs" // full-batch L-BFGS, to the exact optimum of a convex loss
)

// Optimizers lists the valid optimizers.
func Optimizers() []Optimizer { return []Optimizer{Adam, SGD, LBFGS} }

// Validate reports an optimizer that is not one of Optimizers; "" means
// adam.
func (o Optimizer) Validate() error { return enum.Option(ErrOption, "optimizer", o, Optimizers()...) }

// Loss names the data term of the objective.
type Loss string

// The losses.
const (
	BradleyTerry Loss = "bt" // pairwise: -log sigma(r_w - r_l - margin) (the default)
	PlackettLuce Loss = "pl" // listwise: the Plackett-Luce likelihood of whole rankings
)

// Losses lists the valid losses.
func Losses() []Loss { return []Loss{BradleyTerry, PlackettLuce} }

// Validate reports a loss that is not one of Losses; "" means bt.
func (l Loss) Validate() error { return enum.Option(ErrOption, "loss", l, Losses()...) }

// Grouping names how pairs form the units of a minibatch.
type Grouping string

// The groupings.
const (
	GroupByPrompt Grouping = "prompt" // all pairs of a prompt together, each weighted 1/C(K,2) (the default)
	GroupFlat     Grouping = "flat"   // pairs shuffled independently
)

// Groupings lists the valid groupings.
func Groupings() []Grouping { return []Grouping{GroupByPrompt, GroupFlat} }

// Validate reports a grouping that is not one of Groupings; "" means
// prompt.
func (g Grouping) Validate() error { return enum.Option(ErrOption, "grouping", g, Groupings()...) }

// ErrOption is wrapped by every error for an option or shape that does
// not exist.
var ErrOption = errors.New("reward: bad option")

// Bounds on a model's shape.
const (
	// MaxFeatures is the most features a model may read.
	MaxFeatures = prefs.MaxFeatures
	// MaxWidth is the widest hidden layer of an MLP.
	MaxWidth = 4096
	// MaxLayers is the most hidden layers of an MLP.
	MaxLayers = 2
)

// CheckHidden reports hidden widths an MLP cannot have: one or two layers,
// each 1 to MaxWidth wide.
func CheckHidden(hidden []int) error {
	if len(hidden) < 1 || len(hidden) > MaxLayers {
		return fmt.Errorf("%w: %d hidden layers, want 1 to %d", ErrOption, len(hidden), MaxLayers)
	}
	for _, h := range hidden {
		if h < 1 || h > MaxWidth {
			return fmt.Errorf("%w: hidden width %d, want 1 to %d", ErrOption, h, MaxWidth)
		}
	}
	return nil
}
