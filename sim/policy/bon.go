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
//
// Members with equal proxy scores (a verifier's pass or fail) are told
// apart by a fair coin: the best score among the n draws is reached with
// the probability the formula gives its group, and that probability is
// shared equally by the group's members. So a proxy that ties everything
// gives back the base policy, at KL 0.
func BestOfNSweep(pl *Pool, proxy, gold []float64, ns []int) []BoN {
	return BestOfNSweepWhere(pl, proxy, gold, ns, nil)
}

// BestOfNSweepWhere is BestOfNSweep averaged over the prompts i for which
// keep(i) is true (all of them when keep is nil), so that a selection can
// be judged on part of the prompts, such as those a verifier checks. Its
// fields are NaN if no prompt is kept.
func BestOfNSweepWhere(pl *Pool, proxy, gold []float64, ns []int, keep func(i int) bool) []BoN {
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
	kept := 0
	for i := range pl.Prompts() {
		if keep != nil && !keep(i) {
			continue
		}
		kept++
		off := i * M
		for j := range byProxy {
			byProxy[j], byGold[j] = j, j
		}
		sort.SliceStable(byProxy, func(a, c int) bool { return proxy[off+byProxy[a]] < proxy[off+byProxy[c]] })
		sort.SliceStable(byGold, func(a, c int) bool { return gold[off+byGold[a]] < gold[off+byGold[c]] })
		eachTie(byGold, func(j int) float64 { return gold[off+j] }, func(k, e int) {
			for r := k; r <= e; r++ {
				goldRank[byGold[r]] = float64(k) + float64(e-k)/2
			}
		})
		eachTie(byProxy, func(j int) float64 { return proxy[off+j] }, func(k, e int) {
			size := float64(e - k + 1)
			for t, n := range ns {
				b := &out[t]
				q := (math.Pow(float64(e+1)/fm, float64(n)) - math.Pow(float64(k)/fm, float64(n))) / size
				if q == 0 {
					continue
				}
				win := (float64(k) + size/2) / fm
				for _, j := range byProxy[k : e+1] {
					b.KL += q * math.Log(q*fm)
					b.Proxy += q * proxy[off+j]
					b.Gold += q * gold[off+j]
					b.WinRate += q * win
					b.GoldWinRate += q * (goldRank[j] + 0.5) / fm
				}
			}
		})
	}
	np := float64(kept)
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

// eachTie calls f(k, e) for every run order[k..e] of members with equal
// score, in order; order must be sorted by score.
func eachTie(order []int, score func(j int) float64, f func(k, e int)) {
	for k := 0; k < len(order); {
		e := k
		for e+1 < len(order) && score(order[e+1]) == score(order[k]) {
			e++
		}
		f(k, e)
		k = e + 1
	}
}
