package annotate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/rlhfsim/rlhfsim/sim/rng"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Bias is a named, systematic departure of an annotator's judgement from the
// gold reward. Shift returns the utility it adds to response phi shown at
// position pos (0-based) of k.
type Bias interface {
	Name() string
	Shift(phi []float64, pos, k int) float64
}

// LengthBias adds B per log token: the annotator favours longer answers.
type LengthBias float64

// Name returns "length".
func (LengthBias) Name() string { return "length" }

// Shift returns B * phi[Length].
func (b LengthBias) Shift(phi []float64, pos, k int) float64 { return float64(b) * phi[world.Length] }

// PositionBias adds B to the response shown first, falling linearly to 0 for
// the one shown last.
type PositionBias float64

// Name returns "position".
func (PositionBias) Name() string { return "position" }

// Shift returns B * (1 - pos/(k-1)).
func (b PositionBias) Shift(phi []float64, pos, k int) float64 {
	if k < 2 {
		return 0
	}
	return float64(b) * (1 - float64(pos)/float64(k-1))
}

// FeatureBias adds B times one feature; with world.Flattery it models an
// annotator swayed by praise.
type FeatureBias struct {
	Feature int
	B       float64
}

// Name returns the feature's name.
func (b FeatureBias) Name() string { return world.FeatureNames()[b.Feature] }

// Shift returns B * phi[Feature].
func (b FeatureBias) Shift(phi []float64, pos, k int) float64 { return b.B * phi[b.Feature] }

// Quirk is QuirkOf the standard world, whose annotators' hidden taste is
// length. A lesson run for a student gets its variant's (the runner
// gives the lesson QuirkOf that variant under this name).
func Quirk(strength float64) Bias { return QuirkOf(world.Variant{}, strength) }

// QuirkOf returns the hidden taste of a variant's annotators
// (world.Variant.Quirk) at a strength: a length bias of strength per log
// token, or a liking for flattery or filler of strength per unit.
func QuirkOf(v world.Variant, strength float64) Bias {
	switch world.Quirks[v.Quirk] {
	case "flattery":
		return FeatureBias{Feature: world.Flattery, B: strength}
	case "filler":
		return FeatureBias{Feature: world.Filler, B: strength}
	}
	return LengthBias(strength)
}

// Flaw is FlawOf the standard world, whose production annotators like
// flattery. A lesson run for a student gets its variant's (the runner
// gives the lesson FlawOf that variant under this name).
func Flaw(strength float64) Bias { return FlawOf(world.Variant{}, strength) }

// FlawOf returns the bias a variant's production annotators hide in the
// capstone (world.Variant.Flaw) at a strength: a liking for flattery or
// length of strength per base-policy standard deviation of the feature
// (per unit of flattery, per half log token), or strength added to the
// answer shown first; nil for the variant whose labels are honest.
// Measuring both likings in standard deviations makes a strength as easy
// to detect in one as in the other.
func FlawOf(v world.Variant, strength float64) Bias {
	switch world.Flaws[v.Flaw] {
	case "flattery":
		return FeatureBias{Feature: world.Flattery, B: strength / world.FeatureSD(world.Flattery)}
	case "length":
		return LengthBias(strength / world.FeatureSD(world.Length))
	case "position":
		return PositionBias(strength)
	}
	return nil
}

var (
	_ Bias = LengthBias(0)
	_ Bias = PositionBias(0)
	_ Bias = FeatureBias{}
)

// Annotator is one simulated labeller.
type Annotator struct {
	Name string
	// Tau is the temperature of the annotator's noise; 0 is noiseless.
	Tau float64
	// Biases are added to the gold reward to form the annotator's utility.
	Biases []Bias
	// Offset and Scale map utility to a Likert rating:
	// rating = round(4 + Offset + Scale*(u + noise)), clamped to 1..7.
	// A zero Scale means 1.
	Offset, Scale float64
}

// Without returns a copy of a with the named bias removed.
func (a Annotator) Without(name string) Annotator {
	var bs []Bias
	for _, b := range a.Biases {
		if b.Name() != name {
			bs = append(bs, b)
		}
	}
	a.Biases = bs
	return a
}

// Utility returns the annotator's utility for response phi to p, shown at
// position pos of k.
func (a *Annotator) Utility(gold world.GoldFunc, p world.Prompt, phi []float64, pos, k int) float64 {
	return gold(p, phi) + a.Bias(phi, pos, k)
}

// Bias returns the sum of the annotator's biases for response phi, shown
// at position pos of k: what the annotator adds to the gold reward.
func (a *Annotator) Bias(phi []float64, pos, k int) float64 {
	s := 0.0
	for _, b := range a.Biases {
		s += b.Shift(phi, pos, k)
	}
	return s
}

// Utilities writes the utilities of the k responses in phis (flat, k*D,
// in presentation order) into dst and returns it.
func (a *Annotator) Utilities(gold world.GoldFunc, p world.Prompt, phis []float64, dst []float64) []float64 {
	k := len(phis) / world.NumFeatures
	if len(phis) != k*world.NumFeatures {
		panic("annotate: length mismatch")
	}
	if dst == nil {
		dst = make([]float64, k)
	}
	for i := 0; i < k; i++ {
		dst[i] = a.Utility(gold, p, world.Response(phis, i), i, k)
	}
	return dst
}

// RankUtilities samples a Plackett-Luce ranking of items with utilities u at
// temperature tau and writes it to order, best first, as indices into u.
// With tau = 0 the order is by decreasing utility, ties broken by index.
func RankUtilities(u []float64, tau float64, order []int, src rand.Source) {
	rnd := rng.Of(src)
	if len(order) != len(u) {
		panic("annotate: length mismatch")
	}
	if tau < 0 {
		panic("annotate: negative temperature")
	}
	key := make([]float64, len(u))
	for i := range u {
		order[i] = i
		key[i] = u[i]
		if tau > 0 {
			// Gumbel(0,1) noise: -log(-log U), U in (0,1).
			key[i] = u[i]/tau - math.Log(-math.Log(1-rnd.Float64()))
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return key[order[i]] > key[order[j]] })
}

// Rank has the annotator rank the k responses in phis (flat, presentation
// order) and writes the ranking, best first, into order.
func (a *Annotator) Rank(gold world.GoldFunc, p world.Prompt, phis []float64, order []int, src rand.Source) {
	rnd := rng.Of(src)
	u := a.Utilities(gold, p, phis, nil)
	RankUtilities(u, a.Tau, order, rnd)
}

// PreferProb returns the Bradley-Terry probability that an annotator at
// temperature tau prefers the item of utility u1 to that of utility u2. At
// tau = 0 it is 1, 0 or 1/2.
func PreferProb(u1, u2, tau float64) float64 {
	d := u1 - u2
	if tau == 0 {
		switch {
		case d > 0:
			return 1
		case d < 0:
			return 0
		}
		return 0.5
	}
	return stats.Sigmoid(d / tau)
}

// Choose has the annotator compare two responses, a shown first and b
// second, and reports whether a is preferred.
func (a *Annotator) Choose(gold world.GoldFunc, p world.Prompt, phiA, phiB []float64, src rand.Source) bool {
	rnd := rng.Of(src)
	ua := a.Utility(gold, p, phiA, 0, 2)
	ub := a.Utility(gold, p, phiB, 1, 2)
	return rnd.Float64() < PreferProb(ua, ub, a.Tau)
}

// Rate returns the annotator's Likert rating, 1 to 7, of response phi.
// Rating noise is Gaussian with standard deviation Tau, in utility units.
func (a *Annotator) Rate(gold world.GoldFunc, p world.Prompt, phi []float64, src rand.Source) int {
	rnd := rng.Of(src)
	scale := a.Scale
	if scale == 0 {
		scale = 1
	}
	u := a.Utility(gold, p, phi, 0, 1) + a.Tau*rnd.NormFloat64()
	r := int(math.Round(4 + a.Offset + scale*u))
	if r < 1 {
		return 1
	}
	if r > 7 {
		return 7
	}
	return r
}

// Spread is how much the annotators of a panel differ from one another.
type Spread struct {
	// Offset is the standard deviation of their rating offsets, in
	// Likert points.
	Offset float64
	// LogScale is the standard deviation of the log of their rating
	// scales.
	LogScale float64
	// LogTau is the standard deviation of the log of their temperatures
	// around the base annotator's.
	LogTau float64
}

// DefaultSpread is the spread Panel uses for a nil *Spread: offsets of sd
// 0.8, scales of log-sd 0.3, one shared temperature.
func DefaultSpread() Spread { return Spread{Offset: 0.8, LogScale: 0.3} }

// Panel returns n annotators who share base's biases but have their own
// rating offset base.Offset + s.Offset N(0,1), scale base.Scale
// exp(s.LogScale N(0,1)) and temperature base.Tau exp(s.LogTau N(0,1)). A
// nil s means DefaultSpread. Names are "ann-1", "ann-2", and so on.
func Panel(n int, base Annotator, s *Spread, src rand.Source) []Annotator {
	sp := DefaultSpread()
	if s != nil {
		sp = *s
	}
	offsetSD, scaleLogSD, tauSpread := sp.Offset, sp.LogScale, sp.LogTau
	rnd := rng.Of(src)
	if n < 1 {
		panic("annotate: empty panel")
	}
	ps := make([]Annotator, n)
	for i := range ps {
		a := base
		a.Name = fmt.Sprintf("ann-%d", i+1)
		a.Biases = append([]Bias(nil), base.Biases...)
		a.Offset = base.Offset + offsetSD*rnd.NormFloat64()
		s := base.Scale
		if s == 0 {
			s = 1
		}
		a.Scale = s * math.Exp(scaleLogSD*rnd.NormFloat64())
		if tauSpread > 0 {
			a.Tau = base.Tau * math.Exp(tauSpread*rnd.NormFloat64())
		}
		ps[i] = a
	}
	return ps
}

// PairAgreement returns the fraction of the k(k-1)/2 pairs of items that two
// rankings (best first) put in the same order.
func PairAgreement(a, b []int) float64 {
	if len(a) != len(b) {
		panic("annotate: length mismatch")
	}
	k := len(a)
	if k < 2 {
		return 1
	}
	// Ranks order the items as ratings do, with no ties.
	return RatingAgreement(stats.Invert(nil, a), stats.Invert(nil, b))
}

// RatingAgreement returns the fraction of item pairs that two annotators'
// ratings order the same way, counting a pair that either rating ties as
// one half: with 7 levels ties are common, and a tie tells a ranker nothing.
func RatingAgreement(a, b []int) float64 {
	if len(a) != len(b) {
		panic("annotate: length mismatch")
	}
	k := len(a)
	if k < 2 {
		return 1
	}
	agree, n := 0.0, 0
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			agree += stats.Concordance(float64(a[i]-a[j]), float64(b[i]-b[j]))
			n++
		}
	}
	return agree / float64(n)
}

// Agreement has every annotator in panel rank and rate the same responses
// and returns the mean agreement over all pairs of annotators: for
// rankings by PairAgreement, for ratings by RatingAgreement. phis holds, per
// prompt, the flat feature vectors of its responses.
func Agreement(panel []Annotator, gold world.GoldFunc, prompts []world.Prompt, phis [][]float64, src rand.Source) (ranking, rating float64) {
	rnd := rng.Of(src)
	if len(panel) < 2 || len(prompts) != len(phis) {
		panic("annotate: Agreement needs two annotators and one response set per prompt")
	}
	n := 0
	for i, p := range prompts {
		k := len(phis[i]) / world.NumFeatures
		orders := make([][]int, len(panel))
		rates := make([][]int, len(panel))
		for a := range panel {
			orders[a] = make([]int, k)
			panel[a].Rank(gold, p, phis[i], orders[a], rnd)
			rates[a] = make([]int, k)
			for j := 0; j < k; j++ {
				rates[a][j] = panel[a].Rate(gold, p, world.Response(phis[i], j), rnd)
			}
		}
		for a := range panel {
			for b := a + 1; b < len(panel); b++ {
				ranking += PairAgreement(orders[a], orders[b])
				rating += RatingAgreement(rates[a], rates[b])
				n++
			}
		}
	}
	return ranking / float64(n), rating / float64(n)
}
