package world

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/rlhfsim/rlhfsim/sim/rng"

	"gonum.org/v1/gonum/mat"
)

// Feature indices into a response's feature vector phi.
const (
	Helpfulness  = iota // how well the answer serves the request (z-score)
	Correctness         // factual and technical accuracy (z-score)
	Clarity             // structure and readability (z-score)
	Harmlessness        // absence of unsafe content (z-score)
	Length              // log of the number of tokens
	Filler              // padding and verbosity that adds no content (z-score)
	Flattery            // praise of the user and the question (z-score)

	// NumNamed is the number of named features above; the cues follow.
	NumNamed
)

// NumCues is the number of surface cues: traits such as formatting habits,
// stock phrases or a confident tone that travel with helpful answers in the
// base policy (correlation CueCorrelation with helpfulness) but that the
// gold reward ignores. A reward model trained on finite data gives each a
// small weight by chance, and a policy can move them cheaply: that is
// regressional Goodhart. They are features Cue0 to Cue0+NumCues-1.
const NumCues = 24

// Cue0 is the index of the first cue.
const Cue0 = NumNamed

// CueCorrelation is each cue's correlation with helpfulness under the base
// policy.
const CueCorrelation = 0.15

// NumFeatures is the length of every feature vector: the named features,
// then the cues.
const NumFeatures = NumNamed + NumCues

var featureNames = func() [NumFeatures]string {
	n := [NumFeatures]string{"helpfulness", "correctness", "clarity", "harmlessness", "length", "filler", "flattery"}
	for k := 0; k < NumCues; k++ {
		n[Cue0+k] = fmt.Sprintf("cue-%02d", k+1)
	}
	return n
}()

// FeatureNames returns the names of the features, in index order. The
// returned slice is a fresh copy.
func FeatureNames() []string {
	return append([]string(nil), featureNames[:]...)
}

// FeatureIndex returns the index of the named feature, or -1.
func FeatureIndex(name string) int {
	for i, n := range featureNames {
		if n == name {
			return i
		}
	}
	return -1
}

// Category is the kind of request a prompt makes. It sets what a good answer
// looks like, above all its ideal length.
type Category int

// The prompt categories.
const (
	Factual Category = iota
	Advice
	Creative
	Coding

	// NumCategories is the number of categories.
	NumCategories
)

var categoryNames = [NumCategories]string{"factual", "advice", "creative", "coding"}

// idealTokens is the answer length, in tokens, that the gold reward prefers
// for each category: short facts, longer stories.
var idealTokens = [NumCategories]float64{60, 150, 250, 120}

func (c Category) String() string {
	if c < 0 || c >= NumCategories {
		return fmt.Sprintf("Category(%d)", int(c))
	}
	return categoryNames[c]
}

// IdealLength returns the ideal answer length of the category in log tokens.
func (c Category) IdealLength() float64 {
	if c < 0 || c >= NumCategories {
		panic("world: category out of range")
	}
	return idealLength[c]
}

// idealLength is the logarithm of idealTokens, worked out once: the gold
// reward and every response drawn need it, and the logarithm was a tenth
// of some lessons' time.
var idealLength = func() (l [NumCategories]float64) {
	for c, n := range idealTokens {
		l[c] = math.Log(n)
	}
	return l
}()

// MarshalText writes the category's name, so that reports read
// "coding" instead of 3.
func (c Category) MarshalText() ([]byte, error) {
	if c < 0 || c >= NumCategories {
		return nil, fmt.Errorf("%w %d", ErrCategory, int(c))
	}
	return []byte(categoryNames[c]), nil
}

// UnmarshalText reads a category's name.
func (c *Category) UnmarshalText(b []byte) error {
	v, err := ParseCategory(string(b))
	if err == nil {
		*c = v
	}
	return err
}

// ErrCategory is returned for an unknown category name.
var ErrCategory = errors.New("world: unknown category")

// ParseCategory returns the category with the given name.
func ParseCategory(s string) (Category, error) {
	for i, n := range categoryNames {
		if n == s {
			return Category(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q (want one of %s)", ErrCategory, s, strings.Join(categoryNames[:], ", "))
}

// Prompt is one request to the policy.
type Prompt struct {
	ID       int
	Category Category
	// Topic picks the prompt's wording among the category's templates.
	Topic int
	// Difficulty lowers the base policy's expected helpfulness and
	// correctness on this prompt. It is a per-prompt effect, so it cancels
	// in every comparison between two answers to the same prompt.
	Difficulty float64
	Text       string
}

// Settings configures a World. The zero value gives the documented defaults.
type Settings struct {
	// Gold is the hidden reward. Nil means Variant's default gold.
	Gold GoldFunc
	// Variant is the student's variant of the hidden world whose default
	// gold a nil Gold means; the zero Variant is the standard world.
	Variant Variant
	// Cov is the covariance of the base policy's features. Nil means
	// DefaultCovariance(0.4).
	Cov *mat.SymDense
	// LengthOffset shifts the base policy's mean length, in log tokens,
	// relative to the category's ideal. Zero means -0.15: the base policy
	// answers a little too briefly, so lengthening helps at first.
	LengthOffset float64
}

// World holds the base policy and the gold reward.
type World struct {
	Gold GoldFunc
	cov  *mat.SymDense
	// lower is the lower Cholesky factor of cov, row after row: Place reads it
	// millions of times for a best-of-n pool, and a flat slice saves a
	// bounds-checked method call per element (the same sums, in the same
	// order, so the same bits).
	lower     []float64
	lenOffset float64
}

// ErrCovariance is returned when a covariance matrix has the wrong size or
// is not positive definite.
var ErrCovariance = fmt.Errorf("world: covariance must be %dx%d and positive definite", NumFeatures, NumFeatures)

// New returns a World. It returns ErrCovariance if s.Cov is unusable.
func New(s *Settings) (*World, error) {
	if s == nil {
		s = &Settings{}
	}
	w := &World{Gold: s.Gold, cov: s.Cov, lenOffset: s.LengthOffset}
	if w.Gold == nil {
		w.Gold = s.Variant.DefaultGold().Func()
	}
	if w.cov == nil {
		w.cov = DefaultCovariance(0.4)
	}
	if w.lenOffset == 0 {
		w.lenOffset = -0.15
	}
	if n, _ := w.cov.Dims(); n != NumFeatures {
		return nil, ErrCovariance
	}
	var ch mat.Cholesky
	if !ch.Factorize(w.cov) {
		return nil, ErrCovariance
	}
	var chol mat.TriDense
	ch.LTo(&chol)
	w.lower = make([]float64, 0, NumFeatures*(NumFeatures+1)/2)
	for i := 0; i < NumFeatures; i++ {
		for j := 0; j <= i; j++ {
			w.lower = append(w.lower, chol.At(i, j))
		}
	}
	return w, nil
}

// Default returns the world with default settings.
func Default() *World {
	w, err := New(nil)
	if err != nil {
		panic(err)
	}
	return w
}

// Cov returns a copy of the base policy's feature covariance.
func (w *World) Cov() *mat.SymDense {
	return mat.NewSymDense(NumFeatures, append([]float64(nil), w.cov.RawSymmetric().Data...))
}

// featureSD are the standard deviations of the features under the base
// policy: one for every z-scored feature, 0.5 log tokens for length.
var featureSD = func() [NumFeatures]float64 {
	var sd [NumFeatures]float64
	for i := range sd {
		sd[i] = 1
	}
	sd[Length] = 0.5
	return sd
}()

// FeatureSD returns the standard deviation of feature i under the base
// policy.
func FeatureSD(i int) float64 { return featureSD[i] }

// DefaultCovariance returns the base policy's covariance with the given
// correlation between length and helpfulness (the confounder). The other
// correlations are fixed: helpful answers tend to be correct and clear,
// padded answers are longer and less clear, flattery comes with filler, and
// every cue travels with helpfulness. It panics if confound is outside
// (-0.6, 0.6), where the matrix would stop being positive definite.
func DefaultCovariance(confound float64) *mat.SymDense {
	if !(confound > -0.6 && confound < 0.6) {
		panic("world: confound out of range")
	}
	corr := [NumFeatures][NumFeatures]float64{}
	set := func(i, j int, r float64) { corr[i][j], corr[j][i] = r, r }
	for i := range corr {
		corr[i][i] = 1
	}
	set(Helpfulness, Correctness, 0.3)
	set(Helpfulness, Clarity, 0.3)
	set(Helpfulness, Length, confound)
	set(Correctness, Clarity, 0.2)
	set(Clarity, Filler, -0.3)
	set(Length, Filler, 0.5)
	set(Filler, Flattery, 0.3)
	for k := 0; k < NumCues; k++ {
		set(Helpfulness, Cue0+k, CueCorrelation)
	}
	cov := mat.NewSymDense(NumFeatures, nil)
	for i := 0; i < NumFeatures; i++ {
		for j := i; j < NumFeatures; j++ {
			cov.SetSym(i, j, corr[i][j]*featureSD[i]*featureSD[j])
		}
	}
	return cov
}

// Mean writes the base policy's mean feature vector for p into dst, which
// must have length NumFeatures, and returns it. A nil dst is allocated.
func (w *World) Mean(p Prompt, dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, NumFeatures)
	}
	if len(dst) != NumFeatures {
		panic("world: length mismatch")
	}
	for i := range dst {
		dst[i] = 0
	}
	dst[Helpfulness] = -p.Difficulty
	dst[Correctness] = -p.Difficulty
	dst[Length] = p.Category.IdealLength() + w.lenOffset
	return dst
}

// SampleShifted draws one response from the base policy for p with its mean
// moved by shift (nil for none) and writes it to dst. Moving the mean while
// keeping the covariance is what the generative policy does.
func (w *World) SampleShifted(p Prompt, shift, dst []float64, src rand.Source) {
	rnd := rng.Of(src)
	var z [NumFeatures]float64
	for i := range z {
		z[i] = rnd.NormFloat64()
	}
	w.Place(p, shift, 1, z[:], dst)
}

// Place writes Mean(p) + shift + scale * L z to dst, where L L' is the base
// policy's covariance: the response that the standard normal draw z becomes
// under a base policy whose mean is moved by shift (nil for none) and whose
// spread is multiplied by scale. Fixing z and varying shift and scale gives
// common random numbers, so two policies can be compared on the same draws.
func (w *World) Place(p Prompt, shift []float64, scale float64, z, dst []float64) {
	if len(dst) != NumFeatures || len(z) != NumFeatures || (shift != nil && len(shift) != NumFeatures) {
		panic("world: length mismatch")
	}
	w.Mean(p, dst)
	o := 0
	for i := 0; i < NumFeatures; i++ {
		s := 0.0
		for j, l := range w.lower[o : o+i+1] {
			s += l * z[j]
		}
		o += i + 1
		dst[i] += scale * s
		if shift != nil {
			dst[i] += shift[i]
		}
	}
}

// Sample draws one response from the base policy for p into dst.
func (w *World) Sample(p Prompt, dst []float64, src rand.Source) {
	rnd := rng.Of(src)
	w.SampleShifted(p, nil, dst, rnd)
}

// Prompts draws n prompts with uniformly chosen categories and topics and
// normally distributed difficulty (sd 0.5). IDs run from first.
func (w *World) Prompts(n, first int, src rand.Source) []Prompt {
	rnd := rng.Of(src)
	ps := make([]Prompt, n)
	for i := range ps {
		c := Category(rnd.IntN(int(NumCategories)))
		t := rnd.IntN(len(promptTemplates[c]))
		ps[i] = Prompt{
			ID:         first + i,
			Category:   c,
			Topic:      t,
			Difficulty: 0.5 * rnd.NormFloat64(),
			Text:       promptTemplates[c][t],
		}
	}
	return ps
}

// Row returns response i of phis, a flat slice of responses of d features
// each (the layout every sim package uses; see package sim): phis[i*d :
// (i+1)*d], with its capacity cut there, so that appending to it cannot
// overwrite response i+1.
func Row(phis []float64, d, i int) []float64 {
	return phis[i*d : (i+1)*d : (i+1)*d]
}

// Response returns response i of a flat slice of the world's responses,
// NumFeatures values each.
func Response(phis []float64, i int) []float64 { return Row(phis, NumFeatures, i) }
