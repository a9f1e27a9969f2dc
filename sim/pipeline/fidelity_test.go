package pipeline

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// The published shapes the default world must reproduce (DESIGN.md
// section 6), each checked on seeds 1 to 6. The runs are shared between
// the tests and made in parallel.

var seeds = []uint64{1, 2, 3, 4, 5, 6}

var defaultBeta = Default().Policy.Settings.Beta

type runKey struct {
	seed       uint64
	beta, lb   float64
	targetKL   float64
	algo       policy.Algo
	steps      int
	noBoN      bool
	mlpWidth   int
	dataPrompt int
	lr         float64
	ensemble   int
	agg        reward.Aggregate
	audit      int     // pairs per audit check, every 10 steps
	view       float64 // the fraction of the features each ensemble member sees
}

var (
	runsMu sync.Mutex
	runs   = map[runKey]*Result{}
)

func fidelityRun(t *testing.T, k runKey) *Result {
	t.Helper()
	runsMu.Lock()
	r, ok := runs[k]
	runsMu.Unlock()
	if ok {
		return r
	}
	c := Default()
	c.Seed = k.seed
	c.Data.LengthBias = k.lb
	c.Policy.Settings.Beta = k.beta
	c.Policy.Settings.TargetKL = k.targetKL
	if k.algo != "" {
		c.Policy.Settings.Algo = k.algo
	}
	if k.steps > 0 {
		c.Policy.Settings.Steps = k.steps
	}
	if k.noBoN {
		c.Policy.BoN = nil
	}
	if k.mlpWidth > 0 {
		c.RM.Model, c.RM.Hidden = reward.KindMLP, []int{k.mlpWidth}
	}
	if k.dataPrompt > 0 {
		c.Data.Prompts = k.dataPrompt
	}
	if k.lr > 0 {
		c.Policy.Settings.LR = k.lr
	}
	c.RM.Ensemble, c.RM.Aggregate, c.RM.View = k.ensemble, k.agg, k.view
	c.Policy.Audit = Audit{Pairs: k.audit, Every: 10}
	r, err := Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	runsMu.Lock()
	runs[k] = r
	runsMu.Unlock()
	return r
}

// forSeeds runs f on each seed in parallel subtests.
func forSeeds(t *testing.T, f func(t *testing.T, seed uint64)) {
	if testing.Short() {
		t.Skip("runs the pipeline on six seeds")
	}
	for _, s := range seeds {
		t.Run(fmt.Sprintf("seed%d", s), func(t *testing.T) {
			t.Parallel()
			f(t, s)
		})
	}
}

func goldPeak(steps []policy.Step) int {
	pk := 0
	for i, s := range steps {
		if s.Gold > steps[pk].Gold {
			pk = i
		}
	}
	return pk
}

// TestOveroptimisationEmerges: with fair annotators and the default world,
// the gold reward of the RL run peaks inside the run and ends at least 25%
// of its rise below the peak, while the proxy keeps rising (target 1); and
// Gao's RL form d (alpha - beta log d) fits the gold curve with R^2 >= 0.9
// (target 4). The best-of-n form fits it better still (about 0.999): a
// Gaussian mean shift moves along a straight line in d, which lesson 08
// says.
func TestOveroptimisationEmerges(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta})
		st := r.Run.Steps
		pk, last := goldPeak(st), st[len(st)-1]
		rise := st[pk].Gold - st[0].Gold
		if pk == 0 || pk == len(st)-1 || rise <= 0 {
			t.Fatalf("gold peaks at step %d of %d (rise %.2f): want a peak inside the run", pk, len(st)-1, rise)
		}
		if drop := st[pk].Gold - last.Gold; drop < 0.25*rise {
			t.Errorf("gold ends %.2f below its peak, want at least 25%% of its rise %.2f", drop, rise)
		}
		if last.Proxy <= st[pk].Proxy {
			t.Errorf("proxy %.2f at the end, %.2f at the gold peak: want it still rising", last.Proxy, st[pk].Proxy)
		}
		// The curve is gold against d: a run that converges sits at one d
		// for many steps, so it is thinned to points at least 0.1 nats of
		// KL apart, each stretch of the path counted once.
		kl, gold := []float64{st[0].KL}, []float64{st[0].Gold}
		for _, s := range st[1:] {
			if math.Abs(s.KL-kl[len(kl)-1]) >= 0.1 {
				kl, gold = append(kl, s.KL), append(gold, s.Gold)
			}
		}
		rl, err := stats.FitGao(stats.GaoRL, kl, gold)
		bon, _ := stats.FitGao(stats.GaoBoN, kl, gold)
		t.Logf("RL curve, %d points: R^2 %.3f for the RL form, %.3f for the best-of-n form", len(kl), rl.R2, bon.R2)
		if err != nil || rl.R2 < 0.9 {
			t.Errorf("Gao's RL form fits the RL gold curve with R^2 %.3f (%v), want >= 0.9", rl.R2, err)
		}
	})
}

// TestBestOfNTurnsDown: the default best-of-n sweep's gold peaks before
// the largest n it reports and falls by then by at least 10% of its rise
// (issue 21, target 5; 19-28% measured on seeds 1-6 with pools of 65,536
// for n up to 16,384, against 1.7-4.7% when the sweep stopped at 1,024),
// and d (alpha - beta d) fits it with R^2 >= 0.95.
func TestBestOfNTurnsDown(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta})
		b := r.BoN
		pk := 0
		var kl, gold []float64
		for i, x := range b {
			if x.Gold > b[pk].Gold {
				pk = i
			}
			kl, gold = append(kl, x.KL), append(gold, x.Gold)
			if x.KL > x.Bound+1e-9 {
				t.Errorf("n=%d: KL %.3f above its bound %.3f", x.N, x.KL, x.Bound)
			}
		}
		rise, fall := b[pk].Gold-b[0].Gold, b[pk].Gold-b[len(b)-1].Gold
		t.Logf("best-of-n: peak at n=%d, falls %.0f%% of its rise by n=%d", b[pk].N, 100*fall/rise, b[len(b)-1].N)
		if pk == len(b)-1 || fall < 0.1*rise {
			t.Errorf("best-of-n gold peaks at n=%d and ends %.3f below it: want a fall of at least 10%% of the rise %.3f by n = %d", b[pk].N, fall, rise, b[len(b)-1].N)
		}
		f, err := stats.FitGao(stats.GaoBoN, kl, gold)
		if err != nil || f.R2 < 0.95 {
			t.Errorf("d (alpha - beta d) fits best-of-n with R^2 %.3f (%v), want >= 0.95", f.R2, err)
		}
	})
}

// goldAtKL interpolates a run's gold at KL k; ok is false outside the run.
func goldAtKL(st []policy.Step, k float64) (float64, bool) {
	for i := 1; i < len(st); i++ {
		a, b := st[i-1], st[i]
		if (a.KL <= k && k <= b.KL) || (b.KL <= k && k <= a.KL) {
			if b.KL == a.KL {
				return b.Gold, true
			}
			f := (k - a.KL) / (b.KL - a.KL)
			return a.Gold + f*(b.Gold-a.Gold), true
		}
	}
	return 0, false
}

// TestKLPenaltyActsLikeEarlyStopping: for beta 0, 0.05 and the default
// 0.25 the runs trace one frontier of gold against KL: at every KL all three
// reach, their gold agrees within 10% of the gold range (target 5). Beta
// only decides where a run stops. And the default beta matters: the run
// ends within 20% of the KL of its regularised optimum, KL* = w' Sigma w /
// (2 beta^2) for the linear proxy w.
func TestKLPenaltyActsLikeEarlyStopping(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		var rs []*Result
		for _, b := range []float64{0, 0.05, defaultBeta} {
			rs = append(rs, fidelityRun(t, runKey{seed: seed, beta: b, noBoN: true}))
		}
		reach, lo, hi := math.Inf(1), math.Inf(1), math.Inf(-1)
		for _, r := range rs {
			st := r.Run.Steps
			reach = math.Min(reach, st[len(st)-1].KL)
			for _, s := range st {
				lo, hi = math.Min(lo, s.Gold), math.Max(hi, s.Gold)
			}
		}
		for k := 0.5; k < reach; k += 0.5 {
			var gs []float64
			for _, r := range rs {
				g, ok := goldAtKL(r.Run.Steps, k)
				if !ok {
					t.Fatalf("a run does not pass KL %.1f", k)
				}
				gs = append(gs, g)
			}
			for _, g := range gs[1:] {
				if math.Abs(g-gs[0]) > 0.1*(hi-lo) {
					t.Errorf("at KL %.1f gold %.2f (beta 0) and %.2f differ by more than 10%% of the range %.2f", k, gs[0], g, hi-lo)
				}
			}
		}
		def := rs[2]
		w := def.RM.Scorer.Model.(*reward.Linear).Weights()
		cov := def.World.Cov()
		q := mat.Inner(mat.NewVecDense(len(w), w), cov, mat.NewVecDense(len(w), w))
		klStar := q / (2 * defaultBeta * defaultBeta)
		end := def.Run.Steps[len(def.Run.Steps)-1].KL
		if math.Abs(end-klStar) > 0.2*klStar {
			t.Errorf("with the default beta the run ends at KL %.2f; its regularised optimum is at %.2f: want within 20%%", end, klStar)
		}
	})
}

// TestKLPenaltyBendsTheMLPsPath: with a non-linear reward model the
// penalty is more than an early stop. At the KL where the default beta's
// run ends, it has more gold than the beta 0.05 run had there, by more
// than 0.03 (0.07 to 0.18 measured on seeds 1-6), where with the linear
// model (TestKLPenaltyActsLikeEarlyStopping) the runs coincide. Lesson
// 13 shows both; Gao et al. reported no improvement, with a caveat about
// hyperparameters.
func TestKLPenaltyBendsTheMLPsPath(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		lo := fidelityRun(t, runKey{seed: seed, beta: 0.05, noBoN: true, mlpWidth: 32})
		hi := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, mlpWidth: 32})
		end := hi.Run.Steps[len(hi.Run.Steps)-1]
		g, ok := goldAtKL(lo.Run.Steps, end.KL)
		if !ok || end.Gold < g+0.03 {
			t.Errorf("at KL %.2f: beta %g gold %+.3f, beta 0.05 %+.3f (passed: %v); want the larger beta ahead by 0.03", end.KL, defaultBeta, end.Gold, g, ok)
		}
	})
}

// TestAuditWarnsBeforeTheFall: 200 annotator comparisons of the policy's
// own answers every 10 steps start near the reward model's held-out
// accuracy on labels (within 0.08, about three standard errors of 200
// pairs with the accuracy's own error), fall below 0.6 no later than 20
// steps after the gold peak, and end below one half, where the model
// prefers the worse answer: the early warning of lesson 13. Auditing
// leaves the run itself unchanged, byte for byte.
func TestAuditWarnsBeforeTheFall(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, audit: 200})
		plain := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true})
		if fmt.Sprint(r.Run.Steps) != fmt.Sprint(plain.Run.Steps) {
			t.Fatal("the audited run differs from the same run without the audit")
		}
		a := r.Audit
		if len(a) != 31 || a[30].Labels != 31*200 || a[30].Step != 300 {
			t.Fatalf("%d checks, last %+v: want 31 checks of 200 pairs, the last at step 300", len(a), a[len(a)-1])
		}
		if d := math.Abs(a[0].Agreement - r.RM.Metrics.TestAccuracy); d > 0.08 {
			t.Errorf("first check %.3f, held-out accuracy %.3f", a[0].Agreement, r.RM.Metrics.TestAccuracy)
		}
		pk := goldPeak(r.Run.Steps)
		warned := -1
		for _, p := range a {
			if p.Agreement < 0.6 {
				warned = p.Step
				break
			}
		}
		if warned < 0 || warned > pk+20 {
			t.Errorf("agreement first below 0.6 at step %d; gold peaked at step %d", warned, pk)
		}
		if a[30].Agreement >= 0.5 {
			t.Errorf("final agreement %.3f, want below one half", a[30].Agreement)
		}
	})
}

// TestLengthGrowthIsRealistic: on the length-biased run (annotators add 1
// per log token), answers at the gold peak are 1.3 to 3 times the base
// policy's length in tokens, and at most 5 times at the end (target 7;
// Singhal et al. 2023 report 1.5-2x under RLHF).
func TestLengthGrowthIsRealistic(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, lb: 1, noBoN: true})
		st := r.Run.Steps
		pk, last := goldPeak(st), st[len(st)-1]
		atPeak, atEnd := math.Exp(st[pk].Length-st[0].Length), math.Exp(last.Length-st[0].Length)
		if atPeak < 1.3 || atPeak > 3 || atEnd > 5 {
			t.Errorf("length x%.2f at the gold peak, x%.2f at the end: want 1.3-3 at the peak and at most 5 at the end", atPeak, atEnd)
		}
	})
}

// TestKLControllerReachesItsTarget: the adaptive controller ends within 20%
// of its target KL (target 8).
func TestKLControllerReachesItsTarget(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		for _, target := range []float64{1, 3} {
			r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, targetKL: target, noBoN: true})
			end := r.Run.Steps[len(r.Run.Steps)-1].KL
			if math.Abs(end-target) > 0.2*target {
				t.Errorf("target KL %v: ends at %.2f", target, end)
			}
		}
	})
}

// TestPPOStepsStayClose: PPO's clipped surrogate keeps each update small:
// the KL between successive policies, in closed form for the Gaussian
// (half the Mahalanobis distance between their means; the spread barely
// moves), stays below 0.05 nats (target 8), while the run as a whole moves
// as far as RLOO's.
func TestPPOStepsStayClose(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, algo: policy.PPO, noBoN: true})
		var ch mat.Cholesky
		if !ch.Factorize(r.World.Cov()) {
			t.Fatal("covariance")
		}
		st := r.Run.Steps
		worst := 0.0
		for i := 1; i < len(st); i++ {
			dv := mat.NewVecDense(world.NumFeatures, nil)
			dv.SubVec(mat.NewVecDense(world.NumFeatures, st[i].Features), mat.NewVecDense(world.NumFeatures, st[i-1].Features))
			var x mat.VecDense
			if err := ch.SolveVecTo(&x, dv); err != nil {
				t.Fatal(err)
			}
			worst = math.Max(worst, mat.Dot(dv, &x)/2)
		}
		if worst > 0.05 {
			t.Errorf("largest KL between successive PPO policies %.4f, want <= 0.05", worst)
		}
	})
}

// TestMoreDataMovesTheMLPsPeak: with a reward model that has the capacity
// to use it (an MLP of width 32), more preference data moves the gold peak
// later and higher (target 2; Gao et al.): over seeds 1-6 the mean peak
// gold and the mean KL at the peak both grow from 200 to 2,000 to 20,000
// prompts, and from 200 to 20,000 the peak gold grows on every seed. One
// seed's peak KL moves by about a nat from noise alone, so the means are
// the test for the KL. The runs use beta 0 and a larger step so that every
// model is pushed past its peak. The linear model does not show this: its
// misfit, not its noise, sets the peak, which the README reports.
func TestMoreDataMovesTheMLPsPeak(t *testing.T) {
	if testing.Short() {
		t.Skip("trains eighteen MLP reward models")
	}
	sizes := []int{200, 2000, 20000}
	var mu sync.Mutex
	meanGold, meanKL := make([]float64, len(sizes)), make([]float64, len(sizes))
	t.Run("seeds", func(t *testing.T) {
		forSeeds(t, func(t *testing.T, seed uint64) {
			var peaks []float64
			for i, prompts := range sizes {
				r := fidelityRun(t, runKey{seed: seed, beta: 0, lr: 0.1, mlpWidth: 32, dataPrompt: prompts, noBoN: true})
				st := r.Run.Steps
				pk := goldPeak(st)
				if pk == len(st)-1 {
					t.Errorf("%d prompts: gold still rising at the end of the run", prompts)
				}
				peaks = append(peaks, st[pk].Gold-st[0].Gold)
				mu.Lock()
				meanGold[i] += (st[pk].Gold - st[0].Gold) / float64(len(seeds))
				meanKL[i] += st[pk].KL / float64(len(seeds))
				mu.Unlock()
			}
			if peaks[2] <= peaks[0] {
				t.Errorf("peak gold gain %.2f with 200 prompts, %.2f with 20,000: want more data to raise it", peaks[0], peaks[2])
			}
		})
	})
	for i := 1; i < len(sizes); i++ {
		if meanGold[i] <= meanGold[i-1] || meanKL[i] <= meanKL[i-1] {
			t.Errorf("%d -> %d prompts: mean peak gold %.2f -> %.2f at mean KL %.2f -> %.2f, want both to grow",
				sizes[i-1], sizes[i], meanGold[i-1], meanGold[i], meanKL[i-1], meanKL[i])
		}
	}
	t.Logf("mean peak gold %.2f, %.2f, %.2f at mean KL %.2f, %.2f, %.2f", meanGold[0], meanGold[1], meanGold[2], meanKL[0], meanKL[1], meanKL[2])
}

// TestAccuracyFallsUnderShift: the reward model's gold agreement on the
// policy's own samples starts where its held-out agreement on base-policy
// pairs is (both estimate the same number; the held-out one from about
// 1,200 test pairs has a standard error near 0.011, so 0.04 is over three
// of them), and falls as the policy moves: to at most 0.65 at the gold
// peak and below chance (0.5) by the end of the run. Measured on seeds
// 1-6 with fair and with length-biased annotators: 0.82-0.86 at the
// start, 0.49-0.57 at the peak, 0.20-0.23 at the end.
func TestAccuracyFallsUnderShift(t *testing.T) {
	for _, lb := range []float64{0, 1} {
		t.Run(fmt.Sprintf("lengthbias%v", lb), func(t *testing.T) {
			forSeeds(t, func(t *testing.T, seed uint64) {
				r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, lb: lb, noBoN: true})
				st := r.Run.Steps
				held, start := r.RM.Metrics.GoldAgreement, st[0].GoldAgreement
				pk, end := goldPeak(st), st[len(st)-1]
				t.Logf("held out %.3f, start %.3f, peak (KL %.1f) %.3f, end (KL %.1f) %.3f",
					held, start, st[pk].KL, st[pk].GoldAgreement, end.KL, end.GoldAgreement)
				if math.Abs(start-held) > 0.04 {
					t.Errorf("agreement on the base policy's samples %.3f, held out %.3f: want within 0.04", start, held)
				}
				if st[pk].GoldAgreement > 0.65 {
					t.Errorf("agreement at the gold peak %.3f, want at most 0.65", st[pk].GoldAgreement)
				}
				if end.GoldAgreement >= 0.5 {
					t.Errorf("agreement at the end %.3f, want below chance", end.GoldAgreement)
				}
			})
		})
	}
}

// TestEnsemblesSlowTheFall: five bootstrap reward models scored by their
// worst case or by mean minus one standard deviation (Coste et al. 2023)
// against the single model on the same seed. Issue 13 asked for a higher
// or later gold peak; in this world the peak does not move: it stays
// within 0.1 of the single model's (measured gold 1.43-1.68 against
// 1.38-1.67, at KL 3.4-4.3 against 3.2-4.1), because every member is a
// linear model that misreads the saturating, incoherent gold reward in
// the same way, and an ensemble only removes the disagreement between its
// members. What it does change is the fall after the peak: the policy
// gains little where the members disagree, so gold ends higher than with
// one model on every seed (by 0.2 to 0.6). Eisenstein et al. (2023) found
// the same: ensembles mitigate reward hacking but do not remove the part
// their members share.
func TestEnsemblesSlowTheFall(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		single := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true}).Run.Steps
		sp, se := goldPeak(single), single[len(single)-1]
		for _, agg := range []reward.Aggregate{reward.LCB, reward.Worst} {
			r := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, ensemble: 5, agg: agg})
			if len(r.Ensemble) != 5 {
				t.Fatalf("%d ensemble members, want 5", len(r.Ensemble))
			}
			st := r.Run.Steps
			pk, end := goldPeak(st), st[len(st)-1]
			t.Logf("%s: peak %.2f at KL %.1f, end %.2f; single model: peak %.2f at KL %.1f, end %.2f",
				agg, st[pk].Gold, st[pk].KL, end.Gold, single[sp].Gold, single[sp].KL, se.Gold)
			if math.Abs(st[pk].Gold-single[sp].Gold) > 0.1 {
				t.Errorf("%s: gold peak %.2f, single model %.2f: want within 0.1", agg, st[pk].Gold, single[sp].Gold)
			}
			if end.Gold <= se.Gold {
				t.Errorf("%s: gold at the end %.2f, single model %.2f: want higher", agg, end.Gold, se.Gold)
			}
		}
	})
}

// TestDiverseEnsemblesStopTheFall: five linear members on bootstrap
// resamples, each trained on its own random half of the features, scored
// by mean minus one standard deviation, fall by less than 1 from their
// gold peak (0 to 0.62 measured on seeds 1-6), where the same ensemble
// with every member seeing every feature falls by more than 2 (the
// ablation of the views). The plain mean of the half-feature members
// stops the fall too (0.01 to 0.66; the ablation of the lower bound): the
// members' average is a linear model with shrunken weights, whose
// regularised optimum lies at a smaller KL. Lesson 13 says so.
func TestDiverseEnsemblesStopTheFall(t *testing.T) {
	forSeeds(t, func(t *testing.T, seed uint64) {
		fall := func(r *Result) float64 {
			st := r.Run.Steps
			return st[goldPeak(st)].Gold - st[len(st)-1].Gold
		}
		diverse := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, ensemble: 5, agg: reward.LCB, view: 0.5})
		alike := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, ensemble: 5, agg: reward.LCB})
		plain := fidelityRun(t, runKey{seed: seed, beta: defaultBeta, noBoN: true, ensemble: 5, agg: reward.Mean, view: 0.5})
		if f := fall(diverse); f >= 1 {
			t.Errorf("members on different halves of the features fell %.2f from the peak, want under 1", f)
		}
		if f := fall(alike); f <= 2 {
			t.Errorf("members on every feature fell %.2f from the peak, want over 2", f)
		}
		if f := fall(plain); f >= 1 {
			t.Errorf("the plain mean of half-feature members fell %.2f from the peak, want under 1", f)
		}
	})
}
