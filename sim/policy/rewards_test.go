package policy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestBinaryAndStandardizedRewards checks Pass, Win and Standardize on
// hand-computed values: a reward that is the first feature.
func TestBinaryAndStandardizedRewards(t *testing.T) {
	first := func(_ world.Prompt, phi []float64) float64 { return phi[0] }
	p1, p2 := world.Prompt{ID: 1}, world.Prompt{ID: 2}
	pass := Pass(first, 0.5)
	if pass(p1, []float64{0.6}) != 1 || pass(p1, []float64{0.5}) != 0 || pass(p1, []float64{-3}) != 0 {
		t.Error("Pass: want 1 above the bar, 0 at it and below")
	}
	win := Win(first, map[int]float64{1: 2})
	if win(p1, []float64{2.1}) != 1 || win(p1, []float64{1.9}) != 0 || win(p2, []float64{100}) != 0 {
		t.Error("Win: want 1 above the prompt's bar, 0 below it and for a prompt without one")
	}
	// Values 1, 2, 3, 6: mean 3, population sd sqrt((4+1+0+9)/4) = sqrt(3.5).
	ps := []world.Prompt{p1, p1, p2, p2}
	phis := [][]float64{{1}, {2}, {3}, {6}}
	std := Standardize(first, ps, phis)
	if got, want := std(p1, []float64{6}), 3/math.Sqrt(3.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("Standardize(6) = %v, want %v", got, want)
	}
	if got := std(p2, []float64{3}); got != 0 {
		t.Errorf("Standardize(mean) = %v, want 0", got)
	}
	flat := Standardize(first, ps, [][]float64{{2}, {2}, {2}, {2}})
	if got := flat(p1, []float64{3}); got != 1 {
		t.Errorf("Standardize of a constant: %v, want a shift only (1)", got)
	}
}

// TestGradientMoments: the moments of a deterministic gradient (the exact
// pool's, through a reward that does not depend on the answer, whose
// REINFORCE estimate with the leave-one-out baseline is exactly zero)
// are zero, and the mean of noisy estimates matches a brute-force mean.
func TestGradientMoments(t *testing.T) {
	w := world.Default()
	prompts := w.Prompts(4, 0, rand.NewPCG(1, 1))
	pool := NewPool(w, prompts, 8, rand.NewPCG(2, 2))
	flat := func(world.Prompt, []float64) float64 { return 3 }
	m, err := GradientMoments(pool, flat, &Estimate{Baseline: LOOBaseline, PerPrompt: 4}, 5, rand.NewPCG(3, 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m.Mean {
		if v != 0 {
			t.Fatalf("mean %v, want 0 for a constant reward", m.Mean)
		}
	}
	if m.Variance != 0 {
		t.Errorf("variance %v, want 0", m.Variance)
	}
	first := func(_ world.Prompt, phi []float64) float64 { return phi[0] }
	m, err = GradientMoments(pool, first, nil, 10, rand.NewPCG(4, 4))
	if err != nil {
		t.Fatal(err)
	}
	src := rand.NewPCG(4, 4)
	want := make([]float64, len(m.Mean))
	for range 10 {
		g := make([]float64, len(want))
		if err := GradientEstimate(pool, first, nil, g, src); err != nil {
			t.Fatal(err)
		}
		for k, v := range g {
			want[k] += v / 10
		}
	}
	for k := range want {
		if math.Abs(m.Mean[k]-want[k]) > 1e-12 {
			t.Fatalf("mean %v, want %v", m.Mean, want)
		}
	}
	if m.Variance <= 0 {
		t.Errorf("variance %v, want above 0 for a reward that varies", m.Variance)
	}
	if _, err := GradientMoments(pool, first, nil, 1, src); err == nil {
		t.Error("one estimate: want an error")
	}
}
