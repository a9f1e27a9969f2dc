package policy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Pass is the verdict of f against a bar: 1 for an answer f scores above
// bar, else 0. It is a binary reward made from a continuous one, as a
// grader that only says pass or fail gives.
func Pass(f RewardFunc, bar float64) RewardFunc {
	return func(p world.Prompt, phi []float64) float64 {
		if f(p, phi) > bar {
			return 1
		}
		return 0
	}
}

// Win is 1 for an answer f scores above its prompt's bar in bars (by
// prompt ID), else 0: a win over a reference answer whose score is the
// bar, as a judge comparing with one reference gives. A prompt without a
// bar is never won.
func Win(f RewardFunc, bars map[int]float64) RewardFunc {
	return func(p world.Prompt, phi []float64) float64 {
		if bar, ok := bars[p.ID]; ok && f(p, phi) > bar {
			return 1
		}
		return 0
	}
}

// Standardize returns f shifted and scaled to mean 0 and standard
// deviation 1 over the answers phis[i] to prompts[i] (whitening, as
// RLHF implementations do to rewards). A shift and a positive scale keep
// every ordering of answers. It panics if the lengths differ, and
// returns f shifted only when its values over the answers are all equal.
func Standardize(f RewardFunc, prompts []world.Prompt, phis [][]float64) RewardFunc {
	if len(prompts) != len(phis) || len(phis) == 0 {
		panic("policy: Standardize needs one prompt per answer, and an answer")
	}
	// Two passes: the mean first, then the squared deviations from it,
	// which stay accurate when the mean is large.
	vals := make([]float64, len(phis))
	mean := 0.0
	for i, phi := range phis {
		vals[i] = f(prompts[i], phi)
		mean += vals[i]
	}
	mean /= float64(len(vals))
	ss := 0.0
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(len(vals)))
	if sd == 0 {
		sd = 1
	}
	return func(p world.Prompt, phi []float64) float64 { return (f(p, phi) - mean) / sd }
}

// Moments are the mean and the spread of repeated gradient estimates.
type Moments struct {
	// Mean is the average estimate, one value per parameter: the
	// expected gradient, up to the estimates' own noise.
	Mean []float64
	// Variance is the total variance of one estimate, summed over the
	// parameters (with n - 1 in the denominator).
	Variance float64
}

// GradientMoments draws n gradient estimates (GradientEstimate, with e)
// from src and returns their mean and total variance: how large the
// expected gradient is, and how noisy one estimate of it.
func GradientMoments(pol Policy, reward RewardFunc, e *Estimate, n int, src rand.Source) (Moments, error) {
	if n < 2 {
		return Moments{}, fmt.Errorf("%w: %d gradient estimates, want at least 2 for a variance", ErrSettings, n)
	}
	d := len(pol.Params())
	ests := make([][]float64, n)
	m := Moments{Mean: make([]float64, d)}
	for i := range ests {
		ests[i] = make([]float64, d)
		if err := GradientEstimate(pol, reward, e, ests[i], src); err != nil {
			return Moments{}, err
		}
		for k, v := range ests[i] {
			m.Mean[k] += v / float64(n)
		}
	}
	for _, g := range ests {
		for k, v := range g {
			m.Variance += (v - m.Mean[k]) * (v - m.Mean[k]) / float64(n-1)
		}
	}
	return m, nil
}
