package reward

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/floats"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// engine evaluates an objective and its gradient for one model and dataset,
// reusing its scratch buffers.
type engine struct {
	m Model
	d *prefs.Dataset
	o Objective
	A int // activation length per response, at least 1
	scratch
	scores []float64 // one per response, from scoreAll
}

// scratch holds one chunk's working buffers.
type scratch struct {
	slots []int     // responses of the current chunk, in unit order
	s, ds []float64 // their scores and dloss/dscore
	act   []float64 // their activations, A each
	// forward and pairs count the forward passes and the comparisons the
	// gradients have used, for Result.
	forward, pairs int
	sink           float64 // keeps touch's loads from being optimised away
}

// touchMax is the most feature values a chunk touches ahead (256 KB): more
// would push the first ones out of the cache before they are scored.
const touchMax = 32 << 10

// touch reads one value from every cache line of the responses in slots
// before the chunk is scored. Minibatches pick rankings at random from the
// whole dataset, so nearly every response is a trip to main memory; these
// bare loads are independent of each other, and the processor keeps a
// dozen of them in flight at once, where scoring response after response
// waited for each in turn (the grouped linear epoch on 1,000,000 pairs went
// from 113-127 to 89-95 ns a pair, flat pairs from 190 to 131-136; a
// chunk already in the cache pays a few ns).
func touch(d *prefs.Dataset, slots []int) float64 {
	const line = 8 // float64s in a 64-byte cache line
	D := d.D()
	sum := 0.0
	for _, r := range slots {
		row := d.Phi[r*D : (r+1)*D]
		for j := 0; j < len(row); j += line {
			sum += row[j]
		}
		sum += row[len(row)-1]
	}
	return sum
}

// Full-batch passes (L-BFGS's) over at least parallelUnits units are split
// into parts processed on all cores. There are always parallelParts
// parts, summed in order, so the result does not depend on the number of
// cores; minibatches stay on one core and are unchanged.
const (
	parallelUnits = 2048
	parallelParts = 8
)

// parallel reports whether a pass over units is split over the cores: a
// full batch, and a model whose Backward keeps no scratch of its own (an
// MLP's does).
func (e *engine) parallel(units []int) bool {
	sk, ok := e.m.(scratchKeeper)
	return len(units) >= parallelUnits && !(ok && sk.keepsScratch())
}

// parts cuts units into parallelParts contiguous ranges.
func parts(units []int) [][]int {
	out := make([][]int, 0, parallelParts)
	per := (len(units) + parallelParts - 1) / parallelParts
	for lo := 0; lo < len(units); lo += per {
		out = append(out, units[lo:min(lo+per, len(units))])
	}
	return out
}

// eachPart runs f on every part, on up to GOMAXPROCS goroutines.
func eachPart(n int, f func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int, n)
	for k := 0; k < n; k++ {
		next <- k
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				f(k)
			}
		}()
	}
	wg.Wait()
}

func newEngine(m Model, d *prefs.Dataset, o Objective) *engine {
	return &engine{m: m, d: d, o: o, A: max(m.ActLen(), 1)}
}

// chunk is the most units whose activations the engine holds at once, so a
// full-batch gradient over a million pairs needs no more memory than a
// minibatch.
const chunk = 256

// grad overwrites grad with the gradient of the objective over units.
func (e *engine) grad(units []int, grad []float64) { e.pass(units, grad, false) }

// lossGrad returns the objective over units and overwrites grad with its
// gradient, in one pass over the responses: what a full-batch optimiser
// asks for at every point it tries. When grouping by prompt it also leaves
// the scores of the units' responses in e.scores, so the history needs no
// second pass; the loss is the same number loss returns, summed in the
// same order.
func (e *engine) lossGrad(units []int, grad []float64) float64 {
	e.ensureScores()
	l := e.pass(units, grad, true)
	if len(units) > 0 {
		l /= float64(len(units))
	}
	return l + e.l2Term()
}

// pass overwrites grad with the gradient over units and, with wantLoss,
// returns the sum of the unit losses (without L2 and not divided by the
// number of units).
//
// It works in three steps on each chunk of units: score every response
// involved, then compute each unit's loss derivatives, then backpropagate.
// Scoring all responses first lets the processor fetch many responses from
// memory at once, which matters when flat shuffled pairs point all over the
// dataset; backpropagating a chunk at a time finds its responses still in
// the cache.
func (e *engine) pass(units []int, grad []float64, wantLoss bool) float64 {
	for i := range grad {
		grad[i] = 0
	}
	l := 0.0
	if e.parallel(units) {
		ps := parts(units)
		partial := make([][]float64, len(ps))
		losses := make([]float64, len(ps))
		scs := make([]scratch, len(ps))
		w := 1 / float64(len(units))
		eachPart(len(ps), func(k int) {
			g := make([]float64, len(grad))
			for start := 0; start < len(ps[k]); start += chunk {
				e.gradChunk(&scs[k], ps[k][start:min(start+chunk, len(ps[k]))], w, g, wantLoss, &losses[k])
			}
			partial[k] = g
		})
		for k, g := range partial {
			floats.Add(grad, g)
			l += losses[k]
			e.forward += scs[k].forward
			e.pairs += scs[k].pairs
		}
	} else if len(units) > 0 {
		w := 1 / float64(len(units))
		for start := 0; start < len(units); start += chunk {
			e.gradChunk(&e.scratch, units[start:min(start+chunk, len(units))], w, grad, wantLoss, &l)
		}
	}
	if e.o.L2 != 0 {
		for i, v := range e.m.Params() {
			grad[i] += e.o.L2 * v
		}
	}
	return l
}

// gradChunk adds w times the gradient of units' losses to grad and, with
// wantLoss, adds their unit losses to *loss in unit order and keeps their
// responses' scores in e.scores when grouping by prompt (flat pairs of one
// prompt can fall in two parts that run at once, so they keep none).
func (e *engine) gradChunk(sc *scratch, units []int, w float64, grad []float64, wantLoss bool, loss *float64) {
	d, m, A := e.d, e.m, e.A
	flat := e.o.Grouping == GroupFlat
	sc.slots = sc.slots[:0]
	for _, u := range units {
		if flat {
			p := &d.Pairs[u]
			sc.slots = append(sc.slots, p.W, p.L)
			continue
		}
		rk := &d.Rankings[u]
		for j := rk.First; j < rk.First+rk.K; j++ {
			sc.slots = append(sc.slots, j)
		}
	}
	n := len(sc.slots)
	if cap(sc.s) < n {
		sc.s, sc.ds = make([]float64, n), make([]float64, n)
	}
	if cap(sc.act) < n*A {
		sc.act = make([]float64, n*A)
	}
	s, ds := sc.s[:n], sc.ds[:n]
	if n*d.D() <= touchMax {
		sc.sink += touch(d, sc.slots)
	}
	for i, r := range sc.slots {
		s[i] = m.Forward(d.Response(r), sc.act[i*A:(i+1)*A])
		ds[i] = 0
	}
	if wantLoss && !flat {
		for i, r := range sc.slots {
			e.scores[r] = s[i]
		}
	}
	sc.forward += n
	for _, u := range units {
		if flat {
			sc.pairs++
		} else {
			k := d.Rankings[u].K
			sc.pairs += k * (k - 1) / 2
		}
	}
	off := 0
	for _, u := range units {
		if flat {
			var pl, gw, gl float64
			if wantLoss {
				pl, gw, gl = e.o.pairTerm(s[off], s[off+1])
				*loss += pl
			} else {
				gw, gl = e.o.pairGrad(s[off], s[off+1])
			}
			ds[off] += gw
			ds[off+1] += gl
			off += 2
			continue
		}
		k := d.Rankings[u].K
		ul := e.o.ranking(d, u, s[off:off+k], ds[off:off+k], wantLoss)
		if wantLoss {
			*loss += ul
		}
		off += k
	}
	for i, r := range sc.slots {
		if ds[i] != 0 {
			m.Backward(d.Response(r), sc.act[i*A:(i+1)*A], w*ds[i], grad)
		}
	}
}

// loss returns the objective over units from the scores cached by scoreAll.
func (e *engine) loss(units []int) float64 {
	l := 0.0
	if e.parallel(units) {
		ps := parts(units)
		partial := make([]float64, len(ps))
		eachPart(len(ps), func(k int) { partial[k] = e.lossSum(ps[k]) })
		for _, v := range partial {
			l += v
		}
	} else {
		l = e.lossSum(units)
	}
	if len(units) > 0 {
		l /= float64(len(units))
	}
	return l + e.l2Term()
}

// l2Term returns (L2/2) ||theta||^2.
func (e *engine) l2Term() float64 {
	if e.o.L2 == 0 {
		return 0
	}
	sq := 0.0
	for _, v := range e.m.Params() {
		sq += v * v
	}
	return e.o.L2 / 2 * sq
}

// lossSum adds up the unit losses of units from the cached scores.
func (e *engine) lossSum(units []int) float64 {
	l := 0.0
	for _, u := range units {
		if e.o.Grouping == GroupFlat {
			p := e.d.Pairs[u]
			pl, _, _ := e.o.pairTerm(e.scores[p.W], e.scores[p.L])
			l += pl
			continue
		}
		rk := &e.d.Rankings[u]
		l += e.o.rankingTerm(e.d, u, e.scores[rk.First:rk.First+rk.K], nil)
	}
	return l
}

// ensureScores makes room for one score per response.
func (e *engine) ensureScores() {
	if n := e.d.NumResponses(); len(e.scores) != n {
		e.scores = make([]float64, n)
	}
}

// scoreAll caches the model's score of every response.
func (e *engine) scoreAll() {
	e.ensureScores()
	n := e.d.NumResponses()
	// Each score is independent, so splitting the responses changes
	// nothing in the result.
	per := (n + parallelParts - 1) / parallelParts
	eachPart(parallelParts, func(k int) {
		act := make([]float64, e.A)
		for i := k * per; i < min((k+1)*per, n); i++ {
			e.scores[i] = e.m.Forward(e.d.Response(i), act)
		}
	})
}

// scoreRankings caches the model's score of every response of rankings rks.
func (e *engine) scoreRankings(rks []int) {
	e.ensureScores()
	ps := parts(rks)
	eachPart(len(ps), func(k int) {
		act := make([]float64, e.A)
		for _, ri := range ps[k] {
			rk := &e.d.Rankings[ri]
			for i := rk.First; i < rk.First+rk.K; i++ {
				e.scores[i] = e.m.Forward(e.d.Response(i), act)
			}
		}
	})
}
