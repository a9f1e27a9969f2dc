package prefs

import (
	"math"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// SplitCount counts the prompts and pairs of one split.
type SplitCount struct {
	Prompts int `json:"prompts"`
	Pairs   int `json:"pairs"`
}

// Summary describes a dataset and how noisy its labels are.
type Summary struct {
	Prompts    int        `json:"prompts"`
	Responses  int        `json:"responses"`
	Pairs      int        `json:"pairs"`
	K          int        `json:"k"`
	Features   []string   `json:"features"`
	Annotators []string   `json:"annotators"`
	Train      SplitCount `json:"train"`
	Val        SplitCount `json:"val"`
	Test       SplitCount `json:"test"`
	// LabelNoise is the fraction of pairs whose chosen response has the
	// lower gold reward; a gold tie counts one half.
	LabelNoise float64 `json:"label_noise"`
	// GoldCeiling is 1 - LabelNoise: the accuracy the gold reward itself
	// scores on these labels. A reward model can beat it on noisy labels only
	// by luck or by learning the annotators' biases.
	GoldCeiling float64 `json:"gold_ceiling"`
	// ExpectedCeiling is the expectation of GoldCeiling under the annotator
	// model, E[P(label agrees with gold)], when the annotators' temperatures
	// and biases are known (generated data); it is absent for data read from
	// a file.
	ExpectedCeiling *float64 `json:"expected_ceiling,omitempty"`
	// BayesCeiling is E[max(p, 1-p)] with p = sigma(delta u / tau): the best
	// expected accuracy of any scorer, reached by one that knows the
	// annotators' own utilities, biases included. Absent for read data.
	BayesCeiling *float64 `json:"bayes_ceiling,omitempty"`
	// MeanLength is the mean length feature (log tokens) of all responses.
	MeanLength float64 `json:"mean_length"`
}

// Summarize describes d.
func Summarize(d *Dataset) Summary {
	s := Summary{
		Responses: d.NumResponses(),
		Pairs:     len(d.Pairs),
		Features:  append([]string(nil), d.Features...),
	}
	for _, a := range d.Annotators {
		s.Annotators = append(s.Annotators, a.Name)
	}
	ids := map[int]bool{}
	for _, r := range d.Rankings {
		if r.K > s.K {
			s.K = r.K
		}
		c := s.split(r.Split)
		if !ids[r.Prompt.ID] {
			ids[r.Prompt.ID] = true
			c.Prompts++
		}
		c.Pairs += r.NumPairs
	}
	s.Prompts = len(ids)
	all := make([]int, len(d.Pairs))
	for i := range all {
		all[i] = i
	}
	s.GoldCeiling = GoldAgreement(d, all)
	s.LabelNoise = 1 - s.GoldCeiling
	if e, b, ok := ExpectedCeilings(d, all); ok {
		s.ExpectedCeiling, s.BayesCeiling = &e, &b
	}
	if li := indexOf(d.Features, "length"); li >= 0 && d.NumResponses() > 0 {
		sum := 0.0
		for i := 0; i < d.NumResponses(); i++ {
			sum += d.Response(i)[li]
		}
		s.MeanLength = sum / float64(d.NumResponses())
	}
	return s
}

func (s *Summary) split(sp Split) *SplitCount {
	switch sp {
	case Val:
		return &s.Val
	case Test:
		return &s.Test
	}
	return &s.Train
}

func indexOf(names []string, n string) int {
	for i, m := range names {
		if m == n {
			return i
		}
	}
	return -1
}

// GoldAgreement returns the fraction of the given pairs whose label agrees
// with the gold reward, counting gold ties as one half. On held-out pairs
// this is the ceiling a reward model's accuracy is measured against.
func GoldAgreement(d *Dataset, pairs []int) float64 { return Accuracy(d, d.Gold, pairs) }

// Accuracy returns the fraction of the given pairs whose preferred
// response has the higher score, a tie counting one half: a reward model's
// pairwise accuracy, with scores indexed like d.Phi. It is NaN for no
// pairs.
func Accuracy(d *Dataset, scores []float64, pairs []int) float64 {
	if len(pairs) == 0 {
		return math.NaN()
	}
	agree := 0.0
	for _, i := range pairs {
		p := d.Pairs[i]
		agree += stats.Concordance(scores[p.W]-scores[p.L], 1)
	}
	return agree / float64(len(pairs))
}

// ExpectedCeilings returns, for the given pairs, the expected agreement of
// labels with gold and the Bayes-optimal expected accuracy, both under the
// annotator model. ok is false when an annotator's temperature is unknown
// (NaN), as for data read from a file.
//
// Both use the fact that a Plackett-Luce ranking's pairwise marginals are
// Bradley-Terry: P(i above j) = sigma((u_i - u_j)/tau) for any K.
func ExpectedCeilings(d *Dataset, pairs []int) (expected, bayes float64, ok bool) {
	if len(pairs) == 0 {
		return math.NaN(), math.NaN(), false
	}
	for _, i := range pairs {
		p := d.Pairs[i]
		r := &d.Rankings[p.Ranking]
		a := &d.Annotators[r.Annotator]
		if math.IsNaN(a.Tau) {
			return math.NaN(), math.NaN(), false
		}
		pw, pl := p.W-r.First, p.L-r.First
		uw := d.Gold[p.W] + a.Bias(d.Response(p.W), pw, r.K)
		ul := d.Gold[p.L] + a.Bias(d.Response(p.L), pl, r.K)
		// q = P(the annotator orders this pair as gold does).
		var q float64
		switch gw, gl := d.Gold[p.W], d.Gold[p.L]; {
		case gw > gl:
			q = annotate.PreferProb(uw, ul, a.Tau)
		case gw < gl:
			q = annotate.PreferProb(ul, uw, a.Tau)
		default:
			q = 0.5
		}
		expected += q
		pu := annotate.PreferProb(uw, ul, a.Tau)
		bayes += math.Max(pu, 1-pu)
	}
	n := float64(len(pairs))
	return expected / n, bayes / n, true
}
