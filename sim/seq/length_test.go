package seq

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func gradientNoise(t *testing.T, p *Policy, s *Settings, reps int, src rand.Source) (trace, snr float64) {
	n, err := p.GradientNoise(s, reps, src)
	if err != nil {
		t.Fatal(err)
	}
	return n.Variance, n.SNR
}

// TestOutcomeNoiseGrowsWithLength: the outcome reward is one number at the
// end, shared by every decision, so the longer the answers the more
// decisions share the credit and the noisier the estimate. On seeds 1-3,
// as the step limit goes 3, 6, 12, 24 (2.4 to 8.8 steps on average), the
// outcome gradient's total variance rises at every doubling (measured
// 0.048-0.052, 0.083-0.098, 0.131-0.142, 0.167-0.193 over the seeds) and
// its signal-to-noise ratio falls (0.33-0.47, 0.20-0.30, 0.09-0.11,
// 0.03-0.05), while the process reward, which credits each step where it
// happens, keeps a ratio above 10 times the outcome's at every length
// (9.3-10.3 at a limit of 3, 4.5-5.2 at 24).
func TestOutcomeNoiseGrowsWithLength(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			prevTrace, prevSNR := 0.0, 1e9
			for _, L := range []int{3, 6, 12, 24} {
				p, err := New(&World{MaxSteps: L}, Prompts(200, rand.NewPCG(seed, 1)))
				if err != nil {
					t.Fatal(err)
				}
				tr, snr := gradientNoise(t, p, &Settings{Reward: Outcome, Batch: 16}, 400, rand.NewPCG(seed, 2))
				_, psnr := gradientNoise(t, p, &Settings{Reward: Process, Batch: 16}, 400, rand.NewPCG(seed, 3))
				t.Logf("step limit %d: outcome variance %.4f, signal to noise %.3f; process %.3f", L, tr, snr, psnr)
				if tr <= prevTrace || snr >= prevSNR {
					t.Errorf("step limit %d: outcome variance %.4f (before %.4f), signal to noise %.3f (before %.3f)", L, tr, prevTrace, snr, prevSNR)
				}
				if psnr < 10*snr {
					t.Errorf("step limit %d: process signal to noise %.3f, outcome %.3f", L, psnr, snr)
				}
				prevTrace, prevSNR = tr, snr
			}
		})
	}
}

func TestGradientEstimateRefuses(t *testing.T) {
	p, _ := New(nil, []float64{0.5})
	if err := p.GradientEstimate(nil, make([]float64, 3), rand.NewPCG(1, 1)); err == nil {
		t.Error("a gradient of the wrong length was accepted")
	}
	if err := p.GradientEstimate(&Settings{Batch: 1}, make([]float64, NumParams), rand.NewPCG(1, 1)); err == nil {
		t.Error("a batch of 1 was accepted")
	}
	if _, err := p.GradientNoise(nil, 1, rand.NewPCG(1, 1)); err == nil {
		t.Error("one repetition was accepted")
	}
}
