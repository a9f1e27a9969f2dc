package policy

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
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
	return BestOfNScores(pl.M(), proxy, gold, ns, keep)
}

// BestOfNScores is BestOfNSweepWhere on scores alone: proxy and gold hold
// M members for each prompt, member j of prompt i at i*M+j. It is what a
// large pool needs, whose features would not fit in memory (see
// DrawScores). It panics if the scores are not a whole number of prompts.
func BestOfNScores(M int, proxy, gold []float64, ns []int, keep func(i int) bool) []BoN {
	if M < 1 || len(proxy) != len(gold) || len(proxy)%M != 0 {
		panic("policy: best-of-n scores are not whole pools")
	}
	out := make([]BoN, len(ns))
	for t, n := range ns {
		if n < 1 {
			panic("policy: best-of-n needs n >= 1")
		}
		out[t] = BoN{N: n, Bound: BoNBound(n)}
	}
	// Each prompt's sums are made on their own, on all cores, and added
	// in prompt order, so the result does not depend on the cores.
	nprompts := len(proxy) / M
	part := make([][]BoN, nprompts)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nprompts) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newBoNSums(M, ns)
			for i := range next {
				part[i] = s.prompt(proxy[i*M:(i+1)*M], gold[i*M:(i+1)*M])
			}
		}()
	}
	for i := 0; i < nprompts; i++ {
		if keep == nil || keep(i) {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	kept := 0
	for _, p := range part {
		if p == nil {
			continue
		}
		kept++
		for t := range out {
			b, q := &out[t], &p[t]
			b.KL += q.KL
			b.Proxy += q.Proxy
			b.Gold += q.Gold
			b.WinRate += q.WinRate
			b.GoldWinRate += q.GoldWinRate
		}
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

// bonSums is one worker's scratch space for BestOfNScores.
type bonSums struct {
	ns              []int
	byProxy, byGold []int
	goldRank        []float64 // members with lower gold, ties counting one half
	below           []float64
	start           []int
}

func newBoNSums(m int, ns []int) *bonSums {
	s := &bonSums{ns: ns, byProxy: make([]int, m), byGold: make([]int, m), goldRank: make([]float64, m),
		below: make([]float64, len(ns)), start: make([]int, len(ns))}
	for t, n := range ns {
		// Members below rank start[t] are chosen with probability under
		// 1e-24: they are left out, which changes no sum by more than
		// 1e-19 of its largest score and saves a power and a logarithm
		// for most members at large n.
		s.start[t] = int(float64(m) * math.Exp(math.Log(1e-24)/float64(n)))
	}
	return s
}

// prompt returns the best-of-n sums of one prompt's pool, not yet
// averaged over prompts.
func (s *bonSums) prompt(pr, gr []float64) []BoN {
	out := make([]BoN, len(s.ns))
	byProxy, byGold, goldRank := s.byProxy, s.byGold, s.goldRank
	fm := float64(len(pr))
	for j := range byProxy {
		byProxy[j], byGold[j] = j, j
	}
	// Ties keep their members' order, so the sums below are the same on
	// every run: the index breaks them, which is a stable sort's order at
	// the cost of an unstable one.
	slices.SortFunc(byProxy, func(a, c int) int { return cmp.Or(cmp.Compare(pr[a], pr[c]), cmp.Compare(a, c)) })
	slices.SortFunc(byGold, func(a, c int) int { return cmp.Or(cmp.Compare(gr[a], gr[c]), cmp.Compare(a, c)) })
	for t := range s.below {
		s.below[t] = -1
	}
	eachTie(byGold, func(j int) float64 { return gr[j] }, func(k, e int) {
		for r := k; r <= e; r++ {
			goldRank[byGold[r]] = float64(k) + float64(e-k)/2
		}
	})
	eachTie(byProxy, func(j int) float64 { return pr[j] }, func(k, e int) {
		size := float64(e - k + 1)
		for t, n := range s.ns {
			if e+1 <= s.start[t] {
				continue
			}
			// below[t] is (k/M)^n, carried from the group before.
			if s.below[t] < 0 {
				s.below[t] = math.Pow(float64(k)/fm, float64(n))
			}
			up := math.Pow(float64(e+1)/fm, float64(n))
			q := (up - s.below[t]) / size
			s.below[t] = up
			if q == 0 {
				continue
			}
			b := &out[t]
			win := (float64(k) + size/2) / fm
			lq := math.Log(q * fm)
			for _, j := range byProxy[k : e+1] {
				b.KL += q * lq
				b.Proxy += q * pr[j]
				b.Gold += q * gr[j]
				b.WinRate += q * win
				b.GoldWinRate += q * (goldRank[j] + 0.5) / fm
			}
		}
	})
	return out
}

// DrawScores draws m base-policy responses for each prompt and keeps only
// what a scoring function makes of each: width numbers, written to dst,
// for response phi to prompt i, with rnd a stream of that prompt's own for
// any randomness the scoring needs (phi and dst are reused, so it must not
// keep them). It returns them flat, response j of prompt i at
// (i*m+j)*width. A pool of 65,536 responses to each of 16 prompts takes
// 25 MB this way for three scores, and 250 MB with its features.
//
// Prompts are drawn on all cores, each from streams seeded in prompt
// order from src, so the result does not depend on how many there are.
// Each worker calls newScore once for a scoring function of its own,
// which need not be safe for concurrent use.
func DrawScores(w *world.World, prompts []world.Prompt, m, width int, newScore func() func(i int, phi, dst []float64, rnd *rand.Rand), src rand.Source) []float64 {
	if m < 1 || width < 1 || len(prompts) == 0 {
		panic("policy: empty pool")
	}
	rnd := rng.Of(src)
	type seeds struct{ draw, score [2]uint64 }
	ss := make([]seeds, len(prompts))
	for i := range ss {
		ss[i] = seeds{[2]uint64{rnd.Uint64(), rnd.Uint64()}, [2]uint64{rnd.Uint64(), rnd.Uint64()}}
	}
	out := make([]float64, len(prompts)*m*width)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(prompts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			score := newScore()
			phi := make([]float64, world.NumFeatures)
			for i := range next {
				draw := rand.New(rand.NewPCG(ss[i].draw[0], ss[i].draw[1]))
				own := rand.New(rand.NewPCG(ss[i].score[0], ss[i].score[1]))
				for j := 0; j < m; j++ {
					w.Sample(prompts[i], phi, draw)
					o := (i*m + j) * width
					score(i, phi, out[o:o+width:o+width], own)
				}
			}
		}()
	}
	for i := range prompts {
		next <- i
	}
	close(next)
	wg.Wait()
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
