package annotate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// plProb is the Plackett-Luce probability of a best-first order: the product
// over positions of exp(u_i/tau) / sum of exp(u_j/tau) over the items left.
func plProb(u []float64, tau float64, order []int) float64 {
	p := 1.0
	for i, it := range order {
		den := 0.0
		for _, jt := range order[i:] {
			den += math.Exp(u[jt] / tau)
		}
		p *= math.Exp(u[it]/tau) / den
	}
	return p
}

func TestPlackettLuceFrequenciesK3(t *testing.T) {
	u := []float64{1.0, 0.3, -0.5}
	const tau, n = 0.7, 200000
	rng := rand.New(rand.NewPCG(7, 7))
	counts := map[[3]int]int{}
	order := make([]int, 3)
	for i := 0; i < n; i++ {
		RankUtilities(u, tau, order, rng)
		counts[[3]int{order[0], order[1], order[2]}]++
	}
	perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	total := 0.0
	for _, pm := range perms {
		want := plProb(u, tau, pm[:])
		total += want
		got := float64(counts[pm]) / n
		// A multinomial cell frequency has standard error sqrt(p(1-p)/n);
		// 4.5 of them keeps the chance of a false alarm over 6 cells < 1e-4.
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 4.5*se {
			t.Errorf("P(%v) = %.4f, want %.4f +- %.4f", pm, got, want, 4.5*se)
		}
	}
	if math.Abs(total-1) > 1e-12 {
		t.Fatalf("closed-form probabilities sum to %v", total)
	}
}

func TestZeroTemperatureIsGoldOrder(t *testing.T) {
	w := world.Default()
	rng := rand.New(rand.NewPCG(1, 1))
	a := Annotator{Tau: 0}
	for trial := 0; trial < 200; trial++ {
		p := world.Prompt{ID: trial, Category: world.Category(trial % 4)}
		const k = 6
		phis := make([]float64, k*world.NumFeatures)
		for j := 0; j < k; j++ {
			w.Sample(p, phis[j*world.NumFeatures:(j+1)*world.NumFeatures], rng)
		}
		order := make([]int, k)
		a.Rank(w.Gold, p, phis, order, rng)
		for i := 1; i < k; i++ {
			g0 := w.Gold(p, phis[order[i-1]*world.NumFeatures:][:world.NumFeatures])
			g1 := w.Gold(p, phis[order[i]*world.NumFeatures:][:world.NumFeatures])
			if g0 < g1 {
				t.Fatalf("trial %d: tau=0 ranking is not the gold order", trial)
			}
		}
	}
}

func TestPairwiseChoiceFrequencies(t *testing.T) {
	// Two fixed responses whose gold rewards differ by delta; the annotator
	// prefers the first with probability sigma(delta/tau) (Bradley-Terry).
	p := world.Prompt{Category: world.Factual}
	a1 := make([]float64, world.NumFeatures)
	a2 := make([]float64, world.NumFeatures)
	a1[world.Helpfulness] = 0.8
	gold := world.LinearGold() // delta = 1.0 * 0.8
	const n = 100000
	for _, tau := range []float64{0.25, 1, 4} {
		rng := rand.New(rand.NewPCG(3, uint64(tau*100)))
		ann := Annotator{Tau: tau}
		wins := 0
		for i := 0; i < n; i++ {
			if ann.Choose(gold, p, a1, a2, rng) {
				wins++
			}
		}
		want := stats.Sigmoid(0.8 / tau)
		got := float64(wins) / n
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 4*se {
			t.Errorf("tau %v: P(first) = %.4f, want %.4f", tau, got, want)
		}
	}
}

func TestBiases(t *testing.T) {
	phi := make([]float64, world.NumFeatures)
	phi[world.Length] = 5
	phi[world.Flattery] = 2
	for _, c := range []struct {
		b      Bias
		pos, k int
		want   float64
		name   string
	}{
		{LengthBias(0.5), 0, 4, 2.5, "length"},
		{PositionBias(1), 0, 4, 1, "position"},
		{PositionBias(1), 3, 4, 0, "position"},
		{PositionBias(1), 1, 3, 0.5, "position"},
		{FeatureBias{Feature: world.Flattery, B: 0.3}, 2, 4, 0.6, "flattery"},
	} {
		if got := c.b.Shift(phi, c.pos, c.k); math.Abs(got-c.want) > 1e-12 || c.b.Name() != c.name {
			t.Errorf("%s.Shift(pos %d of %d) = %v, want %v", c.b.Name(), c.pos, c.k, got, c.want)
		}
	}
	a := Annotator{Biases: []Bias{LengthBias(1), PositionBias(2)}}
	if got := a.Without("length"); len(got.Biases) != 1 || got.Biases[0].Name() != "position" || len(a.Biases) != 2 {
		t.Errorf("Without(length) = %v", got.Biases)
	}
}

func TestRate(t *testing.T) {
	p := world.Prompt{Category: world.Factual}
	phi := make([]float64, world.NumFeatures)
	phi[world.Helpfulness] = 1 // linear gold = 1
	gold := world.LinearGold()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []struct {
		a    Annotator
		want int
	}{
		{Annotator{}, 5},                        // round(4 + 1)
		{Annotator{Offset: -1.2}, 4},            // round(4 - 1.2 + 1) = round(3.8)
		{Annotator{Scale: 2}, 6},                // round(4 + 2)
		{Annotator{Scale: 10}, 7},               // 14 clamps to 7
		{Annotator{Offset: -9}, 1},              // -4 clamps to 1
		{Annotator{Offset: 0.2, Scale: 0.5}, 5}, // round(4.7)
	} {
		if got := c.a.Rate(gold, p, phi, rng); got != c.want {
			t.Errorf("%+v: rating %d, want %d", c.a, got, c.want)
		}
	}
}

func TestAgreement(t *testing.T) {
	for _, c := range []struct {
		a, b []int
		want float64
	}{
		{[]int{0, 1, 2}, []int{0, 1, 2}, 1},
		{[]int{0, 1, 2}, []int{2, 1, 0}, 0},
		{[]int{0, 1, 2}, []int{1, 0, 2}, 2.0 / 3},   // only the (0,1) pair flips
		{[]int{3, 0, 1, 2}, []int{0, 1, 2, 3}, 0.5}, // 3 of 6 pairs involve item 3
	} {
		if got := PairAgreement(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("PairAgreement(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	// Ratings: (7,5,5) vs (6,6,1): pair(0,1) tie in b -> 1/2; (0,2) agree;
	// (1,2) tie in a -> 1/2. Total 2/3.
	if got := RatingAgreement([]int{7, 5, 5}, []int{6, 6, 1}); math.Abs(got-2.0/3) > 1e-12 {
		t.Errorf("RatingAgreement = %v, want 2/3", got)
	}
}

func TestPanel(t *testing.T) {
	base := Annotator{Tau: 0.5, Biases: []Bias{LengthBias(1)}}
	ps := Panel(5, base, nil, rand.New(rand.NewPCG(1, 1)))
	if len(ps) != 5 || ps[4].Name != "ann-5" {
		t.Fatalf("Panel names: %v", ps)
	}
	distinct := map[float64]bool{}
	for _, a := range ps {
		if a.Tau != 0.5 || len(a.Biases) != 1 {
			t.Errorf("%s: tau %v, %d biases; want the base's", a.Name, a.Tau, len(a.Biases))
		}
		distinct[a.Offset] = true
	}
	if len(distinct) != 5 {
		t.Error("annotators share rating offsets")
	}
}

func TestPanelAgreement(t *testing.T) {
	w := world.Default()
	rng := rand.New(rand.NewPCG(2, 2))
	prompts := w.Prompts(300, 0, rng)
	phis := make([][]float64, len(prompts))
	for i, p := range prompts {
		phis[i] = make([]float64, 4*world.NumFeatures)
		for j := 0; j < 4; j++ {
			w.Sample(p, phis[i][j*world.NumFeatures:(j+1)*world.NumFeatures], rng)
		}
	}
	// Noiseless annotators all rank by gold, so rankings agree exactly;
	// their ratings still tie after rounding to 7 levels, which counts 1/2.
	perfect := Panel(3, Annotator{Tau: 0}, nil, rng)
	rk, rt := Agreement(perfect, w.Gold, prompts, phis, rng)
	if rk != 1 || rt >= 1 {
		t.Errorf("noiseless panel: ranking agreement %v (want 1), rating %v (want < 1)", rk, rt)
	}
	noisy := Panel(3, Annotator{Tau: 2}, nil, rng)
	if rk2, _ := Agreement(noisy, w.Gold, prompts, phis, rng); rk2 >= rk-0.1 || rk2 < 0.5 {
		t.Errorf("tau 2 panel: ranking agreement %v, want well below 1 and above chance", rk2)
	}
}
