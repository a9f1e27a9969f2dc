package seq

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestKLByStep: the decisions' KL adds up to the whole answers' KL (the
// chain rule), and is zero everywhere at the reference policy.
func TestKLByStep(t *testing.T) {
	p, _ := New(nil, []float64{0.2, 0.6, 1})
	for _, v := range p.KLByStep() {
		if v != 0 {
			t.Fatalf("the reference policy's KL by step: %v, want zeros", p.KLByStep())
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	for k := range p.theta {
		p.theta[k] += 0.3 * r.NormFloat64()
	}
	by, sum := p.KLByStep(), 0.0
	for _, v := range by {
		if v < 0 {
			t.Errorf("a negative KL by step: %v", by)
		}
		sum += v
	}
	if kl := p.Exact().KL; len(by) != p.w.MaxSteps || math.Abs(sum-kl) > 1e-12 || kl < 0.01 {
		t.Errorf("%d steps summing to %v; want %d summing to the answers' KL %v (and it above 0.01)", len(by), sum, p.w.MaxSteps, kl)
	}
}

// trainSmall trains a policy on two prompts under s.
func trainSmall(t *testing.T, s *Settings, seed uint64) []Point {
	t.Helper()
	p, _ := New(nil, []float64{0.3, 0.7})
	pts, err := Train(p, s, rand.NewPCG(seed, seed))
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

// TestPPOFirstStepIsRLOO: every ratio is 1 in PPO's first step on a
// batch, so with one step per batch PPO takes exactly RLOO's steps.
func TestPPOFirstStepIsRLOO(t *testing.T) {
	run := func(s *Settings) []Point { return trainSmall(t, s, 4) }
	a := run(&Settings{Steps: 20})
	b := run(&Settings{Steps: 20, Algo: PPO, Epochs: 1})
	if !reflect.DeepEqual(a, b) {
		t.Error("PPO with one step per batch differs from RLOO")
	}
}

// TestPPOClips: with a clip too wide to reach, no decision is dropped and
// each batch's extra steps move the policy further than RLOO's one; with
// a narrow clip and a large step, the clip drops decisions.
func TestPPOClips(t *testing.T) {
	run := func(s *Settings) []Point { return trainSmall(t, s, 5) }
	wide := run(&Settings{Steps: 10, Algo: PPO, Clip: 1e9})
	rloo := run(&Settings{Steps: 10})
	for _, pt := range wide {
		if pt.Clipped != 0 {
			t.Fatalf("update %d clipped %v with a clip of 1e9", pt.Update, pt.Clipped)
		}
	}
	if wide[10].KL <= rloo[10].KL {
		t.Errorf("four unclipped steps per batch reached KL %v, one step %v: want further", wide[10].KL, rloo[10].KL)
	}
	narrow := run(&Settings{Steps: 10, Algo: PPO, Clip: 0.01, LR: 5})
	got := 0.0
	for _, pt := range narrow {
		got = math.Max(got, pt.Clipped)
	}
	if got == 0 {
		t.Error("a clip of 0.01 at learning rate 5 dropped no decision")
	}
}

func TestPPOBadSettings(t *testing.T) {
	p, _ := New(nil, []float64{0.5})
	for _, s := range []Settings{{Algo: "trpo"}, {Algo: PPO, Clip: -0.1}, {Algo: PPO, Epochs: -1}, {Algo: PPO, Epochs: 101}, {Algo: PPO, Clip: math.Inf(1)}} {
		if _, err := Train(p, &s, rand.NewPCG(1, 1)); !errors.Is(err, ErrSettings) {
			t.Errorf("%+v: got %v, want ErrSettings", s, err)
		}
	}
}
