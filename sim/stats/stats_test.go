package stats

import (
	"math"
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
	var d, bon, rl []float64
	for i := 0; i <= 40; i++ {
		x := 0.1 * float64(i)
		noise := 0.001 * math.Sin(float64(7*i)) // small, bounded, zero-mean-ish
		d = append(d, x)
		bon = append(bon, x*(1.3-0.25*x)+noise)
		rl = append(rl, x*(0.9-0.4*math.Log(math.Max(x, 1e-300)))+noise)
	}
	rl[0] = 0 // the RL law is 0 at d = 0
	if a, b, ok := FitGaoBoN(d, bon); !ok || math.Abs(a-1.3) > 0.01 || math.Abs(b-0.25) > 0.01 {
		t.Errorf("best-of-n fit: alpha %v beta %v ok %v; want 1.3, 0.25", a, b, ok)
	}
	if a, b, ok := FitGaoRL(d, rl); !ok || math.Abs(a-0.9) > 0.01 || math.Abs(b-0.4) > 0.01 {
		t.Errorf("RL fit: alpha %v beta %v ok %v; want 0.9, 0.4", a, b, ok)
	}
	if _, _, ok := FitGaoBoN([]float64{0, 0}, []float64{1, 2}); ok {
		t.Error("a fit from d = 0 only succeeded")
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
