package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSoftplusStable(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, math.Ln2},
		{1e4, 1e4},                     // log(1+e^x) = x + log1p(e^-x) -> x
		{-1e4, 0},                      // exp(-1e4) underflows to 0
		{-30, math.Exp(-30)},           // log1p(e) ~ e for tiny e
		{2, math.Log(1 + math.Exp(2))}, // direct formula is exact enough here
		{-2, math.Log(1 + math.Exp(-2))},
	} {
		if got := Softplus(c.x); math.Abs(got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("Softplus(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if s := Sigmoid(-1e4); s != 0 || Sigmoid(1e4) != 1 || Sigmoid(0) != 0.5 {
		t.Error("Sigmoid saturation")
	}
}

func TestRanksAndSpearman(t *testing.T) {
	r := Ranks([]float64{10, 30, 20, 20})
	want := []float64{1, 4, 2.5, 2.5} // ties share the mean of ranks 2 and 3
	for i := range r {
		if r[i] != want[i] {
			t.Fatalf("Ranks = %v, want %v", r, want)
		}
	}
	// A monotone transform keeps Spearman at 1; a reversal gives -1.
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{1, 8, 27, 64, 125}
	if s := Spearman(x, y); math.Abs(s-1) > 1e-12 {
		t.Errorf("Spearman monotone = %v", s)
	}
	if k := Kendall(x, []float64{5, 4, 3, 2, 1}); math.Abs(k+1) > 1e-12 {
		t.Errorf("Kendall reversed = %v", k)
	}
	// By hand: ranks (1,2,3) vs (1,3,2): d^2 = 0+1+1, rho = 1 - 6*2/(3*8) = 0.5.
	if s := Spearman([]float64{1, 2, 3}, []float64{1, 3, 2}); math.Abs(s-0.5) > 1e-12 {
		t.Errorf("Spearman = %v, want 0.5", s)
	}
}

// TestGaoFits generates points from the two laws with known coefficients,
// adds a little deterministic noise, and recovers the coefficients.
func TestGaoFits(t *testing.T) {
	var kl, bon, rl []float64
	for i := 0; i <= 40; i++ {
		x := 0.1 * float64(i)
		noise := 0.001 * math.Sin(float64(7*i)) // small, bounded, zero-mean-ish
		kl = append(kl, x*x)
		bon = append(bon, 5+x*(1.3-0.25*x)+noise) // the gain is over the first point
		rl = append(rl, 5+x*(0.9-0.4*math.Log(math.Max(x, 1e-300)))+noise)
	}
	rl[0], bon[0] = 5, 5 // both laws are 0 at d = 0
	f, err := FitGao(GaoBoN, kl, bon)
	if err != nil || math.Abs(f.Alpha-1.3) > 0.01 || math.Abs(f.Beta-0.25) > 0.01 || f.R2 < 0.999 {
		t.Errorf("best-of-n fit: %+v, %v; want 1.3, 0.25 and R2 near 1", f, err)
	}
	if f.String() != "d (1.30 - 0.25 d)" || math.Abs(f.At(2)-2*(1.3-0.25*2)) > 0.02 {
		t.Errorf("%s, at 2: %v", f, f.At(2))
	}
	g, err := FitGao(GaoRL, kl, rl)
	if err != nil || math.Abs(g.Alpha-0.9) > 0.01 || math.Abs(g.Beta-0.4) > 0.01 || g.R2 < 0.999 {
		t.Errorf("RL fit: %+v, %v; want 0.9, 0.4 and R2 near 1", g, err)
	}
	// The wrong form fits worse: R2 tells the two laws apart.
	if h, _ := FitGao(GaoBoN, kl, rl); h.R2 >= g.R2 {
		t.Errorf("the best-of-n form fits the RL curve as well (%v >= %v)", h.R2, g.R2)
	}
	if _, err := FitGao(GaoBoN, []float64{0, 0, 0}, []float64{1, 2, 3}); !errors.Is(err, ErrFit) {
		t.Errorf("a fit from d = 0 only: %v", err)
	}
	if _, err := FitGao("cubic", kl, bon); err == nil {
		t.Error("an unknown form was fitted")
	}
}

func TestConcordanceAndInvert(t *testing.T) {
	// Ties in either difference count one half; otherwise signs decide.
	for _, c := range []struct{ a, b, want float64 }{
		{1, 2, 1}, {-1, -3, 1}, {1, -1, 0}, {-2, 5, 0}, {0, 1, 0.5}, {3, 0, 0.5}, {0, 0, 0.5},
	} {
		if got := Concordance(c.a, c.b); got != c.want {
			t.Errorf("Concordance(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	p := []int{2, 0, 3, 1}
	inv := Invert(make([]int, 1), p)
	for i, x := range p {
		if inv[x] != i {
			t.Fatalf("Invert(%v) = %v", p, inv)
		}
	}
	if got := Invert(inv, Invert(nil, p)); got[0] != 2 || got[3] != 1 {
		t.Errorf("inverting twice gave %v", got)
	}
}

// TestPairAgreement checks the O(n log n) sweep against the definition,
// summed over every pair, on scores with many ties.
func TestPairAgreement(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 2 + r.IntN(40)
		x, y, w := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = float64(r.IntN(6)), float64(r.IntN(6))
			if r.IntN(5) > 0 {
				w[i] = r.Float64()
			}
		}
		var num, den float64
		for j := range x {
			for k := j + 1; k < n; k++ {
				num += w[j] * w[k] * Concordance(x[j]-x[k], y[j]-y[k])
				den += w[j] * w[k]
			}
		}
		a := NewPairAgreement(x, y)
		for rep := 0; rep < 2; rep++ { // reuse must not carry state
			got := a.Weighted(w)
			if den == 0 {
				if !math.IsNaN(got) {
					t.Fatalf("trial %d: no weighted pair, got %v, want NaN", trial, got)
				}
				continue
			}
			if want := num / den; math.Abs(got-want) > 1e-12 {
				t.Fatalf("trial %d: got %v, want %v", trial, got, want)
			}
		}
	}
	// Reversed scores disagree on every pair; equal ones agree on all.
	x := []float64{1, 2, 3, 4}
	if got := NewPairAgreement(x, []float64{4, 3, 2, 1}).Weighted([]float64{1, 1, 1, 1}); got != 0 {
		t.Errorf("reversed: got %v, want 0", got)
	}
	if got := NewPairAgreement(x, x).Weighted([]float64{1, 2, 3, 4}); got != 1 {
		t.Errorf("identical: got %v, want 1", got)
	}
}
