package world

import (
	"errors"
	"math"

	"github.com/rlhfsim/rlhfsim/internal/enum"
)

// GoldFunc is a hidden true reward: it scores response phi to prompt p.
// Any Go function of this type can serve as the gold reward, including one
// written in a lesson script.
type GoldFunc func(p Prompt, phi []float64) float64

// Gold is the built-in family of gold rewards: linear in the features plus
// an optional concave penalty on the distance of the length from the
// category's ideal.
//
//	r*(x, y) = W.phi - LengthCurvature * (phi[Length] - ideal(x))^2
//
// With LengthCurvature > 0 a linear reward model is misspecified: it can only
// learn the local slope of the length term, and a policy that follows that
// slope too far overshoots the ideal.
type Gold struct {
	Name            GoldName
	W               [NumFeatures]float64
	LengthCurvature float64
}

// goldWeights are the true weights of the quality features. Length has no
// linear weight: its effect is all in the concave term.
var goldWeights = [NumFeatures]float64{
	Helpfulness:  1.0,
	Correctness:  1.0,
	Clarity:      0.5,
	Harmlessness: 0.7,
	Length:       0,
	Filler:       -0.4,
	Flattery:     -0.2,
}

// DefaultGoldSpec is the default gold reward: the quality weights plus a
// length penalty of curvature 1.5 per squared log token.
func DefaultGoldSpec() Gold {
	return Gold{Name: GoldDefault, W: goldWeights, LengthCurvature: 1.5}
}

// LinearGoldSpec is the purely linear variant, with no length term at all, so
// a linear reward model is well specified and the true length weight is 0.
func LinearGoldSpec() Gold {
	return Gold{Name: GoldLinear, W: goldWeights}
}

// Reward evaluates the gold reward. It panics if phi has the wrong length.
func (g *Gold) Reward(p Prompt, phi []float64) float64 {
	if len(phi) != NumFeatures {
		panic("world: length mismatch")
	}
	r := 0.0
	for i, w := range g.W {
		r += w * phi[i]
	}
	if g.LengthCurvature != 0 {
		d := phi[Length] - p.Category.IdealLength()
		r -= g.LengthCurvature * d * d
	}
	return r
}

// Func returns g.Reward as a GoldFunc.
func (g Gold) Func() GoldFunc { return g.Reward }

// DefaultGold returns the default gold reward function.
func DefaultGold() GoldFunc { return DefaultGoldSpec().Func() }

// LinearGold returns the purely linear gold reward function.
func LinearGold() GoldFunc { return LinearGoldSpec().Func() }

// GoldName names a built-in gold reward.
type GoldName string

// The built-in gold rewards.
const (
	GoldDefault GoldName = "default" // quality weights and a concave length term
	GoldLinear  GoldName = "linear"  // the quality weights alone
)

// GoldNames lists the built-in gold rewards.
func GoldNames() []GoldName { return []GoldName{GoldDefault, GoldLinear} }

// ErrGold is wrapped by the error for an unknown gold reward.
var ErrGold = errors.New("world: unknown gold reward")

// Validate reports a name that is not one of GoldNames; "" means default.
func (n GoldName) Validate() error { return enum.Option(ErrGold, "gold", n, GoldNames()...) }

// GoldByName returns the built-in gold reward called name; "" is the
// default.
func GoldByName(name GoldName) (Gold, error) {
	if err := name.Validate(); err != nil {
		return Gold{}, err
	}
	if name == GoldLinear {
		return LinearGoldSpec(), nil
	}
	return DefaultGoldSpec(), nil
}

// Tokens converts a length feature (log tokens) to a whole number of tokens,
// at least 1.
func Tokens(logTokens float64) int {
	t := math.Round(math.Exp(logTokens))
	if t < 1 || math.IsNaN(t) {
		return 1
	}
	if t > 1e6 {
		return 1e6
	}
	return int(t)
}
