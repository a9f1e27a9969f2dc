package prefs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Split names the part of a dataset a prompt belongs to.
type Split int

// The splits.
const (
	Train Split = iota
	Val
	Test
)

var splitNames = [...]string{"train", "val", "test"}

func (s Split) String() string {
	if s < 0 || int(s) >= len(splitNames) {
		return fmt.Sprintf("Split(%d)", int(s))
	}
	return splitNames[s]
}

// ParseSplit returns the split called name.
func ParseSplit(name string) (Split, error) {
	for i, n := range splitNames {
		if n == name {
			return Split(i), nil
		}
	}
	return 0, fmt.Errorf("prefs: unknown split %q (want train, val or test)", name)
}

// Ranking is one annotator's ranking of the K responses to one prompt.
type Ranking struct {
	Prompt world.Prompt
	// First is the index, in Dataset.Phi and Dataset.Gold, of the response
	// shown first; the K responses are stored in presentation order.
	First, K int
	// Order lists presentation positions from best to worst.
	Order     []int
	Annotator int // index into Dataset.Annotators
	Split     Split
	// The ranking's pairs are Dataset.Pairs[FirstPair : FirstPair+NumPairs],
	// so the pairs of one prompt stay together for per-prompt grouping.
	FirstPair, NumPairs int
}

// Pair is one preference: response W was preferred to response L.
type Pair struct {
	Ranking int // index into Dataset.Rankings
	// W and L index Dataset.Phi and Dataset.Gold.
	W, L int
	// RankW < RankL are the two responses' 0-based ranks.
	RankW, RankL int
}

// Dataset is a set of ranked responses and the pairs they imply.
type Dataset struct {
	Features   []string
	Annotators []annotate.Annotator
	Rankings   []Ranking
	// Phi holds the feature vectors of all responses back to back, so
	// response i is Phi[i*D:(i+1)*D] with D = len(Features).
	Phi []float64
	// Gold holds each response's hidden gold reward.
	Gold  []float64
	Pairs []Pair
}

// D returns the number of features.
func (d *Dataset) D() int { return len(d.Features) }

// Response returns the feature vector of response i (a view, not a copy).
func (d *Dataset) Response(i int) []float64 {
	D := len(d.Features)
	return world.Row(d.Phi, D, i)
}

// NumResponses returns the number of responses.
func (d *Dataset) NumResponses() int { return len(d.Gold) }

// PairsOf returns the pairs of ranking r (a view).
func (d *Dataset) PairsOf(r int) []Pair {
	rk := &d.Rankings[r]
	return d.Pairs[rk.FirstPair : rk.FirstPair+rk.NumPairs]
}

// SplitPairs returns the indices of the pairs in split s.
func (d *Dataset) SplitPairs(s Split) []int {
	var idx []int
	for i, p := range d.Pairs {
		if d.Rankings[p.Ranking].Split == s {
			idx = append(idx, i)
		}
	}
	return idx
}

// SplitRankings returns the indices of the rankings in split s.
func (d *Dataset) SplitRankings(s Split) []int {
	var idx []int
	for i := range d.Rankings {
		if d.Rankings[i].Split == s {
			idx = append(idx, i)
		}
	}
	return idx
}

// NumPairs returns K(K-1)/2, the number of pairs a K-way ranking implies.
func NumPairs(k int) int { return k * (k - 1) / 2 }

// ToPairs converts a best-first order of k items into its k(k-1)/2
// preferences, winner first, as (winner, loser) item indices appended to dst.
// Every item beats all items ranked below it; the pairs come in rank order,
// (1st, 2nd), (1st, 3rd), ..., (2nd, 3rd), ...
func ToPairs(order []int, dst [][2]int) [][2]int {
	for i := 0; i < len(order); i++ {
		for j := i + 1; j < len(order); j++ {
			dst = append(dst, [2]int{order[i], order[j]})
		}
	}
	return dst
}

// Settings configures Generate. The zero value gives the defaults.
type Settings struct {
	// Prompts is the number of prompts; zero means 1000.
	Prompts int
	// K is the number of responses ranked per prompt; zero means 4.
	K int
	// Val and Test are the fractions of prompts held out for validation and
	// test. Zero means 0.1 each; a negative value means none.
	Val, Test float64
	// FirstID is the ID of the first prompt.
	FirstID int
}

// Bounds on what a dataset may hold, for generated data and for files
// alike: beyond them the memory a dataset needs grows past what a course
// machine has, or scores stop being finite.
const (
	// MaxK is the most responses one ranking may hold.
	MaxK = 20
	// MaxFeatures is the most features a response may have.
	MaxFeatures = 4096
	// MaxValue bounds the magnitude of a feature value or a gold reward,
	// so that a model with bounded weights gives finite scores.
	MaxValue = 1e6
)

// ErrSettings is wrapped by the errors Generate returns for bad settings.
var ErrSettings = errors.New("prefs: bad settings")

// Resolve returns the settings Generate uses for s, its zero values
// replaced by their defaults (nil means all defaults), or an error that
// says which setting is out of range.
func (s *Settings) Resolve() (Settings, error) { return s.resolve() }

func (s *Settings) resolve() (Settings, error) {
	r := Settings{Prompts: 1000, K: 4, Val: 0.1, Test: 0.1}
	if s != nil {
		r.FirstID = s.FirstID
		if s.Prompts != 0 {
			r.Prompts = s.Prompts
		}
		if s.K != 0 {
			r.K = s.K
		}
		if s.Val != 0 {
			r.Val = math.Max(s.Val, 0)
		}
		if s.Test != 0 {
			r.Test = math.Max(s.Test, 0)
		}
	}
	switch {
	case r.Prompts < 1:
		return r, fmt.Errorf("%w: Prompts = %d, want at least 1", ErrSettings, r.Prompts)
	case r.K < 2 || r.K > MaxK:
		return r, fmt.Errorf("%w: K = %d, want 2 to %d", ErrSettings, r.K, MaxK)
	case !(r.Val+r.Test < 1):
		return r, fmt.Errorf("%w: Val + Test = %g, want below 1", ErrSettings, r.Val+r.Test)
	}
	return r, nil
}

// Generate draws prompts from w, K base-policy responses per prompt, and a
// ranking of each by an annotator chosen at random from panel, then converts
// the rankings to pairs and splits the prompts into train, validation and
// test. All randomness comes from src.
func Generate(w *world.World, panel []annotate.Annotator, s *Settings, src rand.Source) (*Dataset, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	if len(panel) == 0 {
		return nil, fmt.Errorf("%w: empty annotator panel", ErrSettings)
	}
	for _, a := range panel {
		if !(a.Tau >= 0) || math.IsInf(a.Tau, 1) {
			return nil, fmt.Errorf("%w: annotator %s has temperature %g, want a finite value >= 0", ErrSettings, a.Name, a.Tau)
		}
	}
	rng := rand.New(src)
	n, k, D := set.Prompts, set.K, world.NumFeatures
	np := NumPairs(k)
	d := &Dataset{
		Features:   world.FeatureNames(),
		Annotators: append([]annotate.Annotator(nil), panel...),
		Rankings:   make([]Ranking, n),
		Phi:        make([]float64, n*k*D),
		Gold:       make([]float64, n*k),
		Pairs:      make([]Pair, 0, n*np),
	}
	prompts := w.Prompts(n, set.FirstID, rng)
	orders := make([]int, n*k) // one backing array for all orders
	util := make([]float64, k)
	var pairs [][2]int
	for i, p := range prompts {
		first := i * k
		phis := d.Phi[first*D : (first+k)*D]
		for j := 0; j < k; j++ {
			phi := world.Row(phis, D, j)
			w.Sample(p, phi, rng)
			d.Gold[first+j] = w.Gold(p, phi)
		}
		ai := 0
		if len(panel) > 1 {
			ai = rng.IntN(len(panel))
		}
		a := &panel[ai]
		for j := 0; j < k; j++ {
			util[j] = d.Gold[first+j] + a.Bias(world.Row(phis, D, j), j, k)
		}
		order := orders[i*k : (i+1)*k : (i+1)*k]
		annotate.RankUtilities(util, a.Tau, order, rng)
		d.Rankings[i] = Ranking{Prompt: p, First: first, K: k, Order: order, Annotator: ai, FirstPair: len(d.Pairs), NumPairs: np}
		pairs = ToPairs(order, pairs[:0])
		for _, pr := range pairs {
			d.Pairs = append(d.Pairs, Pair{Ranking: i, W: first + pr[0], L: first + pr[1]})
		}
		fillRanks(d, i)
	}
	assignSplits(d, set.Val, set.Test, rng)
	return d, nil
}

// fillRanks sets RankW and RankL of ranking r's pairs from its order.
func fillRanks(d *Dataset, r int) {
	rk := &d.Rankings[r]
	var rankOf [64]int
	var ro []int
	if rk.K <= len(rankOf) {
		ro = rankOf[:rk.K]
	} else {
		ro = make([]int, rk.K)
	}
	ro = stats.Invert(ro, rk.Order)
	for i := range d.PairsOf(r) {
		p := &d.Pairs[rk.FirstPair+i]
		p.RankW = ro[p.W-rk.First]
		p.RankL = ro[p.L-rk.First]
	}
}

// assignSplits splits the prompts, never the pairs: pairs of one prompt
// share responses, so splitting by pair would leak test responses into
// training. Rankings of the same prompt ID always land in the same split.
func assignSplits(d *Dataset, val, test float64, rng *rand.Rand) {
	var ids []int
	seen := map[int]bool{}
	for _, r := range d.Rankings {
		if !seen[r.Prompt.ID] {
			seen[r.Prompt.ID] = true
			ids = append(ids, r.Prompt.ID)
		}
	}
	perm := rng.Perm(len(ids))
	nVal := int(math.Round(val * float64(len(ids))))
	nTest := int(math.Round(test * float64(len(ids))))
	split := make(map[int]Split, len(ids))
	for i, pi := range perm {
		s := Train
		switch {
		case i < nVal:
			s = Val
		case i < nVal+nTest:
			s = Test
		}
		split[ids[pi]] = s
	}
	for i := range d.Rankings {
		d.Rankings[i].Split = split[d.Rankings[i].Prompt.ID]
	}
}

// WithDistractors returns a copy of d whose responses carry n extra
// features, "distractor-1" to "distractor-n", drawn independently from a
// standard normal. They are irrelevant to the gold reward and to the
// annotators, like most of the thousands of dimensions a real reward model
// reads. With many of them and few comparisons a reward model fits noise,
// which is what makes the data threshold visible.
func WithDistractors(d *Dataset, n int, src rand.Source) *Dataset {
	if n < 0 {
		panic("prefs: negative distractor count")
	}
	rng := rand.New(src)
	D := d.D()
	out := *d
	out.Features = append(append([]string(nil), d.Features...), make([]string, n)...)
	for i := 0; i < n; i++ {
		out.Features[D+i] = fmt.Sprintf("distractor-%d", i+1)
	}
	nr := d.NumResponses()
	out.Phi = make([]float64, nr*(D+n))
	for r := 0; r < nr; r++ {
		row := out.Phi[r*(D+n) : (r+1)*(D+n)]
		copy(row, d.Response(r))
		for i := D; i < D+n; i++ {
			row[i] = rng.NormFloat64()
		}
	}
	return &out
}

// Bootstrap returns d with its training rankings resampled with
// replacement, as many as there were, and its validation and test
// rankings unchanged: the data one member of a bootstrap ensemble of
// reward models is trained on. Prompts, not pairs, are the unit drawn,
// because the pairs of one ranking are correlated. Responses are shared
// with d.
func Bootstrap(d *Dataset, src rand.Source) *Dataset {
	rng := rand.New(src)
	train := d.SplitRankings(Train)
	count := make([]int, len(d.Rankings))
	for range train {
		count[train[rng.IntN(len(train))]]++
	}
	out := *d
	out.Rankings, out.Pairs = nil, nil
	for i := range d.Rankings {
		n := count[i]
		if d.Rankings[i].Split != Train {
			n = 1
		}
		for ; n > 0; n-- {
			rk := d.Rankings[i]
			rk.FirstPair = len(out.Pairs)
			for _, p := range d.PairsOf(i) {
				p.Ranking = len(out.Rankings)
				out.Pairs = append(out.Pairs, p)
			}
			out.Rankings = append(out.Rankings, rk)
		}
	}
	return &out
}
