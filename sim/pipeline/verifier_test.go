package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// runVerified runs the default pipeline at beta 0.02 for 600 steps (the
// verifier's reward is at most 1, so it moves the policy slowly) with the
// given reward and verifier, and best-of-n up to 1024.
func runVerified(t *testing.T, seed uint64, r Reward, v *verify.Settings) *Result {
	t.Helper()
	c := Default()
	c.Seed = seed
	c.Policy.Reward, c.Policy.Verifier = r, v
	c.Policy.Settings.Beta, c.Policy.Settings.Steps = 0.02, 600
	c.Policy.BoN = []int{1, 16, 1024}
	res, err := Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// peak returns a run's best gold reward and the step it came at.
func peak(r *Result) (gold float64, at int) {
	at, _ = r.GoldPeak()
	return r.Run.Steps[at].Gold, at
}

// TestVerifierVersusRewardModel is issue 13's verifier phenomenon, on
// seeds 1-3 (the margins below hold with room on each; measured values
// in the comments are the range over the seeds):
//   - against the learned reward model gold peaks within 100 steps and then
//     falls far below where it started (1.5 to 1.7 at the peak, below
//     -20 by step 300), while length and the cues drift;
//   - against a perfect verifier gold never falls (the last step is
//     within 0.02 of the best), the pass rate equals the right rate, and
//     neither length nor the tests' blind-spot cue moves (under 0.05);
//     the gain is smaller (0.3 to 0.4), since the verifier rewards
//     correctness alone;
//   - with weak tests on hard problems (bar 2) the policy finds the blind
//     spot: the pass rate climbs to 0.78-0.79 while the right rate stays
//     at 0.07-0.08, and gold ends 0.6 or more below the perfect
//     verifier's run;
//   - best-of-n by the verifier raises gold on the checked prompts and
//     leaves the open-ended ones exactly at the base policy.
func TestVerifierVersusRewardModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			verifierVersusRewardModel(t, seed)
		})
	}
}

func verifierVersusRewardModel(t *testing.T, seed uint64) {
	rm := runVerified(t, seed, RewardModel, &verify.Settings{})
	g, at := peak(rm)
	if at > 100 || g < 1 || rm.Run.Steps[300].Gold > -10 {
		t.Errorf("seed %d, reward model: peak %.2f at step %d, gold %.2f at 300; want an early peak and a fall", seed, g, at, rm.Run.Steps[300].Gold)
	}
	ver := runVerified(t, seed, RewardVerifier, nil)
	g, _ = peak(ver)
	end := ver.Run.Steps[600]
	vend := ver.Verifier.Steps[600]
	if end.Gold < g-0.02 || end.Gold < ver.Run.Steps[0].Gold+0.8 {
		t.Errorf("seed %d, verifier: gold %.2f at the end, best %.2f, start %.2f; want a rise that never falls", seed, end.Gold, g, ver.Run.Steps[0].Gold)
	}
	if vend.Pass != vend.Right || vend.Right < 0.85 {
		t.Errorf("seed %d, verifier: pass %.3f right %.3f", seed, vend.Pass, vend.Right)
	}
	base := ver.Run.Steps[0]
	if d, e := end.Length-base.Length, end.Features[verify.Exploit]-base.Features[verify.Exploit]; math.Abs(d) > 0.05 || math.Abs(e) > 0.05 {
		t.Errorf("seed %d, verifier: length moved %.3f, blind-spot cue %.3f", seed, d, e)
	}
	weak := runVerified(t, seed, RewardVerifier, &verify.Settings{Bar: 2, WeakTests: 0.9})
	perfect := runVerified(t, seed, RewardVerifier, &verify.Settings{Bar: 2})
	w := weak.Verifier.Steps[600]
	if w.Pass < 0.7 || w.Right > 0.12 || weak.Run.Steps[600].Gold > perfect.Run.Steps[600].Gold-0.6 {
		t.Errorf("seed %d, weak tests: pass %.2f right %.2f gold %.2f (perfect verifier %.2f)", seed, w.Pass, w.Right,
			weak.Run.Steps[600].Gold, perfect.Run.Steps[600].Gold)
	}
	bc, bo := ver.Verifier.BoNChecked, ver.Verifier.BoNOpen
	if bc[2].Gold < bc[0].Gold+0.3 || math.Abs(bo[2].Gold-bo[0].Gold) > 1e-12 || math.Abs(bo[2].KL) > 1e-12 {
		t.Errorf("seed %d, best-of-1024 by verifier: checked %.2f -> %.2f, open %.2f -> %.2f (KL %.3g)", seed,
			bc[0].Gold, bc[2].Gold, bo[0].Gold, bo[2].Gold, bo[2].KL)
	}
	if _, err := json.Marshal(ver.Verifier); err != nil {
		t.Error(err)
	}
}

func TestVerifierConfigRefused(t *testing.T) {
	for name, p := range map[string]func(*Policy){
		"reward":     func(p *Policy) { p.Reward = "gold" },
		"weight":     func(p *Policy) { p.Reward, p.VerifierWeight = RewardMix, -1 },
		"weight NaN": func(p *Policy) { p.VerifierWeight = math.NaN() },
		"verifier":   func(p *Policy) { p.Verifier = &verify.Settings{FalsePositive: 2} },
		"dpo reward": func(p *Policy) { p.Method, p.Reward = DPO, RewardVerifier },
		"no category": func(p *Policy) {
			p.Reward, p.Verifier = RewardVerifier, &verify.Settings{Categories: []world.Category{}}
		},
	} {
		c := Default()
		p(&c.Policy)
		if err := c.Policy.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
