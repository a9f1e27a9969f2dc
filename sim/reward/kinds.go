package reward

import (
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/internal/enum"
)

// Spec is what a model needs beyond its number of features: an MLP's
// hidden widths and activation (other kinds ignore them).
type Spec struct {
	Hidden     []int
	Activation Activation
}

// kindSpec is one kind of model: how to make one, and how its own fields
// are saved in and checked and read from a model file.
//
// A new kind is a Model type with its methods (model.go has Linear and
// MLP; a kind whose Backward keeps scratch of its own implements
// keepsScratch, and one that fits to its inputs implements fitInputs),
// its Kind constant in options.go, and one entry in kinds.
type kindSpec struct {
	name Kind
	new  func(d int, s Spec, src rand.Source) (Model, error)
	// shape checks a file's declared shape against the sizes of its
	// arrays (counts, by key), before they are decoded.
	shape func(features int, hidden []int, counts map[string]int) error
	// save fills the kind's own fields of a model file; load builds the
	// model from a file whose shape passed.
	save func(m Model, f *file)
	load func(f *file, d int) (Model, error)
}

// kinds registers the kinds of model, in the order Kinds lists them.
var kinds = []kindSpec{
	{KindLinear, func(d int, _ Spec, _ rand.Source) (Model, error) { return NewLinear(d), nil }, linearShape(KindLinear), nil, loadLinear(KindLinear)},
	{KindAffine, func(d int, _ Spec, _ rand.Source) (Model, error) { return NewAffine(d), nil }, linearShape(KindAffine), nil, loadLinear(KindAffine)},
	{KindMLP, newMLPKind, mlpShape, saveMLP, loadMLP},
}

// Kinds lists the valid kinds.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return out
}

// Validate reports a kind that is not one of Kinds; "" means linear.
func (k Kind) Validate() error { return enum.Option(ErrOption, "model", k, Kinds()...) }

// spec returns the registered kind k ("" is linear).
func (k Kind) spec() (kindSpec, bool) {
	if k == "" {
		k = KindLinear
	}
	for _, s := range kinds {
		if s.name == k {
			return s, true
		}
	}
	return kindSpec{}, false
}

// New returns a fresh model of kind k ("" is linear) on d features; an
// MLP's weights are drawn from src. A bad kind wraps ErrOption, a bad
// shape ErrShape.
func New(k Kind, d int, s Spec, src rand.Source) (Model, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	ks, _ := k.spec()
	return ks.new(d, s, src)
}
