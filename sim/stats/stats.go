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

// PairAgreement measures how often two scores order pairs of items alike
// when the items are drawn with changing weights: a reward model's
// accuracy against the gold reward on whatever distribution a policy has
// moved to. Build it once for fixed scores with NewPairAgreement; each
// Weighted call then costs O(n log n) without sorting again.
type PairAgreement struct {
	order []int // items by increasing x
	group []int // group[k] > 0 starts a run of order with equal x
	rank  []int // 1-based dense rank of y
	tree  []float64
}

// NewPairAgreement prepares PairAgreement for scores x and y of the same
// items. It panics if their lengths differ.
func NewPairAgreement(x, y []float64) *PairAgreement {
	if len(x) != len(y) {
		panic("stats: PairAgreement lengths differ")
	}
	n := len(x)
	a := &PairAgreement{order: make([]int, n), group: make([]int, n), rank: make([]int, n)}
	byY := make([]int, n)
	for i := range a.order {
		a.order[i], byY[i] = i, i
	}
	sort.SliceStable(a.order, func(i, j int) bool { return x[a.order[i]] < x[a.order[j]] })
	sort.SliceStable(byY, func(i, j int) bool { return y[byY[i]] < y[byY[j]] })
	r := 0
	for k, i := range byY {
		if k == 0 || y[i] != y[byY[k-1]] {
			r++
		}
		a.rank[i] = r
	}
	for k := 0; k < n; {
		e := k
		for e+1 < n && x[a.order[e+1]] == x[a.order[k]] {
			e++
		}
		a.group[k] = e - k + 1
		k = e + 1
	}
	a.tree = make([]float64, r+1)
	return a
}

// Weighted returns the probability that two distinct items, drawn
// independently with probabilities proportional to w, are ordered alike by
// x and y, a tie in either counting one half:
//
//	sum_{j<k} w_j w_k Concordance(x_j-x_k, y_j-y_k) / sum_{j<k} w_j w_k.
//
// It returns NaN when no pair has weight. It panics if len(w) is not the
// number of items.
func (a *PairAgreement) Weighted(w []float64) float64 {
	if len(w) != len(a.rank) {
		panic("stats: PairAgreement weights have the wrong length")
	}
	clear(a.tree)
	var agree, total, sq float64
	for k := 0; k < len(a.order); {
		g := a.group[k]
		var gs, gsq float64
		for _, i := range a.order[k : k+g] {
			// Every item already in the tree has a smaller x.
			less, upto := a.prefix(a.rank[i]-1), a.prefix(a.rank[i])
			agree += w[i] * (less + (upto-less)/2)
			gs += w[i]
			gsq += w[i] * w[i]
		}
		agree += (gs*gs - gsq) / 4 // pairs tied in x count one half
		for _, i := range a.order[k : k+g] {
			for r := a.rank[i]; r < len(a.tree); r += r & -r {
				a.tree[r] += w[i]
			}
		}
		total += gs
		sq += gsq
		k += g
	}
	pairs := (total*total - sq) / 2
	if pairs <= 0 {
		return math.NaN()
	}
	return agree / pairs
}

func (a *PairAgreement) prefix(r int) float64 {
	var s float64
	for ; r > 0; r -= r & -r {
		s += a.tree[r]
	}
	return s
}
