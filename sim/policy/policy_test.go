package policy

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// linearReward is r = w . phi, a stand-in for a linear reward model.
func linearReward(w []float64) RewardFunc {
	return func(_ world.Prompt, phi []float64) float64 { return floats.Dot(w, phi) }
}

var goldW = world.LinearGoldSpec().W

func testPool(t testing.TB, prompts, m int) *Pool {
	w := world.Default()
	ps := w.Prompts(prompts, 0, rand.New(rand.NewPCG(1, 1)))
	return NewPool(w, ps, m, rand.NewPCG(2, 2))
}

// TestPoolGradientMatchesEnumeration differentiates the exact objective
// numerically, (J(theta+h) - J(theta-h)) / 2h, and compares.
func TestPoolGradientMatchesEnumeration(t *testing.T) {
	pl := testPool(t, 5, 12)
	copy(pl.Params(), []float64{0.3, -0.2, 0.5, 0.1, 0.4, -0.3, 0.2})
	r := pl.Scores(linearReward(goldW[:]))
	for _, beta := range []float64{0, 0.3, 2} {
		g := make([]float64, world.NumFeatures)
		pl.Objective(r, beta, g)
		for k := range g {
			const h = 1e-6
			p := pl.Params()
			orig := p[k]
			p[k] = orig + h
			up := pl.Objective(r, beta, nil)
			p[k] = orig - h
			dn := pl.Objective(r, beta, nil)
			p[k] = orig
			if num := (up - dn) / (2 * h); math.Abs(num-g[k]) > 1e-7*math.Max(1, math.Abs(num)) {
				t.Errorf("beta %v: dJ/dtheta_%d = %v, finite difference %v", beta, k, g[k], num)
			}
		}
	}
}

// TestReinforceUnbiasedAndLOOVariance: the mean of many REINFORCE estimates
// matches the exact gradient within 4 standard errors per component, and the
// leave-one-out baseline cuts the total variance. The reward carries an
// offset of 2, as a raw reward-model score may: ranking leaves the level of
// scores free, the exact gradient ignores it, and without a baseline the
// estimator's variance grows with it.
func TestReinforceUnbiasedAndLOOVariance(t *testing.T) {
	pl := testPool(t, 4, 10)
	copy(pl.Params(), []float64{0.2, 0.1, -0.1, 0.3, 0.5, 0, -0.2})
	lin := linearReward(goldW[:])
	rw := func(p world.Prompt, phi []float64) float64 { return lin(p, phi) + 2 }
	const beta = 0.2
	exact := make([]float64, world.NumFeatures)
	pl.Objective(pl.Scores(rw), beta, exact)
	rng := rand.New(rand.NewPCG(5, 5))
	const reps = 20000
	variance := map[Baseline]float64{}
	for _, base := range []Baseline{NoBaseline, LOOBaseline} {
		est := make([][]float64, world.NumFeatures)
		g := make([]float64, world.NumFeatures)
		for r := 0; r < reps; r++ {
			if err := GradientEstimate(pl, rw, &Estimate{Beta: beta, Baseline: base, Samples: 8, PerPrompt: 4}, g, rng); err != nil {
				t.Fatal(err)
			}
			for k, v := range g {
				est[k] = append(est[k], v)
			}
		}
		for k := range est {
			m, v := stat.MeanVariance(est[k], nil)
			se := math.Sqrt(v / reps)
			if math.Abs(m-exact[k]) > 4*se+1e-12 {
				t.Errorf("%s baseline: component %d mean %.5f, exact %.5f (se %.5f)", base, k, m, exact[k], se)
			}
			variance[base] += v
		}
	}
	if ratio := variance[LOOBaseline] / variance[NoBaseline]; ratio > 0.7 {
		t.Errorf("leave-one-out variance is %.2f of the no-baseline variance, want clearly lower", ratio)
	}
}

// TestPoolKL checks the enumerated KL at its two ends (0 at theta = 0, log M
// when all mass sits on one member) and against the sampled k1 estimate.
func TestPoolKL(t *testing.T) {
	pl := testPool(t, 3, 16)
	r := pl.Scores(linearReward(goldW[:]))
	if st := pl.EvalScores(r, r); math.Abs(st.KL) > 1e-12 || math.Abs(st.Entropy-math.Log(16)) > 1e-12 {
		t.Errorf("theta = 0: KL %v (want 0), entropy %v (want log 16)", st.KL, st.Entropy)
	}
	copy(pl.Params(), []float64{0, 0, 0, 0, 1e5, 0, 0}) // the longest member takes all the mass
	if st := pl.EvalScores(r, r); math.Abs(st.KL-math.Log(16)) > 1e-9 {
		t.Errorf("point mass: KL %v, want log 16 = %v", st.KL, math.Log(16))
	}
	copy(pl.Params(), []float64{0.5, 0.5, 0, 0, 1, 0, 0})
	st := pl.EvalScores(r, r)
	rng := rand.New(rand.NewPCG(3, 3))
	var d []float64
	for i := 0; i < 40000; i++ {
		s := pl.Sample(i%3, rng)
		d = append(d, pl.LogProb(&s, nil, 0)-pl.LogRef(&s))
	}
	m, v := stat.MeanVariance(d, nil)
	if se := math.Sqrt(v / float64(len(d))); math.Abs(m-st.KL) > 4*se {
		t.Errorf("sampled KL %.4f +- %.4f, enumerated %.4f", m, se, st.KL)
	}
}

// TestGaussianKLAndGradient compares the closed-form KL with the Monte
// Carlo mean of log pi - log pi_ref, and LogProb's gradient with finite
// differences.
func TestGaussianKLAndGradient(t *testing.T) {
	w := world.Default()
	ps := w.Prompts(5, 0, rand.New(rand.NewPCG(1, 1)))
	g := NewGaussian(w, ps, 4, rand.NewPCG(2, 2))
	copy(g.Params(), []float64{0.4, -0.3, 0.2, 0, 0.3, 0.5, -0.1, -0.15})
	rng := rand.New(rand.NewPCG(4, 4))
	var d []float64
	for i := 0; i < 40000; i++ {
		s := g.Sample(i%5, rng)
		d = append(d, g.LogProb(&s, nil, 0)-g.LogRef(&s))
	}
	m, v := stat.MeanVariance(d, nil)
	if se := math.Sqrt(v / float64(len(d))); math.Abs(m-g.KL()) > 4*se {
		t.Errorf("Monte Carlo KL %.4f +- %.4f, closed form %.4f", m, se, g.KL())
	}
	s := g.Sample(2, rng)
	grad := make([]float64, len(g.Params()))
	g.LogProb(&s, grad, 1)
	for k := range grad {
		const h = 1e-6
		p := g.Params()
		orig := p[k]
		p[k] = orig + h
		up := g.LogProb(&s, nil, 0)
		p[k] = orig - h
		dn := g.LogProb(&s, nil, 0)
		p[k] = orig
		if num := (up - dn) / (2 * h); math.Abs(num-grad[k]) > 1e-6*math.Max(1, math.Abs(num)) {
			t.Errorf("d log pi / d theta_%d = %v, finite difference %v", k, grad[k], num)
		}
	}
	g.Params()[0], g.Params()[world.NumFeatures] = 0, 0
	for k := range g.Params() {
		g.Params()[k] = 0
	}
	if g.KL() != 0 {
		t.Errorf("KL at the base policy = %v", g.KL())
	}
}

// TestBestOfN checks the exact best-of-n formulas against their bounds and
// against brute-force simulation.
func TestBestOfN(t *testing.T) {
	pl := testPool(t, 20, 32)
	proxy := pl.Scores(linearReward(goldW[:]))
	gold := pl.Scores(world.DefaultGold())
	for _, n := range []int{1, 2, 4, 16, 64, 256} {
		b := BestOfN(pl, proxy, gold, n)
		if b.KL > b.Bound+1e-12 {
			t.Errorf("n=%d: KL %v above the bound log n - (n-1)/n = %v", n, b.KL, b.Bound)
		}
		if b.WinRate > float64(n)/float64(n+1)+1e-12 {
			t.Errorf("n=%d: win rate %v above n/(n+1)", n, b.WinRate)
		}
		if n == 1 && (math.Abs(b.KL) > 1e-12 || math.Abs(b.WinRate-0.5) > 1e-12) {
			t.Errorf("n=1: KL %v, win rate %v; want 0 and 1/2", b.KL, b.WinRate)
		}
	}
	// Brute force: draw 4 members uniformly, keep the best by proxy.
	rng := rand.New(rand.NewPCG(8, 8))
	b := BestOfN(pl, proxy, gold, 4)
	const reps = 100000
	var sum, sq float64
	for r := 0; r < reps; r++ {
		i := r % 20
		best := -1
		for d := 0; d < 4; d++ {
			j := rng.IntN(32)
			if best < 0 || proxy[i*32+j] > proxy[i*32+best] {
				best = j
			}
		}
		sum += proxy[i*32+best]
		sq += proxy[i*32+best] * proxy[i*32+best]
	}
	m := sum / reps
	se := math.Sqrt((sq/reps - m*m) / reps)
	if math.Abs(m-b.Proxy) > 4*se {
		t.Errorf("simulated best-of-4 proxy %.4f +- %.4f, exact %.4f", m, se, b.Proxy)
	}
}

// TestBestOfNSweepMatchesBruteForce compares the sorted sweep with a
// direct count over every pair of pool members, ties included.
func TestBestOfNSweepMatchesBruteForce(t *testing.T) {
	w := world.Default()
	pl := NewPool(w, w.Prompts(3, 0, rand.NewPCG(1, 2)), 40, rand.NewPCG(3, 4))
	proxy := pl.Scores(func(_ world.Prompt, phi []float64) float64 { return phi[world.Helpfulness] })
	// Gold rounded to a tenth, so that ties occur.
	gold := pl.Scores(func(p world.Prompt, phi []float64) float64 { return math.Round(10*w.Gold(p, phi)) / 10 })
	ns := []int{1, 3, 8}
	got := BestOfNSweep(pl, proxy, gold, ns)
	M := pl.M()
	for t2, n := range ns {
		want := 0.0
		for i := range pl.Prompts() {
			off := i * M
			idx := make([]int, M)
			for j := range idx {
				idx[j] = j
			}
			sort.SliceStable(idx, func(a, c int) bool { return proxy[off+idx[a]] < proxy[off+idx[c]] })
			for k, j := range idx {
				q := math.Pow(float64(k+1)/float64(M), float64(n)) - math.Pow(float64(k)/float64(M), float64(n))
				below := 0.0
				for jj := 0; jj < M; jj++ {
					below += stats.Concordance(gold[off+j]-gold[off+jj], 1)
				}
				want += q * below / float64(M)
			}
		}
		want /= float64(len(pl.Prompts()))
		if math.Abs(got[t2].GoldWinRate-want) > 1e-12 {
			t.Errorf("n=%d: gold win rate %v, brute force %v", n, got[t2].GoldWinRate, want)
		}
		if one := BestOfN(pl, proxy, gold, n); one != got[t2] {
			t.Errorf("n=%d: BestOfN %+v differs from the sweep %+v", n, one, got[t2])
		}
	}
}

// TestOptimalKLIsReached: with a linear reward and the exact natural
// gradient (many samples, plain steps), the Gaussian policy ends at the
// closed-form KL of its regularised optimum.
func TestOptimalKLIsReached(t *testing.T) {
	w := world.Default()
	g := NewGaussian(w, w.Prompts(20, 0, rand.NewPCG(1, 1)), 8, rand.NewPCG(2, 2))
	weights := make([]float64, world.NumFeatures)
	copy(weights, []float64{1, 1, 0.5, 0.7, 0.3, -0.4, -0.2})
	lin := linearReward(weights)
	const beta = 0.5
	run := optimize(t, g, lin, lin, &Settings{Algo: RLOO, Beta: beta, Steps: 400, LR: 0.02, Samples: 256})
	want := g.OptimalKL(weights, beta)
	if got := run.Steps[len(run.Steps)-1].KL; math.Abs(got-want) > 0.1*want {
		t.Errorf("final KL %.3f, closed-form optimum %.3f", got, want)
	}
}

// TestPoolGoldAgreement compares the pool's exact agreement between proxy
// and gold on its own distribution with a sum over every pair of members,
// and checks the edge cases: a proxy equal to gold agrees everywhere, its
// negation nowhere, and a point mass has no pair to compare.
func TestPoolGoldAgreement(t *testing.T) {
	pl := testPool(t, 4, 24)
	pw := make([]float64, len(goldW))
	copy(pw, []float64{1, 0.5, 0, 0, 2, 0, 0})
	proxy := pl.Scores(linearReward(pw))
	gold := pl.Scores(linearReward(goldW[:]))
	copy(pl.Params(), []float64{0.3, -0.2, 0.1, 0, 0.8, 0, 0})
	var want float64
	for i := range pl.Prompts() {
		p := pl.Probs(i, nil)
		var num, den float64
		for j := range p {
			for k := j + 1; k < len(p); k++ {
				a, b := i*pl.M()+j, i*pl.M()+k
				num += p[j] * p[k] * stats.Concordance(proxy[a]-proxy[b], gold[a]-gold[b])
				den += p[j] * p[k]
			}
		}
		want += num / den / 4
	}
	if got := pl.EvalScores(proxy, gold).GoldAgreement; math.Abs(got-want) > 1e-12 {
		t.Errorf("agreement %v, want %v from every pair", got, want)
	}
	if got := pl.EvalScores(gold, gold).GoldAgreement; math.Abs(got-1) > 1e-12 {
		t.Errorf("proxy = gold: agreement %v, want 1", got)
	}
	neg := make([]float64, len(gold))
	for i, g := range gold {
		neg[i] = -g
	}
	if got := pl.EvalScores(neg, gold).GoldAgreement; math.Abs(got) > 1e-12 {
		t.Errorf("proxy = -gold: agreement %v, want 0", got)
	}
	copy(pl.Params(), []float64{0, 0, 0, 0, 1e5, 0, 0})
	if got := pl.EvalScores(proxy, gold).GoldAgreement; got != 0.5 {
		t.Errorf("point mass: agreement %v, want one half (nothing to compare)", got)
	}
}

// TestBestOfNTiesBruteForce enumerates every ordered draw of n members
// from a small pool whose proxy has ties (a pass-or-fail verdict, and a
// three-level score), choosing among the tied best draws by a fair coin,
// and compares the chosen member's exact distribution with the sweep's
// KL, proxy, gold and win rate. A proxy that ties everything must give
// the base policy back.
func TestBestOfNTiesBruteForce(t *testing.T) {
	w := world.Default()
	const M = 6
	pl := NewPool(w, w.Prompts(4, 0, rand.NewPCG(1, 2)), M, rand.NewPCG(3, 4))
	gold := pl.Scores(w.Gold)
	for name, f := range map[string]RewardFunc{
		"verdict": func(_ world.Prompt, phi []float64) float64 {
			return math.Max(0, math.Copysign(1, phi[world.Correctness]))
		},
		"levels": func(_ world.Prompt, phi []float64) float64 { return math.Round(phi[world.Helpfulness]) },
		"flat":   func(world.Prompt, []float64) float64 { return 1 },
	} {
		proxy := pl.Scores(f)
		for _, n := range []int{1, 2, 3} {
			var want BoN
			for i := range pl.Prompts() {
				off := i * M
				p := make([]float64, M) // probability that member j is chosen
				draw := make([]int, n)
				var walk func(d int)
				walk = func(d int) {
					if d == n {
						best := math.Inf(-1)
						for _, j := range draw {
							best = math.Max(best, proxy[off+j])
						}
						var top []int
						for _, j := range draw {
							if proxy[off+j] == best {
								top = append(top, j)
							}
						}
						for _, j := range top {
							p[j] += math.Pow(M, -float64(n)) / float64(len(top))
						}
						return
					}
					for j := range M {
						draw[d] = j
						walk(d + 1)
					}
				}
				walk(0)
				for j, pj := range p {
					if pj == 0 {
						continue
					}
					want.KL += pj * math.Log(pj*M)
					want.Proxy += pj * proxy[off+j]
					want.Gold += pj * gold[off+j]
					for jj := range M {
						want.WinRate += pj * stats.Concordance(proxy[off+j]-proxy[off+jj], 1) / M
					}
				}
			}
			np := float64(len(pl.Prompts()))
			got := BestOfN(pl, proxy, gold, n)
			for _, c := range [][2]float64{{got.KL, want.KL / np}, {got.Proxy, want.Proxy / np}, {got.Gold, want.Gold / np}, {got.WinRate, want.WinRate / np}} {
				if math.Abs(c[0]-c[1]) > 1e-12 {
					t.Errorf("%s, n=%d: sweep %+v, brute force KL %v proxy %v gold %v win %v", name, n, got,
						want.KL/np, want.Proxy/np, want.Gold/np, want.WinRate/np)
					break
				}
			}
			if name == "flat" && math.Abs(got.KL) > 1e-12 {
				t.Errorf("a proxy that ties everything: KL %v, want 0", got.KL)
			}
		}
	}
	// keep: the average over some prompts is the average of their own
	// sweeps.
	proxy := pl.Scores(w.Gold)
	all := BestOfNSweep(pl, proxy, gold, []int{3})[0]
	even := BestOfNSweepWhere(pl, proxy, gold, []int{3}, func(i int) bool { return i%2 == 0 })[0]
	odd := BestOfNSweepWhere(pl, proxy, gold, []int{3}, func(i int) bool { return i%2 == 1 })[0]
	if math.Abs((even.Gold+odd.Gold)/2-all.Gold) > 1e-12 {
		t.Errorf("kept halves %v and %v do not average to %v", even.Gold, odd.Gold, all.Gold)
	}
}

// TestDrawScoresIgnoresCores: a pool drawn as scores is the same on one
// core as on four, and BestOfNScores on it the same too.
func TestDrawScoresIgnoresCores(t *testing.T) {
	w := world.Default()
	prompts := w.Prompts(5, 0, rand.NewPCG(1, 2))
	score := func() func(int, []float64, []float64, *rand.Rand) {
		return func(i int, phi, dst []float64, own *rand.Rand) {
			dst[0], dst[1] = phi[world.Helpfulness]+own.Float64(), w.Gold(prompts[i], phi)
		}
	}
	var got [2][]float64
	var bon [2][]BoN
	for k, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		got[k] = DrawScores(w, prompts, 300, 2, score, rand.NewPCG(3, 4))
		proxy, gold := make([]float64, 5*300), make([]float64, 5*300)
		for j := range proxy {
			proxy[j], gold[j] = got[k][2*j], got[k][2*j+1]
		}
		bon[k] = BestOfNScores(300, proxy, gold, []int{1, 4, 16}, func(i int) bool { return i != 2 })
		runtime.GOMAXPROCS(old)
	}
	if !slices.Equal(got[0], got[1]) {
		t.Error("DrawScores differs between 1 and 4 cores")
	}
	if !slices.Equal(bon[0], bon[1]) {
		t.Errorf("BestOfNScores differs between 1 and 4 cores: %+v against %+v", bon[0], bon[1])
	}
	if math.Abs(bon[0][0].KL) > 1e-12 || bon[0][2].Gold <= bon[0][0].Gold {
		t.Errorf("best-of-1 KL %v, gold %v -> %v at n = 16: want 0 and a rise", bon[0][0].KL, bon[0][0].Gold, bon[0][2].Gold)
	}
}
