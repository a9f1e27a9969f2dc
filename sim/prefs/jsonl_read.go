package prefs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// lineFields is Line as read: every field a pointer, so that one decode
// both fills the line and tells which required fields are missing (the
// fields in Line's order are all required). T is the type of the two
// response texts, F of the feature vectors and N of the feature names.
type lineFields[T, F, N any] struct {
	Prompt           *string  `json:"prompt"`
	Chosen           *T       `json:"chosen"`
	Rejected         *T       `json:"rejected"`
	PromptID         *int     `json:"prompt_id"`
	Category         *string  `json:"category"`
	Topic            *int     `json:"topic"`
	Difficulty       *float64 `json:"difficulty"`
	FeatureNames     *N       `json:"feature_names"`
	ChosenFeatures   *F       `json:"chosen_features"`
	RejectedFeatures *F       `json:"rejected_features"`
	ChosenGold       *float64 `json:"chosen_gold"`
	RejectedGold     *float64 `json:"rejected_gold"`
	Annotator        *string  `json:"annotator"`
	ChosenRank       *int     `json:"chosen_rank"`
	RejectedRank     *int     `json:"rejected_rank"`
	ChosenPosition   *int     `json:"chosen_position"`
	RejectedPosition *int     `json:"rejected_position"`
	K                *int     `json:"k"`
	Split            *string  `json:"split"`
}

// line returns the line read, without the response texts, which Read does
// not keep, and with the feature names as written; or the name of the
// first required field that is missing (or null).
func line(in *lineFast) (l Line, names rawJSON, missing string) {
	take(in.Prompt, "prompt", &l.Prompt, &missing)
	take(in.Chosen, "chosen", &text{}, &missing)
	take(in.Rejected, "rejected", &text{}, &missing)
	take(in.PromptID, "prompt_id", &l.PromptID, &missing)
	take(in.Category, "category", &l.Category, &missing)
	take(in.Topic, "topic", &l.Topic, &missing)
	take(in.Difficulty, "difficulty", &l.Difficulty, &missing)
	take(in.FeatureNames, "feature_names", &names, &missing)
	take((*[]float64)(in.ChosenFeatures), "chosen_features", &l.ChosenFeatures, &missing)
	take((*[]float64)(in.RejectedFeatures), "rejected_features", &l.RejectedFeatures, &missing)
	take(in.ChosenGold, "chosen_gold", &l.ChosenGold, &missing)
	take(in.RejectedGold, "rejected_gold", &l.RejectedGold, &missing)
	take(in.Annotator, "annotator", &l.Annotator, &missing)
	take(in.ChosenRank, "chosen_rank", &l.ChosenRank, &missing)
	take(in.RejectedRank, "rejected_rank", &l.RejectedRank, &missing)
	take(in.ChosenPosition, "chosen_position", &l.ChosenPosition, &missing)
	take(in.RejectedPosition, "rejected_position", &l.RejectedPosition, &missing)
	take(in.K, "k", &l.K, &missing)
	take(in.Split, "split", &l.Split, &missing)
	return l, names, missing
}

// take copies a field that was present, or records the first one missing.
func take[T any](p *T, name string, dst *T, missing *string) {
	switch {
	case p != nil:
		*dst = *p
	case *missing == "":
		*missing = name
	}
}

// ErrFormat is wrapped by every error Read returns for malformed input.
var ErrFormat = errors.New("prefs: malformed JSONL")

// LineError reports a problem with one line of a JSONL file.
type LineError struct {
	Line int // 1-based
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *LineError) Unwrap() error { return ErrFormat }

func lineErr(n int, format string, args ...any) error {
	return &LineError{Line: n, Msg: fmt.Sprintf(format, args...)}
}

// group collects the lines of one prompt while reading.
type group struct {
	line      int // first line
	prompt    world.Prompt
	k         int
	annotator string
	split     Split
	phi       [][]float64 // by position
	gold      []float64
	rank      []int
	seenAt    []int // line that first gave each position
	pairs     []Pair
}

// maxLine is the longest line Read takes.
const maxLine = 1 << 26

// Read reads a JSONL dataset written by Write. Pairs of one prompt are
// grouped together in order of first appearance. Annotators read from a file
// have unknown temperatures (NaN). Errors name the line.
func Read(r io.Reader) (*Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), maxLine)
	rd := &reader{d: &Dataset{}, byID: map[int]*group{}, annIdx: map[string]int{}}
	lines := newLineBatches(sc)
	defer lines.close()
	for lines.next() {
		dl := lines.current()
		if dl.err != nil {
			return nil, dl.err
		}
		if dl.blank {
			continue
		}
		if err := rd.line(dl); err != nil {
			return nil, err
		}
	}
	n := lines.count
	if err := lines.err; err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineErr(n+1, "longer than %d MiB: a line is one pair, a few KB; is this a JSONL file from rlhfsim data?", maxLine>>20)
		}
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return rd.dataset()
}

// reader gathers a JSONL file's lines into rankings, one group per
// prompt, in the order the prompts first appear.
type reader struct {
	d      *Dataset
	groups []*group
	byID   map[int]*group
	annIdx map[string]int
	names  rawJSON // the first line's feature names as written
}

// line checks one decoded line and adds its pair to its prompt's group.
func (rd *reader) line(dl *decodedLine) error {
	n, l := dl.n, dl.line
	if err := rd.featureNames(n, dl.names); err != nil {
		return err
	}
	cat, sp, err := checkLine(n, &l, len(rd.d.Features))
	if err != nil {
		return err
	}
	g := rd.byID[l.PromptID]
	if g == nil {
		g = &group{
			line: n,
			prompt: world.Prompt{ID: l.PromptID, Category: cat, Topic: l.Topic,
				Difficulty: l.Difficulty, Text: l.Prompt},
			k: l.K, annotator: l.Annotator, split: sp,
			phi: make([][]float64, l.K), gold: make([]float64, l.K),
			rank: make([]int, l.K), seenAt: make([]int, l.K),
		}
		rd.byID[l.PromptID] = g
		rd.groups = append(rd.groups, g)
	} else if g.k != l.K || g.split != sp || g.annotator != l.Annotator || g.prompt.Category != cat {
		return lineErr(n, "prompt %d: k, split, annotator or category differ from line %d", l.PromptID, g.line)
	}
	if err := g.add(n, l.ChosenPosition, l.ChosenFeatures, l.ChosenGold, l.ChosenRank); err != nil {
		return err
	}
	if err := g.add(n, l.RejectedPosition, l.RejectedFeatures, l.RejectedGold, l.RejectedRank); err != nil {
		return err
	}
	g.pairs = append(g.pairs, Pair{W: l.ChosenPosition, L: l.RejectedPosition, RankW: l.ChosenRank, RankL: l.RejectedRank})
	if _, ok := rd.annIdx[l.Annotator]; !ok {
		rd.annIdx[l.Annotator] = len(rd.d.Annotators)
		rd.d.Annotators = append(rd.d.Annotators, annotate.Annotator{Name: l.Annotator, Tau: math.NaN()})
	}
	return nil
}

// featureNames checks a line's feature names against the first line's.
// The names are decoded from the first line, and again only from a line
// that does not write them byte for byte the same way.
func (rd *reader) featureNames(n int, raw rawJSON) error {
	if rd.names != nil && bytes.Equal(rd.names, raw) {
		return nil
	}
	var fn []string
	if err := json.Unmarshal(raw, &fn); err != nil {
		return lineErr(n, "feature_names: want an array of strings (%v)", err)
	}
	if rd.d.Features == nil {
		if len(fn) == 0 || len(fn) > MaxFeatures {
			return lineErr(n, "feature_names has %d names, want 1 to %d", len(fn), MaxFeatures)
		}
		rd.d.Features, rd.names = fn, raw
	} else if !slices.Equal(rd.d.Features, fn) {
		return lineErr(n, "feature_names %v differ from line 1's %v", fn, rd.d.Features)
	}
	return nil
}

// checkLine checks the values of line n, which has D features, on their
// own: sizes, names, ranges, ranks and positions.
func checkLine(n int, l *Line, D int) (world.Category, Split, error) {
	if len(l.ChosenFeatures) != D {
		return 0, 0, lineErr(n, "chosen_features has %d values, want %d (one per feature name)", len(l.ChosenFeatures), D)
	}
	if len(l.RejectedFeatures) != D {
		return 0, 0, lineErr(n, "rejected_features has %d values, want %d (one per feature name)", len(l.RejectedFeatures), D)
	}
	cat, err := world.ParseCategory(l.Category)
	if err != nil {
		return 0, 0, lineErr(n, "category: %v", err)
	}
	sp, err := ParseSplit(l.Split)
	if err != nil {
		return 0, 0, lineErr(n, "split: %v", err)
	}
	if l.K < 2 || l.K > MaxK {
		return 0, 0, lineErr(n, "k = %d, want 2 to %d", l.K, MaxK)
	}
	for _, g := range []float64{l.ChosenGold, l.RejectedGold, l.Difficulty} {
		if !(math.Abs(g) <= MaxValue) {
			return 0, 0, lineErr(n, "gold reward or difficulty %g is not a number from -%g to %g", g, MaxValue, MaxValue)
		}
	}
	for _, v := range []struct {
		name  string
		x, hi int
	}{
		{"chosen_rank", l.ChosenRank, l.K}, {"rejected_rank", l.RejectedRank, l.K},
		{"chosen_position", l.ChosenPosition, l.K}, {"rejected_position", l.RejectedPosition, l.K},
	} {
		if v.x < 0 || v.x >= v.hi {
			return 0, 0, lineErr(n, "%s = %d, want 0 to %d (k-1)", v.name, v.x, v.hi-1)
		}
	}
	if l.ChosenRank >= l.RejectedRank {
		return 0, 0, lineErr(n, "chosen_rank %d is not better (smaller) than rejected_rank %d", l.ChosenRank, l.RejectedRank)
	}
	if l.ChosenPosition == l.RejectedPosition {
		return 0, 0, lineErr(n, "chosen and rejected share position %d", l.ChosenPosition)
	}
	return cat, sp, nil
}

// dataset checks that every prompt's ranking is whole and builds the
// dataset, prompt by prompt in the order they first appeared.
func (rd *reader) dataset() (*Dataset, error) {
	d := rd.d
	if len(rd.groups) == 0 {
		return nil, fmt.Errorf("%w: no pairs in the file", ErrFormat)
	}
	for _, g := range rd.groups {
		for pos, at := range g.seenAt {
			if at == 0 {
				return nil, lineErr(g.line, "prompt %d: no line gives the response at position %d of %d", g.prompt.ID, pos, g.k)
			}
		}
		used := make([]bool, g.k)
		for pos, rk := range g.rank {
			if used[rk] {
				return nil, lineErr(g.seenAt[pos], "prompt %d: two responses share rank %d", g.prompt.ID, rk)
			}
			used[rk] = true
		}
		first := d.NumResponses()
		for pos := 0; pos < g.k; pos++ {
			d.Phi = append(d.Phi, g.phi[pos]...)
			d.Gold = append(d.Gold, g.gold[pos])
		}
		order := make([]int, g.k)
		for pos := range order {
			order[pos] = pos
		}
		sort.SliceStable(order, func(i, j int) bool { return g.rank[order[i]] < g.rank[order[j]] })
		ri := len(d.Rankings)
		d.Rankings = append(d.Rankings, Ranking{
			Prompt: g.prompt, First: first, K: g.k, Order: order,
			Annotator: rd.annIdx[g.annotator], Split: g.split,
			FirstPair: len(d.Pairs), NumPairs: len(g.pairs),
		})
		for _, p := range g.pairs {
			p.Ranking, p.W, p.L = ri, first+p.W, first+p.L
			d.Pairs = append(d.Pairs, p)
		}
	}
	return d, nil
}

// add records the response at pos, checking it against earlier lines.
func (g *group) add(n, pos int, phi []float64, gold float64, rank int) error {
	for _, x := range phi {
		if !(math.Abs(x) <= MaxValue) {
			return lineErr(n, "feature value %g is not a number from -%g to %g", x, MaxValue, MaxValue)
		}
	}
	if g.seenAt[pos] == 0 {
		g.seenAt[pos] = n
		g.phi[pos] = phi
		g.gold[pos] = gold
		g.rank[pos] = rank
		return nil
	}
	if !slices.Equal(g.phi[pos], phi) || g.gold[pos] != gold || g.rank[pos] != rank {
		return lineErr(n, "prompt %d: the response at position %d differs from the one on line %d", g.prompt.ID, pos, g.seenAt[pos])
	}
	return nil
}

// ReadFile reads a JSONL dataset from path; errors name the file and line.
func ReadFile(path string) (d *Dataset, err error) {
	err = fileio.Read(path, func(r io.Reader) (err error) {
		d, err = Read(r)
		return err
	})
	return d, err
}

// lineIn is what encoding/json decodes on the error path, with Line's own
// types so that its messages name them; lineFast is what the fast path
// decodes (fastline.go).
type (
	lineIn   = lineFields[string, []float64, []string]
	lineFast = lineFields[text, numbers, rawJSON]
)
