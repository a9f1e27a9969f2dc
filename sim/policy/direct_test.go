package policy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestDirectLossGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const D = 5
	diffs := make([]float64, 40*D)
	for i := range diffs {
		diffs[i] = r.NormFloat64()
	}
	theta := make([]float64, D)
	for i := range theta {
		theta[i] = 0.3 * r.NormFloat64()
	}
	for _, s := range []*Direct{{Method: DPO, Beta: 0.5}, {Method: IPO, Tau: 0.2}} {
		g := make([]float64, D)
		if _, err := DirectLoss(theta, diffs, s, g); err != nil {
			t.Fatal(err)
		}
		for i := range theta {
			const h = 1e-6
			x := theta[i]
			theta[i] = x + h
			up, _ := DirectLoss(theta, diffs, s, nil)
			theta[i] = x - h
			down, _ := DirectLoss(theta, diffs, s, nil)
			theta[i] = x
			if fd := (up - down) / (2 * h); math.Abs(fd-g[i]) > 1e-7*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: d loss / d theta[%d] = %v, finite difference %v", s.Method, i, g[i], fd)
			}
		}
	}
	if _, err := DirectLoss(theta, diffs, &Direct{Method: "kto"}, nil); err == nil {
		t.Error("an unknown method was accepted")
	}
}

// TestDPOReachesTheRegularisedOptimum: trained on the same pairs, DPO on
// the pool policy ends at pi* = pi_ref exp(r/beta) / Z for the
// Bradley-Terry reward model fitted to those pairs (Rafailov et al.'s
// result, exact in this family since DPO here is Bradley-Terry regression
// with weights beta theta). The bound on the total variation is the two
// optimisers' tolerance.
func TestDPOReachesTheRegularisedOptimum(t *testing.T) {
	w := world.Default()
	d, err := prefs.Generate(w, []annotate.Annotator{{Name: "a", Tau: 1}}, &prefs.Settings{Prompts: 3000, K: 4}, rand.NewPCG(3, 1))
	if err != nil {
		t.Fatal(err)
	}
	rm := reward.NewLinear(d.D())
	if _, err := reward.Train(rm, d, reward.Objective{}, &reward.Settings{Optimizer: reward.LBFGS}, nil); err != nil {
		t.Fatal(err)
	}
	pl := NewPool(w, w.Prompts(30, 0, rand.NewPCG(4, 1)), 64, rand.NewPCG(5, 1))
	scores := pl.Scores(func(_ world.Prompt, phi []float64) float64 { return rm.Forward(phi, nil) })
	for _, beta := range []float64{0.5, 2} {
		for k := range pl.Params() {
			pl.Params()[k] = 0
		}
		if _, err := pl.TrainDirect(d, &Direct{Method: DPO, Beta: beta}); err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range pl.Prompts() {
			p, q := pl.Probs(i, nil), pl.Optimal(i, scores, beta)
			tv := 0.0
			for j := range p {
				tv += math.Abs(p[j]-q[j]) / 2
			}
			worst = math.Max(worst, tv)
		}
		if worst > 1e-3 {
			t.Errorf("beta %v: DPO's policy is %.4f in total variation from the reward model's regularised optimum, want <= 0.001", beta, worst)
		}
	}
}

// TestIPOStaysBoundedWhereDPODrifts: with deterministic preferences that a
// linear score separates (annotators at temperature 0 on the linear gold
// reward), DPO keeps paying to widen every margin, so its parameters grow
// with every step; IPO asks for a margin of 1/(2 tau) and settles.
func TestIPOStaysBoundedWhereDPODrifts(t *testing.T) {
	w, err := world.New(&world.Settings{Gold: world.LinearGold()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := prefs.Generate(w, []annotate.Annotator{{Name: "a", Tau: 0}}, &prefs.Settings{Prompts: 300, K: 4}, rand.NewPCG(6, 1))
	if err != nil {
		t.Fatal(err)
	}
	pl := NewPool(w, w.Prompts(5, 0, rand.NewPCG(7, 1)), 16, rand.NewPCG(8, 1))
	norm := func(m Method, steps int) float64 {
		for k := range pl.Params() {
			pl.Params()[k] = 0
		}
		r, err := pl.TrainDirect(d, &Direct{Method: m, Beta: 1, Tau: 1, Steps: steps, LR: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(r.Norm) || math.IsInf(r.Norm, 0) {
			t.Fatalf("%s after %d steps: |theta| = %v", m, steps, r.Norm)
		}
		return r.Norm
	}
	d1, d2 := norm(DPO, 500), norm(DPO, 5000)
	i1, i2 := norm(IPO, 500), norm(IPO, 5000)
	if d2 < 1.2*d1 {
		t.Errorf("DPO's |theta| went from %.2f to %.2f between 500 and 5,000 steps: want it still growing", d1, d2)
	}
	if math.Abs(i2-i1) > 0.01*i1 {
		t.Errorf("IPO's |theta| went from %.3f to %.3f: want it settled", i1, i2)
	}
	t.Logf("|theta| after 500 and 5,000 steps: DPO %.2f -> %.2f, IPO %.3f -> %.3f", d1, d2, i1, i2)
}

func TestTrainDirectReportsDivergence(t *testing.T) {
	w := world.Default()
	d, err := prefs.Generate(w, []annotate.Annotator{{Name: "a", Tau: 1}}, &prefs.Settings{Prompts: 100, K: 4}, rand.NewPCG(9, 1))
	if err != nil {
		t.Fatal(err)
	}
	pl := NewPool(w, w.Prompts(3, 0, rand.NewPCG(10, 1)), 8, rand.NewPCG(11, 1))
	if _, err := pl.TrainDirect(d, &Direct{Method: IPO, Steps: 2000, LR: 5}); err == nil {
		t.Error("IPO at step size 5 diverged without an error")
	}
	if _, err := pl.TrainDirect(d, &Direct{Beta: -1}); err == nil {
		t.Error("a negative beta was accepted")
	}
}
