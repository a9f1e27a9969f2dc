package policy

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func optimize(t testing.TB, pol Policy, proxy, gold RewardFunc, s *Settings) *Run {
	t.Helper()
	run, err := Optimize(pol, proxy, gold, s, rand.NewPCG(5, 5))
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// TestKLRegularisedOptimum: maximising E[r] - beta KL over distributions
// gives pi* = pi_ref exp(r/beta) / Z. With a linear reward that is the pool
// policy with theta = w/beta, so training must reach it. The tolerance is on
// the largest total-variation distance between pi_theta and pi* over the
// prompts: 1e-3 for the exact gradient and for RLOO (whose advantages vanish
// at the optimum, since r - beta log(pi*/pi_ref) = beta log Z is the same for
// every response), 0.05 for the noisier batch-mean baseline and PPO, run
// at a smaller learning rate (and the baseline for more steps) since Adam's
// jitter around the optimum scales with it. The pool has 64 members per
// prompt: with 31 features and fewer members many parameter directions
// barely change the distribution, and Adam wanders along them.
func TestKLRegularisedOptimum(t *testing.T) {
	pl := testPool(t, 20, 64)
	rw := linearReward(goldW[:])
	r := pl.Scores(rw)
	const beta = 1
	for _, c := range []struct {
		algo  Algo
		lr    float64
		steps int
		tol   float64
	}{{Exact, 0.05, 1500, 1e-3}, {RLOO, 0.01, 1500, 1e-3}, {Reinforce, 0.002, 4000, 0.05}, {PPO, 0.002, 1500, 0.05}} {
		for k := range pl.Params() {
			pl.Params()[k] = 0
		}
		optimize(t, pl, rw, rw, &Settings{Algo: c.algo, Beta: beta, Steps: c.steps, LR: c.lr})
		tv := 0.0
		for i := range pl.Prompts() {
			p, q := pl.Probs(i, nil), pl.Optimal(i, r, beta)
			d := 0.0
			for j := range p {
				d += math.Abs(p[j]-q[j]) / 2
			}
			tv = math.Max(tv, d)
		}
		if tv > c.tol {
			t.Errorf("%s: largest TV distance to pi_ref exp(r/beta)/Z is %.4f, want <= %v (theta %.3f)", c.algo, tv, c.tol, pl.Params())
		}
	}
}

// lengthBiasedProxy trains a linear reward model on annotators who add 1
// per log token and returns its normalised score.
func lengthBiasedProxy(t testing.TB, w *world.World) RewardFunc {
	d, err := prefs.Generate(w, []annotate.Annotator{{Name: "a", Tau: 1, Biases: []annotate.Bias{annotate.LengthBias(1)}}},
		&prefs.Settings{Prompts: 2000}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	m := reward.NewLinear(d.D())
	if _, err := reward.Train(m, d, reward.Objective{}, &reward.Settings{Optimizer: reward.LBFGS}, nil); err != nil {
		t.Fatal(err)
	}
	if m.Weights()[world.Length] < 0.7 {
		t.Fatalf("the biased reward model's length weight is only %.2f", m.Weights()[world.Length])
	}
	sc := reward.NewScorer(m, d.Features, reward.Objective{})
	sc.Normalize(d.Phi)
	return func(_ world.Prompt, phi []float64) float64 { return sc.Score(phi) }
}

// TestOveroptimisation reproduces Gao et al.'s shape under the generative
// policy: optimising a length-biased proxy without a KL penalty, the proxy
// keeps rising with KL while the gold reward rises, peaks strictly inside
// the run and ends at least 1 below its peak (the gold's scale: the base
// policy's answers have a gold standard deviation of about 1.7). Optimising
// the gold reward itself, the gold never falls by more than 1% of its gain.
func TestOveroptimisation(t *testing.T) {
	w := world.Default()
	ps := w.Prompts(200, 0, rand.New(rand.NewPCG(3, 3)))
	proxy := lengthBiasedProxy(t, w)
	run := optimize(t, NewGaussian(w, ps, 16, rand.NewPCG(4, 4)), proxy, w.Gold, &Settings{Beta: 0})
	steps := run.Steps
	peak := 0
	for i, s := range steps {
		if s.Gold > steps[peak].Gold {
			peak = i
		}
		if i > 0 && (s.KL < steps[i-1].KL-1e-9 || s.Proxy < steps[i-1].Proxy-0.05) {
			t.Fatalf("step %d: KL %.3f -> %.3f, proxy %.3f -> %.3f; want both rising", i, steps[i-1].KL, s.KL, steps[i-1].Proxy, s.Proxy)
		}
	}
	last := steps[len(steps)-1]
	if peak == 0 || peak == len(steps)-1 {
		t.Errorf("gold peaks at step %d of %d, want strictly inside", peak, len(steps)-1)
	}
	if last.Gold > steps[peak].Gold-1 {
		t.Errorf("final gold %.2f, peak %.2f at step %d: want at least 1 lower", last.Gold, steps[peak].Gold, peak)
	}
	if last.Length < steps[0].Length+1 {
		t.Errorf("length %.2f -> %.2f log tokens: the policy should have lengthened its answers", steps[0].Length, last.Length)
	}

	run = optimize(t, NewGaussian(w, ps, 16, rand.NewPCG(4, 4)), w.Gold, w.Gold, &Settings{Beta: 0})
	best, gain := math.Inf(-1), run.Steps[len(run.Steps)-1].Gold-run.Steps[0].Gold
	for _, s := range run.Steps {
		best = math.Max(best, s.Gold)
		if s.Gold < best-0.01*gain {
			t.Fatalf("optimising the gold itself, gold fell from %.3f to %.3f at step %d", best, s.Gold, s.Step)
		}
	}
}

// TestBetaOrdersKL: a larger KL coefficient ends at a smaller KL.
func TestBetaOrdersKL(t *testing.T) {
	w := world.Default()
	ps := w.Prompts(100, 0, rand.New(rand.NewPCG(3, 3)))
	proxy := linearReward(goldW[:])
	prev := math.Inf(1)
	for _, beta := range []float64{0.02, 0.1, 0.5, 2} {
		run := optimize(t, NewGaussian(w, ps, 8, rand.NewPCG(4, 4)), proxy, w.Gold, &Settings{Beta: beta, Steps: 200})
		kl := run.Steps[len(run.Steps)-1].KL
		if kl >= prev {
			t.Errorf("beta %v: final KL %.3f, not below the smaller beta's %.3f", beta, kl, prev)
		}
		prev = kl
	}
}

// TestAdaptiveKL: the controller moves beta until the KL settles near the
// target: over the last 100 of 300 steps the mean KL is within 50% of it
// (the proportional controller overshoots and oscillates, as in Ziegler et
// al.), and a larger target ends at a larger KL.
func TestAdaptiveKL(t *testing.T) {
	w := world.Default()
	ps := w.Prompts(200, 0, rand.New(rand.NewPCG(3, 3)))
	proxy := linearReward(goldW[:])
	var means []float64
	for _, target := range []float64{2, 10} {
		run := optimize(t, NewGaussian(w, ps, 8, rand.NewPCG(4, 4)), proxy, w.Gold, &Settings{Beta: 0.1, TargetKL: target})
		m := 0.0
		for _, s := range run.Steps[201:] {
			m += s.KL / 100
		}
		if math.Abs(m-target) > 0.5*target {
			t.Errorf("target KL %v: mean KL over the last 100 steps %.2f", target, m)
		}
		means = append(means, m)
	}
	if means[1] <= means[0] {
		t.Errorf("target 10 ends at KL %.2f, not above target 2's %.2f", means[1], means[0])
	}
}

func TestSettingsErrors(t *testing.T) {
	pl := testPool(t, 2, 4)
	rw := linearReward(goldW[:])
	w := world.Default()
	g := NewGaussian(w, pl.Prompts(), 2, rand.NewPCG(1, 1))
	for _, c := range []struct {
		pol Policy
		s   Settings
	}{
		{pl, Settings{Algo: "sarsa"}}, {pl, Settings{Beta: -1}}, {pl, Settings{TargetKL: 3}},
		{pl, Settings{Algo: RLOO, PerPrompt: 1}}, {pl, Settings{Clip: 1.5}}, {g, Settings{Algo: Exact}},
		{pl, Settings{LR: math.NaN()}},
	} {
		if _, err := Optimize(c.pol, rw, rw, &c.s, rand.NewPCG(1, 1)); err == nil {
			t.Errorf("%+v accepted", c.s)
		}
	}
}

// A watched function is measured exactly as the gold reward is, so
// watching the gold reward itself must repeat Step.Gold to the last bit
// of rounding, on both policies and for RL and DPO alike; and watching
// must not change the run.
func TestWatchRepeatsGold(t *testing.T) {
	w := world.Default()
	ps := w.Prompts(12, 0, rand.NewPCG(1, 2))
	proxy := func(p world.Prompt, phi []float64) float64 { return phi[world.Length] + phi[world.Helpfulness] }
	double := func(p world.Prompt, phi []float64) float64 { return 2 * w.Gold(p, phi) }
	for _, pol := range []func() Policy{
		func() Policy { return NewGaussian(w, ps, 8, rand.NewPCG(4, 4)) },
		func() Policy { return NewPool(w, ps, 16, rand.NewPCG(4, 4)) },
	} {
		plain := optimize(t, pol(), proxy, w.Gold, &Settings{Beta: 0.1, Steps: 20})
		watched := optimize(t, pol(), proxy, w.Gold, &Settings{Beta: 0.1, Steps: 20, Watch: []RewardFunc{w.Gold, double}})
		for i, s := range watched.Steps {
			if len(s.Watch) != 2 || math.Abs(s.Watch[0]-s.Gold) > 1e-9 || math.Abs(s.Watch[1]-2*s.Gold) > 1e-9 {
				t.Fatalf("step %d: watch %v, gold %v", i, s.Watch, s.Gold)
			}
			if s.Gold != plain.Steps[i].Gold || plain.Steps[i].Watch != nil {
				t.Fatalf("step %d: watching changed the run", i)
			}
		}
	}
}

// TestRecordingLessOftenEndsTheSame: a run that records every tenth step
// (and the first and the last) ends at the same last step, bit for bit,
// as one that records every step, with the recorded steps equal too; an
// adaptive KL controller refuses it, and so does a negative interval.
func TestRecordingLessOftenEndsTheSame(t *testing.T) {
	w, err := world.New(&world.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ps := w.Prompts(8, 0, rand.NewPCG(1, 1))
	proxy := world.LinearGold()
	every := optimize(t, NewGaussian(w, ps, 8, rand.NewPCG(2, 2)), proxy, w.Gold, &Settings{Beta: 0.1, Steps: 25})
	sparse := optimize(t, NewGaussian(w, ps, 8, rand.NewPCG(2, 2)), proxy, w.Gold, &Settings{Beta: 0.1, Steps: 25, Record: 10})
	var want []Step
	for _, s := range every.Steps {
		if s.Step%10 == 0 || s.Step == 25 {
			want = append(want, s)
		}
	}
	if len(sparse.Steps) != 4 || !reflect.DeepEqual(sparse.Steps, want) {
		t.Errorf("recording every 10th of 25 steps kept %d steps, want steps 0, 10, 20, 25 as the full run has them", len(sparse.Steps))
	}
	for _, s := range []Settings{{Beta: 0.1, TargetKL: 1, Record: 5}, {Record: -1}} {
		if err := s.Validate(); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: %v, want ErrSettings", s, err)
		}
	}
}
