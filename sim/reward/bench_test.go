package reward

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// benchData builds 1,000,000 pairs over 16 random features: 166,667 prompts
// with K = 4 (6 pairs each), ranked by a fixed random linear utility.
func benchData() *prefs.Dataset { return benchDataN(166667) }

func benchDataN(n int) *prefs.Dataset {
	const D, K = 16, 4
	rng := rand.New(rand.NewPCG(1, 1))
	w := make([]float64, D)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	d := &prefs.Dataset{Features: make([]string, D), Phi: make([]float64, n*K*D), Gold: make([]float64, n*K)}
	for i := range d.Features {
		d.Features[i] = fmt.Sprintf("f%d", i)
	}
	d.Annotators = nil
	for i := range d.Phi {
		d.Phi[i] = rng.NormFloat64()
	}
	d.Rankings = make([]prefs.Ranking, n)
	d.Pairs = make([]prefs.Pair, 0, n*6)
	for r := 0; r < n; r++ {
		for j := 0; j < K; j++ {
			s := 0.0
			for f, x := range d.Response(r*K + j) {
				s += w[f] * x
			}
			d.Gold[r*K+j] = s + rng.NormFloat64()
		}
		order := []int{0, 1, 2, 3}
		for a := 0; a < K; a++ {
			for b := a + 1; b < K; b++ {
				if d.Gold[r*K+order[b]] > d.Gold[r*K+order[a]] {
					order[a], order[b] = order[b], order[a]
				}
			}
		}
		sp := prefs.Train
		if r%10 == 0 {
			sp = prefs.Val
		}
		d.Rankings[r] = prefs.Ranking{First: r * K, K: K, Order: order, Split: sp, FirstPair: len(d.Pairs), NumPairs: 6}
		for _, p := range prefs.ToPairs(order, nil) {
			d.Pairs = append(d.Pairs, prefs.Pair{Ranking: r, W: r*K + p[0], L: r*K + p[1]})
		}
	}
	return d
}

func dataBytes(d *prefs.Dataset) float64 {
	return float64(len(d.Phi)*8 + len(d.Gold)*8 + len(d.Pairs)*int(unsafe.Sizeof(prefs.Pair{})) +
		len(d.Rankings)*(int(unsafe.Sizeof(prefs.Ranking{}))+4*8))
}

var benchModels = []struct {
	name  string
	model func() Model
	group Grouping
}{
	{"linear/flat", func() Model { return NewLinear(16) }, GroupFlat},
	{"linear/prompt", func() Model { return NewLinear(16) }, GroupByPrompt},
	{"mlp32/flat", func() Model { return mustMLP(16, []int{32}, Tanh, rand.NewPCG(1, 1)) }, GroupFlat},
	{"mlp32/prompt", func() Model { return mustMLP(16, []int{32}, Tanh, rand.NewPCG(1, 1)) }, GroupByPrompt},
}

// BenchmarkEpoch times one training epoch of minibatch Adam (batch 32) over
// the 1,000,000 pairs (900,000 in the training split): shuffling, gradients
// and updates. ns/pair divides by the training pairs. extra-x is the bytes
// the epoch allocates over the in-memory size of the dataset. The
// evaluation that Train runs after each epoch is timed by BenchmarkEvaluate.
// The cached-30k variant (30,000 pairs, 2.6 MB of features) fits in the
// processor's caches and shows the arithmetic cost per pair; the 1M variant
// adds the cost of fetching shuffled pairs from main memory.
func BenchmarkEpoch(b *testing.B) {
	for _, size := range []struct {
		name string
		d    *prefs.Dataset
	}{{"1M", benchData()}, {"cached-30k", benchDataN(5000)}} {
		d := size.d
		for _, c := range benchModels {
			b.Run(size.name+"/"+c.name, func(b *testing.B) {
				obj, _ := Objective{Grouping: c.group}.resolve()
				m := c.model()
				if mlp, ok := m.(*MLP); ok {
					mlp.fitInputs(d)
				}
				var ms0, ms1 runtimeMem
				ms0.read()
				t := &trainer{e: newEngine(m, d, obj), set: resolveSettings(nil), train: obj.units(d, prefs.Train)}
				st := newStepper(len(m.Params()), t.set)
				order := append([]int(nil), t.train...)
				rng := rand.New(rand.NewPCG(1, 1))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					st.epoch(t, order, rng)
				}
				b.StopTimer()
				ms1.read()
				n := float64(len(d.SplitPairs(prefs.Train)))
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/pair")
				b.ReportMetric((ms1.total-ms0.total)/dataBytes(d), "extra-x")
			})
		}
	}
}

// BenchmarkEvaluate times Evaluate's full metrics over the 1,000,000 pairs.
func BenchmarkEvaluate(b *testing.B) {
	d := benchData()
	for _, c := range benchModels[:3:3] {
		if c.group == GroupByPrompt {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			m := c.model()
			for i := 0; i < b.N; i++ {
				if _, err := Evaluate(m, d, Objective{Grouping: c.group}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(d.Pairs)), "ns/pair")
		})
	}
}
