package prefs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func gen(t testing.TB, s *Settings, panel []annotate.Annotator, seed uint64) *Dataset {
	t.Helper()
	if panel == nil {
		panel = []annotate.Annotator{{Name: "a", Tau: 1}}
	}
	d, err := Generate(world.Default(), panel, s, rand.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPairsPerRankingAndSplits(t *testing.T) {
	for k := 2; k <= 9; k++ {
		d := gen(t, &Settings{Prompts: 60, K: k, Val: 0.2, Test: 0.2}, nil, uint64(k))
		// C(K,2) = K(K-1)/2 pairs per ranking, by counting unordered pairs.
		want := k * (k - 1) / 2
		if len(d.Pairs) != 60*want {
			t.Errorf("K=%d: %d pairs, want %d", k, len(d.Pairs), 60*want)
		}
		splitOf := map[int]Split{}
		for ri, r := range d.Rankings {
			ps := d.PairsOf(ri)
			if len(ps) != want {
				t.Fatalf("K=%d: ranking %d has %d pairs, want %d", k, ri, len(ps), want)
			}
			rank := make([]int, k)
			for i, pos := range r.Order {
				rank[pos] = i
			}
			seen := map[[2]int]bool{}
			for _, p := range ps {
				w, l := p.W-r.First, p.L-r.First
				if rank[w] >= rank[l] || p.RankW != rank[w] || p.RankL != rank[l] {
					t.Fatalf("K=%d: pair %v is not consistent with order %v", k, p, r.Order)
				}
				seen[[2]int{w, l}] = true
			}
			if len(seen) != want {
				t.Fatalf("K=%d: ranking %d repeats a pair", k, ri)
			}
			if s, ok := splitOf[r.Prompt.ID]; ok && s != r.Split {
				t.Fatalf("K=%d: prompt %d in two splits", k, r.Prompt.ID)
			}
			splitOf[r.Prompt.ID] = r.Split
		}
		// 60 prompts * 0.2 = 12 each in val and test.
		if n := len(d.SplitRankings(Val)); n != 12 {
			t.Errorf("K=%d: %d val prompts, want 12", k, n)
		}
	}
}

func TestToPairsOrder(t *testing.T) {
	got := ToPairs([]int{2, 0, 1}, nil)
	want := [][2]int{{2, 0}, {2, 1}, {0, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ToPairs = %v, want %v", got, want)
	}
}

// TestLabelNoiseMatchesModel checks the measured label noise against its
// expectation E[1 - sigma(|delta r*|/tau)]: a Plackett-Luce ranking's
// pairwise marginals are Bradley-Terry (Gumbel differences are logistic).
// Pairs of one ranking are dependent, so the standard error is the
// cluster-robust one, summing squared deviations per ranking.
func TestLabelNoiseMatchesModel(t *testing.T) {
	for _, c := range []struct {
		k   int
		tau float64
	}{{2, 1}, {4, 1}, {4, 0.3}, {6, 3}} {
		d := gen(t, &Settings{Prompts: 20000, K: c.k}, []annotate.Annotator{{Name: "a", Tau: c.tau}}, 11)
		var noise, expect, ss float64
		for ri := range d.Rankings {
			var obs, exp float64
			for _, p := range d.PairsOf(ri) {
				delta := math.Abs(d.Gold[p.W] - d.Gold[p.L])
				q := 1 - stats.Sigmoid(delta/c.tau)
				exp += q
				if d.Gold[p.W] < d.Gold[p.L] {
					obs++
				}
			}
			noise += obs
			expect += exp
			ss += (obs - exp) * (obs - exp)
		}
		n := float64(len(d.Pairs))
		se := math.Sqrt(ss) / n
		if math.Abs(noise/n-expect/n) > 4*se {
			t.Errorf("K=%d tau=%v: noise %.4f, expected %.4f +- %.4f", c.k, c.tau, noise/n, expect/n, 4*se)
		}
		s := Summarize(d)
		if math.Abs(s.LabelNoise-noise/n) > 1e-12 || math.Abs(*s.ExpectedCeiling-(1-expect/n)) > 1e-9 {
			t.Errorf("Summary noise %.4f ceiling %.4f disagree with the direct count", s.LabelNoise, *s.ExpectedCeiling)
		}
	}
}

func TestLengthBiasRaisesNoise(t *testing.T) {
	fair := Summarize(gen(t, &Settings{Prompts: 4000}, []annotate.Annotator{{Name: "a", Tau: 0.5}}, 5))
	biased := Summarize(gen(t, &Settings{Prompts: 4000}, []annotate.Annotator{{Name: "a", Tau: 0.5, Biases: []annotate.Bias{annotate.LengthBias(3)}}}, 5))
	if biased.LabelNoise < fair.LabelNoise+0.05 {
		t.Errorf("length bias 3: noise %.3f, unbiased %.3f; want clearly more", biased.LabelNoise, fair.LabelNoise)
	}
	// A scorer that knows the bias can beat the gold ceiling.
	if *biased.BayesCeiling <= *biased.ExpectedCeiling {
		t.Errorf("Bayes ceiling %.3f not above expected gold ceiling %.3f", *biased.BayesCeiling, *biased.ExpectedCeiling)
	}
}

func jsonl(t testing.TB, d *Dataset) []byte {
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeterminism(t *testing.T) {
	s := &Settings{Prompts: 50, K: 3}
	a, b := jsonl(t, gen(t, s, nil, 9)), jsonl(t, gen(t, s, nil, 9))
	if !bytes.Equal(a, b) {
		t.Error("same seed, different JSONL")
	}
	if bytes.Equal(a, jsonl(t, gen(t, s, nil, 10))) {
		t.Error("different seeds, same JSONL")
	}
}

func TestRoundTrip(t *testing.T) {
	panel := annotate.Panel(3, annotate.Annotator{Tau: 1}, &annotate.Spread{Offset: 0.8, LogScale: 0.3}, rand.New(rand.NewPCG(1, 1)))
	d := gen(t, &Settings{Prompts: 40, K: 5}, panel, 3)
	b := jsonl(t, d)
	r, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jsonl(t, r), b) {
		t.Error("write(read(write(d))) differs from write(d)")
	}
	if !reflect.DeepEqual(r.Phi, d.Phi) || !reflect.DeepEqual(r.Gold, d.Gold) || !reflect.DeepEqual(r.Features, d.Features) {
		t.Error("features or gold rewards changed in the round trip")
	}
	if !reflect.DeepEqual(r.Pairs, d.Pairs) {
		t.Error("pairs changed in the round trip")
	}
	for i := range d.Rankings {
		a, b := d.Rankings[i], r.Rankings[i]
		if a.Prompt != b.Prompt || !reflect.DeepEqual(a.Order, b.Order) || a.Split != b.Split ||
			d.Annotators[a.Annotator].Name != r.Annotators[b.Annotator].Name {
			t.Fatalf("ranking %d changed: %+v -> %+v", i, a, b)
		}
	}
	sd, sr := Summarize(d), Summarize(r)
	if sd.GoldCeiling != sr.GoldCeiling || sd.Pairs != sr.Pairs || sr.ExpectedCeiling != nil {
		t.Errorf("summaries differ: %+v vs %+v", sd, sr)
	}
}

func TestReadErrors(t *testing.T) {
	d := gen(t, &Settings{Prompts: 2, K: 2}, nil, 1)
	lines := strings.Split(strings.TrimSpace(string(jsonl(t, d))), "\n")
	good := lines[0]
	for _, c := range []struct {
		name, input, want string
	}{
		{"bad json", good + "\n{oops", "line 2: invalid JSON"},
		{"missing field", good + "\n" + strings.Replace(lines[1], `"chosen_gold"`, `"other"`, 1), `line 2: missing field "chosen_gold"`},
		{"short vector", strings.Replace(good, `"chosen_features":[`, `"chosen_features":[1,`, 1), fmt.Sprintf("line 1: chosen_features has %d values, want %d", world.NumFeatures+1, world.NumFeatures)},
		{"bad split", strings.Replace(good, `"split":"`, `"split":"x`, 1), "line 1: split:"},
		{"bad rank", strings.Replace(good, `"chosen_rank":0`, `"chosen_rank":5`, 1), "line 1: chosen_rank = 5, want 0 to 1"},
		{"wrong type", strings.Replace(good, `"k":2`, `"k":"two"`, 1), `line 1: field "k": a JSON string where a int belongs`},
		{"empty", "\n\n", "no pairs"},
	} {
		_, err := Read(strings.NewReader(c.input))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error does not wrap ErrFormat", c.name)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl")
	d := gen(t, &Settings{Prompts: 5}, nil, 1)
	if err := WriteFile(path, d); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil || len(got.Pairs) != 30 {
		t.Fatalf("ReadFile: %v, %d pairs", err, len(got.Pairs))
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("WriteFile left %d files, want 1", len(ents))
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.jsonl")); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}
}

func TestGenerateSettingsErrors(t *testing.T) {
	w := world.Default()
	ok := []annotate.Annotator{{Name: "a", Tau: 1}}
	for _, c := range []struct {
		s     *Settings
		panel []annotate.Annotator
	}{
		{&Settings{K: 1}, ok},
		{&Settings{Prompts: -1}, ok},
		{&Settings{Val: 0.6, Test: 0.5}, ok},
		{nil, nil},
		{nil, []annotate.Annotator{{Name: "a", Tau: -1}}},
		{nil, []annotate.Annotator{{Name: "a", Tau: math.NaN()}}},
	} {
		if _, err := Generate(w, c.panel, c.s, rand.NewPCG(1, 1)); !errors.Is(err, ErrSettings) {
			t.Errorf("Generate(%+v, %v): err = %v, want ErrSettings", c.s, c.panel, err)
		}
	}
}

// BenchmarkGenerate100k times the data stage at the scale of a large course
// run: 100,000 prompts, K = 4, ranked and converted to 600,000 pairs.
// B/op (total bytes allocated) bounds the peak heap from above.
func BenchmarkGenerate100k(b *testing.B) {
	w := world.Default()
	panel := annotate.Panel(4, annotate.Annotator{Tau: 1, Biases: []annotate.Bias{annotate.LengthBias(0.5)}}, &annotate.Spread{Offset: 0.8, LogScale: 0.3}, rand.New(rand.NewPCG(1, 1)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d, err := Generate(w, panel, &Settings{Prompts: 100000, K: 4}, rand.NewPCG(uint64(i), 1))
		if err != nil || len(d.Pairs) != 600000 {
			b.Fatal(err)
		}
	}
}

// TestBootstrap: the resample keeps the number of training rankings and
// every held-out ranking, each ranking keeps its own pairs, and over many
// resamples each training ranking appears once on average.
func TestBootstrap(t *testing.T) {
	d := gen(t, &Settings{Prompts: 60, K: 4, Val: 0.2, Test: 0.2}, nil, 3)
	train := len(d.SplitRankings(Train))
	seen := map[[2]int]int{}
	const reps = 400
	for rep := 0; rep < reps; rep++ {
		b := Bootstrap(d, rand.NewPCG(uint64(rep), 9))
		if got := len(b.SplitRankings(Train)); got != train {
			t.Fatalf("%d training rankings, want %d", got, train)
		}
		for _, s := range []Split{Val, Test} {
			if len(b.SplitPairs(s)) != len(d.SplitPairs(s)) {
				t.Fatalf("%v pairs changed", s)
			}
		}
		for r, rk := range b.Rankings {
			for _, p := range b.PairsOf(r) {
				if p.Ranking != r || p.W < rk.First || p.W >= rk.First+rk.K || p.L < rk.First || p.L >= rk.First+rk.K {
					t.Fatalf("pair %+v does not belong to ranking %d", p, r)
				}
			}
			if rk.Split == Train {
				seen[[2]int{rk.First, 0}]++
			}
		}
	}
	// Each training ranking is drawn Binomial(n, 1/n) times per resample:
	// mean 1, so its total over 400 resamples is 400 +- 4 sd (about 80).
	for k, n := range seen {
		if math.Abs(float64(n)-reps) > 4*math.Sqrt(reps) {
			t.Errorf("ranking at response %d drawn %d times in %d resamples", k[0], n, reps)
		}
	}
	if len(seen) != train {
		t.Errorf("%d distinct training rankings drawn, want all %d", len(seen), train)
	}
}
