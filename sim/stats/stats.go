package stats

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Sigmoid is the logistic function 1/(1+exp(-x)), computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softplus returns log(1 + exp(x)) without overflow or loss of precision:
// max(x, 0) + log1p(exp(-|x|)). -log sigma(z) = Softplus(-z), which is how the
// Bradley-Terry loss stays finite for any score difference.
func Softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// Concordance scores how two differences order one pair: 1 when a and b
// have the same sign, 0 when opposite signs, and 1/2 when either is zero,
// so a tie counts one half. Every agreement in rlhfsim (accuracy against
// labels, agreement with gold, rating against rating, best-of-n's win rate)
// is a mean of it over pairs.
func Concordance(a, b float64) float64 {
	switch {
	case a == 0 || b == 0:
		return 0.5
	case (a > 0) == (b > 0):
		return 1
	}
	return 0
}

// Invert writes the inverse of permutation p into dst and returns it:
// dst[p[i]] = i. When p is an order, best first, of positions, the inverse
// gives each position its rank. dst is allocated when it is too short.
func Invert(dst, p []int) []int {
	if len(dst) < len(p) {
		dst = make([]int, len(p))
	}
	dst = dst[:len(p)]
	for i, x := range p {
		dst[x] = i
	}
	return dst
}

// LogSigmoid returns log sigma(x) = -Softplus(-x).
func LogSigmoid(x float64) float64 { return -Softplus(-x) }

// Ranks returns the 1-based ranks of x in increasing order, giving tied
// values the mean of the ranks they span.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("stats: length mismatch")
	}
	return stat.Correlation(Ranks(x), Ranks(y), nil)
}

// Kendall returns Kendall's tau-a of x and y (gonum's stat.Kendall), which
// equals tau-b when there are no ties, as for continuous scores.
func Kendall(x, y []float64) float64 {
	return stat.Kendall(x, y, nil)
}

// MeanSE returns the mean of x and its standard error sd/sqrt(n).
func MeanSE(x []float64) (mean, se float64) {
	m, v := stat.MeanVariance(x, nil)
	return m, math.Sqrt(v / float64(len(x)))
}

// fit2 solves the 2x2 normal equations of y ~ a f1(x) + b f2(x).
func fit2(x, y []float64, f func(float64) (float64, float64)) (a, b float64, ok bool) {
	if len(x) != len(y) {
		panic("stats: length mismatch")
	}
	var s11, s12, s22, t1, t2 float64
	for i := range x {
		u, v := f(x[i])
		s11 += u * u
		s12 += u * v
		s22 += v * v
		t1 += u * y[i]
		t2 += v * y[i]
	}
	det := s11*s22 - s12*s12
	if !(math.Abs(det) > 1e-12*math.Max(1, s11*s22)) {
		return 0, 0, false
	}
	return (t1*s22 - t2*s12) / det, (s11*t2 - s12*t1) / det, true
}
