package verify

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Exploit is the trait weak tests mistake for a right answer: the first
// cue, which stands for output shaped like the tests' examples (code that
// special-cases them, a citation in the expected format). The gold reward
// gives it no weight, so pushing it gains nothing; beyond two standard
// deviations the answer turns incoherent and gold falls.
const Exploit = world.Cue0

// exploitAt and exploitWidth place the weak tests' blind spot: a wrong
// answer passes them with probability WeakTests Phi((cue - 1) / 0.5). A
// base-policy answer is in it with probability 1 - Phi(1/sqrt(1.25)),
// about 0.19, so the weakness is there to be found from the start, and a
// policy that moves the cue up by two standard deviations is nearly
// always in it.
const exploitAt, exploitWidth = 1.0, 0.5

// MaxBar bounds Settings.Bar either way: a correctness (a z-score)
// beyond 5 standard deviations is one no answer reaches or every answer
// does.
const MaxBar = 5

// Settings configures a Verifier. The zero value is a perfect verifier of
// the factual and coding prompts that calls an answer right when its
// correctness is above 0.
type Settings struct {
	// Categories are the prompt categories whose answers can be checked;
	// nil means factual and coding. The others get no verdict.
	Categories []world.Category `json:"categories"`
	// Bar is the correctness (a z-score) a right answer exceeds. At 0 about
	// half the base policy's answers to a prompt of average difficulty are
	// right; at 1.5 about 7%, a hard problem.
	Bar float64 `json:"bar"`
	// FalseNegative is the probability that a right answer fails.
	FalseNegative float64 `json:"false_negative"`
	// FalsePositive is the probability that any wrong answer passes.
	FalsePositive float64 `json:"false_positive"`
	// WeakTests is the probability that a wrong answer deep in the tests'
	// blind spot (Exploit far above 1) passes anyway.
	WeakTests float64 `json:"weak_tests"`
}

// ErrSettings is wrapped by errors for settings a Verifier cannot use.
var ErrSettings = errors.New("verify: bad settings")

// Verifier checks answers to the prompts of its categories.
type Verifier struct {
	set    Settings
	checks [world.NumCategories]bool
}

// New returns a verifier, or an error naming the setting it cannot use.
func New(s *Settings) (*Verifier, error) {
	v := &Verifier{}
	if s != nil {
		v.set = *s
		v.set.Categories = slices.Clone(s.Categories)
	}
	if v.set.Categories == nil {
		v.set.Categories = []world.Category{world.Factual, world.Coding}
	}
	if len(v.set.Categories) == 0 {
		return nil, fmt.Errorf("%w: no category to check (nil means factual and coding)", ErrSettings)
	}
	for _, c := range v.set.Categories {
		if c < 0 || c >= world.NumCategories {
			return nil, fmt.Errorf("%w: category %d out of range", ErrSettings, int(c))
		}
		v.checks[c] = true
	}
	if math.IsNaN(v.set.Bar) || math.Abs(v.set.Bar) > MaxBar {
		return nil, fmt.Errorf("%w: bar %v, want a correctness between -%v and %v", ErrSettings, v.set.Bar, MaxBar, MaxBar)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"false-negative rate", v.set.FalseNegative}, {"false-positive rate", v.set.FalsePositive}, {"weak-tests rate", v.set.WeakTests}} {
		if !(p.v >= 0 && p.v <= 1) {
			return nil, fmt.Errorf("%w: %s %v, want a probability in [0, 1]", ErrSettings, p.name, p.v)
		}
	}
	if v.set.FalseNegative+v.set.FalsePositive >= 1 {
		return nil, fmt.Errorf("%w: false-negative plus false-positive rate %v, want below 1 (at 1 the verdict says nothing)", ErrSettings, v.set.FalseNegative+v.set.FalsePositive)
	}
	return v, nil
}

// Settings returns the verifier's settings with defaults filled in.
func (v *Verifier) Settings() Settings {
	s := v.set
	s.Categories = slices.Clone(s.Categories)
	return s
}

// Checks reports whether the verifier can check answers to p.
func (v *Verifier) Checks(p world.Prompt) bool {
	return p.Category >= 0 && p.Category < world.NumCategories && v.checks[p.Category]
}

// Right reports whether answer phi to p is right: its correctness is above
// the bar. It is the truth the verifier tries to report, defined for every
// prompt, checkable or not.
func (v *Verifier) Right(p world.Prompt, phi []float64) bool {
	return phi[world.Correctness] > v.set.Bar
}

// PassProb returns the probability that answer phi to a checkable prompt
// p passes: 1 - FalseNegative if it is right, and otherwise
// FalsePositive plus (1 - FalsePositive) WeakTests Phi((phi[Exploit] - 1)
// / 0.5). It is 0 for a prompt the verifier cannot check.
func (v *Verifier) PassProb(p world.Prompt, phi []float64) float64 {
	if !v.Checks(p) {
		return 0
	}
	if v.Right(p, phi) {
		return 1 - v.set.FalseNegative
	}
	fp := v.set.FalsePositive
	if v.set.WeakTests > 0 {
		fp += (1 - fp) * v.set.WeakTests * distuv.UnitNormal.CDF((phi[Exploit]-exploitAt)/exploitWidth)
	}
	return fp
}

// Check draws the verdict on answer phi to p from src: true for a pass.
// It is false for a prompt the verifier cannot check.
func (v *Verifier) Check(p world.Prompt, phi []float64, src rand.Source) bool {
	q := v.PassProb(p, phi)
	return q > 0 && rng.Of(src).Float64() < q
}

// Reward is PassProb as a reward function: the expected verdict, which a
// policy can optimise and best-of-n can select by.
func (v *Verifier) Reward(p world.Prompt, phi []float64) float64 { return v.PassProb(p, phi) }

// RightRate is Right as a reward function: 1 for a right answer, else 0.
func (v *Verifier) RightRate(p world.Prompt, phi []float64) float64 {
	if v.Right(p, phi) {
		return 1
	}
	return 0
}

// Mix returns rm plus weight times the expected verdict on the prompts v
// checks, and rm alone on the others: a learned reward model everywhere,
// anchored by an exact check where one exists. It panics if weight is
// negative or not finite.
func (v *Verifier) Mix(rm world.GoldFunc, weight float64) world.GoldFunc {
	if !(weight >= 0) || math.IsInf(weight, 0) {
		panic("verify: mix weight must be finite and not negative")
	}
	return func(p world.Prompt, phi []float64) float64 {
		return rm(p, phi) + weight*v.PassProb(p, phi)
	}
}
