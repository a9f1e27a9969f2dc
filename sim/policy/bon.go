package policy

import (
	"math"
	"sort"
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
	return BestOfNSweep(pl, proxy, gold, []int{n})[0]
}

// BestOfNSweep is BestOfN for several n at once: each prompt's pool is
// sorted once. Drawing n from the pool stands for drawing n from the base
// policy while n is well below the pool's size M (n <= M/4 keeps the
// top-of-pool bias small); the KL and win rates are exact for the pool.
func BestOfNSweep(pl *Pool, proxy, gold []float64, ns []int) []BoN {
	M := pl.M()
	out := make([]BoN, len(ns))
	for t, n := range ns {
		if n < 1 {
			panic("policy: best-of-n needs n >= 1")
		}
		out[t] = BoN{N: n, Bound: BoNBound(n)}
	}
	byProxy, byGold := make([]int, M), make([]int, M)
	goldRank := make([]float64, M) // members with lower gold, ties counting one half
	fm := float64(M)
	for i := range pl.Prompts() {
		off := i * M
		for j := range byProxy {
			byProxy[j], byGold[j] = j, j
		}
		sort.SliceStable(byProxy, func(a, c int) bool { return proxy[off+byProxy[a]] < proxy[off+byProxy[c]] })
		sort.SliceStable(byGold, func(a, c int) bool { return gold[off+byGold[a]] < gold[off+byGold[c]] })
		for k := 0; k < M; {
			e := k
			for e+1 < M && gold[off+byGold[e+1]] == gold[off+byGold[k]] {
				e++
			}
			for r := k; r <= e; r++ {
				goldRank[byGold[r]] = float64(k) + float64(e-k)/2
			}
			k = e + 1
		}
		for t, n := range ns {
			b := &out[t]
			for k, j := range byProxy {
				q := math.Pow(float64(k+1)/fm, float64(n)) - math.Pow(float64(k)/fm, float64(n))
				if q == 0 {
					continue
				}
				b.KL += q * math.Log(q*fm)
				b.Proxy += q * proxy[off+j]
				b.Gold += q * gold[off+j]
				b.WinRate += q * (float64(k) + 0.5) / fm
				b.GoldWinRate += q * (goldRank[j] + 0.5) / fm
			}
		}
	}
	np := float64(len(pl.Prompts()))
	for t := range out {
		b := &out[t]
		b.KL /= np
		b.Proxy /= np
		b.Gold /= np
		b.WinRate /= np
		b.GoldWinRate /= np
	}
	return out
}
