package policy

import (
	"math"
	"sort"

	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// BoN describes best-of-n sampling on a pool: draw n responses from the base
// policy and keep the one the proxy scores highest.
type BoN struct {
	N int `json:"n"`
	// KL is KL(best-of-n || pi_ref), exact over the pools.
	KL float64 `json:"kl_exact"`
	// Bound is log n - (n-1)/n, an upper bound on that KL.
	Bound float64 `json:"kl_bound"`
	Proxy float64 `json:"proxy"`
	Gold  float64 `json:"gold"`
	// WinRate is P(proxy of the best-of-n response > proxy of a base-policy
	// response), ties counting one half; at most n/(n+1).
	WinRate float64 `json:"win_rate"`
	// GoldWinRate is the same judged by the gold reward.
	GoldWinRate float64 `json:"gold_win_rate"`
}

// BoNBound returns log n - (n-1)/n.
func BoNBound(n int) float64 { return math.Log(float64(n)) - float64(n-1)/float64(n) }

// BestOfN returns the exact best-of-n statistics on pl for proxy and gold
// rewards of every pool member (from Pool.Scores), averaged over prompts.
//
// With the pool sorted by proxy, the k-th lowest of M members is the best of
// n uniform draws with probability q_k = (k/M)^n - ((k-1)/M)^n.
func BestOfN(pl *Pool, proxy, gold []float64, n int) BoN {
	if n < 1 {
		panic("policy: best-of-n needs n >= 1")
	}
	M := pl.M()
	b := BoN{N: n, Bound: BoNBound(n)}
	idx := make([]int, M)
	fm := float64(M)
	for i := range pl.Prompts() {
		off := i * M
		for j := range idx {
			idx[j] = j
		}
		sort.SliceStable(idx, func(a, c int) bool { return proxy[off+idx[a]] < proxy[off+idx[c]] })
		// goldRank[j] = number of members with lower gold, + half the ties.
		for k, j := range idx {
			q := math.Pow(float64(k+1)/fm, float64(n)) - math.Pow(float64(k)/fm, float64(n))
			if q == 0 {
				continue
			}
			b.KL += q * math.Log(q*fm)
			b.Proxy += q * proxy[off+j]
			b.Gold += q * gold[off+j]
			b.WinRate += q * (float64(k) + 0.5) / fm
			below := 0.0
			for jj := 0; jj < M; jj++ {
				below += stats.Concordance(gold[off+j]-gold[off+jj], 1)
			}
			b.GoldWinRate += q * below / fm
		}
	}
	np := float64(len(pl.Prompts()))
	b.KL /= np
	b.Proxy /= np
	b.Gold /= np
	b.WinRate /= np
	b.GoldWinRate /= np
	return b
}
