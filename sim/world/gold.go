package world

import (
	"errors"
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/internal/enum"
)

// GoldFunc is a hidden true reward: it scores response phi to prompt p.
// Any Go function of this type can serve as the gold reward, including one
// written in a lesson script.
type GoldFunc func(p Prompt, phi []float64) float64

// Gold is the built-in family of gold rewards:
//
//	r*(x, y) = sum over quality features i of W_i s tanh(phi_i / s)
//	         + sum over the other features of W_i phi_i
//	         - LengthCurvature (phi[Length] - ideal(x))^2
//	         - Incoherence sum_i max(0, |z_i| - Threshold)
//
// with s = Saturation (a plain W_i phi_i when it is 0) and z_i the distance
// of feature i from a typical answer in the base policy's standard
// deviations (length measured from the category's ideal). Each term is a
// mechanism a student can name, and each makes a reward model trained on
// base-policy answers go wrong in its own way when a policy optimises it
// (Manheim and Garrabrant's kinds of Goodhart effect):
//
//   - diminishing returns of quality (Saturation): near the base policy
//     more helpfulness is worth about W per unit, far above it little; a
//     model that learned the local slope keeps paying for more. Extremal.
//   - incoherence (Incoherence, Threshold): an answer that pushes any trait
//     to an extreme (three times the usual padding, absurd confidence)
//     stops making sense. Base-policy answers almost never go there, so the
//     reward model never sees the penalty. Extremal.
//   - the length ideal (LengthCurvature): the base policy answers a little
//     too briefly, so longer answers are better nearby and worse beyond the
//     ideal; length travels with helpfulness, so a model and a policy can
//     buy length instead of quality. Causal.
//   - the cues (weight 0): they travel with helpfulness, so a model
//     trained on finite data weighs them by chance, and a policy moves them
//     for nothing. Regressional.
type Gold struct {
	Name            GoldName
	W               [NumFeatures]float64
	LengthCurvature float64
	Saturation      float64
	Incoherence     float64
	Threshold       float64
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

// DefaultGoldSpec is the default gold reward: the quality weights with
// diminishing returns beyond 1.5 standard deviations, a length penalty of
// curvature 1.5 per squared log token, and incoherence of 1 per standard
// deviation beyond 2 in any feature. A student's variant has its own
// (Variant.DefaultGold), which the lesson runner gives a lesson that
// calls this.
func DefaultGoldSpec() Gold { return Variant{}.DefaultGold() }

// LinearGoldSpec is the purely linear variant, with no length term,
// saturation or incoherence, so a linear reward model is well specified and
// the true length weight is 0.
func LinearGoldSpec() Gold { return Variant{}.LinearGold() }

// quality marks the features whose returns diminish.
var quality = [NumFeatures]bool{Helpfulness: true, Correctness: true, Clarity: true, Harmlessness: true}

// Reward evaluates the gold reward: the sum of its terms. It panics if
// phi has the wrong length.
func (g *Gold) Reward(p Prompt, phi []float64) float64 {
	if len(phi) != NumFeatures {
		panic("world: length mismatch")
	}
	// One pass over phi for all four terms: a policy's evaluation calls
	// this for every draw of every step, and four passes through Term
	// cost a third of some lessons' time. Each term is summed in Term's
	// order and the terms are added in GoldTerm order, so the result is
	// bit for bit the sum of the Terms (TestRewardIsTheSumOfTerms).
	ideal := p.Category.IdealLength()
	var q, st, ex float64
	for i, w := range g.W {
		x := phi[i]
		if quality[i] {
			if g.Saturation > 0 {
				x = g.Saturation * math.Tanh(x/g.Saturation)
			}
			q += w * x
		} else {
			st += w * x
		}
		if g.Incoherence != 0 {
			z := phi[i]
			if i == Length {
				z -= ideal
			}
			ex += excess(math.Abs(z)/featureSD[i] - g.Threshold)
		}
	}
	d := phi[Length] - ideal
	r := 0.0
	r += q
	r += st
	r += -g.LengthCurvature * d * d
	inc := 0.0
	if g.Incoherence != 0 {
		inc = -g.Incoherence * ex
	}
	r += inc
	return r
}

// GoldTerm names one term of the gold reward, each a mechanism of its own
// (see Gold).
type GoldTerm int

// The terms of the gold reward.
const (
	// TermQuality is W_i s tanh(phi_i / s) summed over the quality
	// features (helpfulness, correctness, clarity, harmlessness).
	TermQuality GoldTerm = iota
	// TermStyle is W_i phi_i over the other features: filler and flattery
	// cost, the cues weigh nothing.
	TermStyle
	// TermLength is -LengthCurvature (phi[Length] - ideal)^2.
	TermLength
	// TermIncoherence is -Incoherence times the distance beyond
	// Threshold standard deviations, summed over the features.
	TermIncoherence
	// NumGoldTerms is the number of terms.
	NumGoldTerms
)

var goldTermNames = [NumGoldTerms]string{"quality", "style", "length", "incoherence"}

func (t GoldTerm) String() string {
	if t < 0 || t >= NumGoldTerms {
		return fmt.Sprintf("GoldTerm(%d)", int(t))
	}
	return goldTermNames[t]
}

// Term evaluates one term of the gold reward; the terms sum to Reward. It
// panics if phi has the wrong length or t is not a term.
func (g *Gold) Term(t GoldTerm, p Prompt, phi []float64) float64 {
	if len(phi) != NumFeatures {
		panic("world: length mismatch")
	}
	ideal := p.Category.IdealLength()
	r := 0.0
	switch t {
	case TermQuality, TermStyle:
		for i, w := range g.W {
			if quality[i] != (t == TermQuality) {
				continue
			}
			x := phi[i]
			if g.Saturation > 0 && quality[i] {
				x = g.Saturation * math.Tanh(x/g.Saturation)
			}
			r += w * x
		}
	case TermLength:
		d := phi[Length] - ideal
		r = -g.LengthCurvature * d * d
	case TermIncoherence:
		if g.Incoherence == 0 {
			return 0
		}
		ex := 0.0
		for i, x := range phi {
			if i == Length {
				x -= ideal
			}
			ex += excess(math.Abs(x)/featureSD[i] - g.Threshold)
		}
		r = -g.Incoherence * ex
	default:
		panic("world: no such gold term")
	}
	return r
}

// TermFunc returns one term of the gold reward as a GoldFunc, for
// watching a policy's expected value of each term.
func (g Gold) TermFunc(t GoldTerm) GoldFunc {
	if t < 0 || t >= NumGoldTerms {
		panic("world: no such gold term")
	}
	return func(p Prompt, phi []float64) float64 { return g.Term(t, p, phi) }
}

// excess is math.Max(0, v) for a term of a sum that starts at +0, bit for
// bit (NaN stays NaN, -0 and the negatives add +0), without math.Max's
// call: the gold reward is evaluated for every draw of every step, and
// math.Max was a tenth of its time.
func excess(v float64) float64 {
	if v <= 0 {
		return 0
	}
	return v
}

// Gradient writes the gold reward's gradient in the features at phi into
// dst (allocated when nil) and returns it: the weights a linear model
// would need to follow the gold reward near phi. At the base policy's
// typical answer the length slope is positive, since its answers are a
// little shorter than the ideal, although the length term has no linear
// weight.
func (g *Gold) Gradient(p Prompt, phi, dst []float64) []float64 {
	if len(phi) != NumFeatures {
		panic("world: length mismatch")
	}
	if dst == nil {
		dst = make([]float64, NumFeatures)
	}
	ideal := p.Category.IdealLength()
	for i, w := range g.W {
		dst[i] = w
		if g.Saturation > 0 && quality[i] {
			t := math.Tanh(phi[i] / g.Saturation)
			dst[i] = w * (1 - t*t)
		}
	}
	dst[Length] -= 2 * g.LengthCurvature * (phi[Length] - ideal)
	if g.Incoherence != 0 {
		for i, x := range phi {
			if i == Length {
				x -= ideal
			}
			if math.Abs(x)/featureSD[i] > g.Threshold {
				dst[i] -= g.Incoherence * math.Copysign(1, x) / featureSD[i]
			}
		}
	}
	return dst
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
	// GoldCoherent is the default without its incoherence penalty: the
	// ablation that shows how much of overoptimisation that one planted
	// term makes.
	GoldCoherent GoldName = "coherent"
)

// GoldNames lists the built-in gold rewards.
func GoldNames() []GoldName { return []GoldName{GoldDefault, GoldLinear, GoldCoherent} }

// ErrGold is wrapped by the error for an unknown gold reward.
var ErrGold = errors.New("world: unknown gold reward")

// Validate reports a name that is not one of GoldNames; "" means default.
func (n GoldName) Validate() error { return enum.Option(ErrGold, "gold", n, GoldNames()...) }

// GoldByName returns the built-in gold reward called name; "" is the
// default.
func GoldByName(name GoldName) (Gold, error) { return Variant{}.GoldByName(name) }

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
