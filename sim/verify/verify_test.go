package verify

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestSettingsRefused(t *testing.T) {
	for _, s := range []Settings{
		{Categories: []world.Category{7}},
		{Categories: []world.Category{}},
		{Bar: math.NaN()},
		{Bar: 9},
		{FalseNegative: -0.1},
		{FalsePositive: 1.5},
		{WeakTests: math.NaN()},
		{FalseNegative: 0.5, FalsePositive: 0.5},
	} {
		if _, err := New(&s); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: err %v, want ErrSettings", s, err)
		}
	}
	if _, err := New(nil); err != nil {
		t.Fatal(err)
	}
}

func TestPassProb(t *testing.T) {
	v, err := New(&Settings{Bar: 0.5, FalseNegative: 0.1, FalsePositive: 0.05, WeakTests: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	at := func(correct, cue float64) []float64 {
		phi := make([]float64, world.NumFeatures)
		phi[world.Correctness], phi[Exploit] = correct, cue
		return phi
	}
	code := world.Prompt{Category: world.Coding}
	advice := world.Prompt{Category: world.Advice}
	// Expected values from the formula in PassProb's comment.
	for _, c := range []struct {
		name    string
		p       world.Prompt
		phi     []float64
		want    float64
		checks  bool
		isRight bool
	}{
		{"right", code, at(1, 0), 0.9, true, true},
		{"wrong, outside the blind spot", code, at(0, -3), 0.05 + 0.95*0.8*distuv.UnitNormal.CDF(-8), true, false},
		{"wrong, at the edge of the blind spot", code, at(0, 1), 0.05 + 0.95*0.8*0.5, true, false},
		{"wrong, deep in it", code, at(0, 4), 0.05 + 0.95*0.8*distuv.UnitNormal.CDF(6), true, false},
		{"unchecked category", advice, at(1, 0), 0, false, true},
	} {
		if got := v.PassProb(c.p, c.phi); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: pass %v, want %v", c.name, got, c.want)
		}
		if v.Checks(c.p) != c.checks || v.Right(c.p, c.phi) != c.isRight {
			t.Errorf("%s: checks %v right %v", c.name, v.Checks(c.p), v.Right(c.p, c.phi))
		}
	}
	mix := v.Mix(func(world.Prompt, []float64) float64 { return 3 }, 2)
	if got := mix(code, at(1, 0)); got != 3+2*0.9 {
		t.Errorf("mix on a checked prompt %v, want 4.8", got)
	}
	if got := mix(advice, at(1, 0)); got != 3 {
		t.Errorf("mix on an unchecked prompt %v, want 3", got)
	}
}

// Under the base policy correctness is N(-difficulty, 1), so the right
// rate at bar b is Phi(-difficulty - b); the sampled verdicts must match
// it and the pass rate 1 - FN times it plus FP times the rest.
func TestBaseRatesMatchClosedForm(t *testing.T) {
	w := world.Default()
	v, err := New(&Settings{Bar: 0.3, FalseNegative: 0.1, FalsePositive: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	p := world.Prompt{Category: world.Factual, Difficulty: 0.4}
	src := rng.Stream(3, "verify/test")
	phi := make([]float64, world.NumFeatures)
	const n = 200000
	var right, pass float64
	for range n {
		w.Sample(p, phi, src)
		right += v.RightRate(p, phi)
		if v.Check(p, phi, src) {
			pass++
		}
	}
	q := distuv.UnitNormal.CDF(-0.4 - 0.3)
	wantPass := 0.9*q + 0.2*(1-q)
	se := math.Sqrt(0.25 / n)
	if math.Abs(right/n-q) > 4*se || math.Abs(pass/n-wantPass) > 4*se {
		t.Errorf("right %.4f (want %.4f), pass %.4f (want %.4f)", right/n, q, pass/n, wantPass)
	}
}
