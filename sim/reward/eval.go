package reward

import (
	"math"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// Bin is one bin of a calibration table: pairs whose predicted probability
// that the first response wins fell in [Lo, Hi).
type Bin struct {
	Lo        float64 `json:"lo"`
	Hi        float64 `json:"hi"`
	Count     int     `json:"count"`
	Predicted float64 `json:"predicted"` // mean predicted probability
	Observed  float64 `json:"observed"`  // fraction in which the first won
}

// Metrics evaluates a trained reward model against the labels and against
// the hidden gold reward.
type Metrics struct {
	TrainAccuracy float64 `json:"train_accuracy"`
	ValAccuracy   float64 `json:"val_accuracy"`
	TestAccuracy  float64 `json:"test_accuracy"`
	// CeilingAccuracy is the gold reward's own accuracy on the test labels:
	// what a reward model should approach but not beat.
	CeilingAccuracy float64 `json:"ceiling_accuracy"`
	// ValCeiling is the same on the validation labels.
	ValCeiling float64 `json:"val_ceiling"`
	// GoldAgreement is the fraction of test pairs the model orders as the
	// gold reward does.
	GoldAgreement float64 `json:"gold_agreement"`
	// SpearmanGold and KendallGold correlate the model's scores with the
	// gold reward over the held-out (test) responses, pooled across
	// prompts; Kendall uses at most the first MaxKendall of them.
	SpearmanGold float64 `json:"spearman_gold"`
	KendallGold  float64 `json:"kendall_gold"`
	HeldOut      int     `json:"held_out_responses"`
	TrainLoss    float64 `json:"train_loss"`
	ValLoss      float64 `json:"val_loss"`
	TestLoss     float64 `json:"test_loss"`
	// Calibration bins the test pairs by the predicted probability that the
	// response shown first (in presentation order) wins.
	Calibration []Bin `json:"calibration"`
}

// MaxKendall caps the responses used for Kendall's tau, whose cost grows
// with the square of their number.
const MaxKendall = 3000

// Evaluate computes the metrics of m on every split of d under obj.
func Evaluate(m Model, d *prefs.Dataset, obj Objective) (Metrics, error) {
	obj, err := obj.resolve()
	if err != nil {
		return Metrics{}, err
	}
	if err := checkShapes(m, d); err != nil {
		return Metrics{}, err
	}
	e := newEngine(m, d, obj)
	e.scoreAll()
	tr, va, te := d.SplitPairs(prefs.Train), d.SplitPairs(prefs.Val), d.SplitPairs(prefs.Test)
	mt := Metrics{
		TrainAccuracy:   prefs.Accuracy(d, e.scores, tr),
		ValAccuracy:     prefs.Accuracy(d, e.scores, va),
		TestAccuracy:    prefs.Accuracy(d, e.scores, te),
		CeilingAccuracy: prefs.GoldAgreement(d, te),
		ValCeiling:      prefs.GoldAgreement(d, va),
		TrainLoss:       e.loss(obj.units(d, prefs.Train)),
		ValLoss:         e.loss(obj.units(d, prefs.Val)),
		TestLoss:        e.loss(obj.units(d, prefs.Test)),
		GoldAgreement:   goldAgreement(d, e.scores, te),
		Calibration:     calibration(d, e.scores, te, 10),
	}
	var sc, gd []float64
	for _, ri := range d.SplitRankings(prefs.Test) {
		rk := &d.Rankings[ri]
		sc = append(sc, e.scores[rk.First:rk.First+rk.K]...)
		gd = append(gd, d.Gold[rk.First:rk.First+rk.K]...)
	}
	mt.HeldOut = len(sc)
	mt.SpearmanGold, mt.KendallGold = math.NaN(), math.NaN()
	if len(sc) > 1 {
		mt.SpearmanGold = stats.Spearman(sc, gd)
		n := min(len(sc), MaxKendall)
		mt.KendallGold = stats.Kendall(sc[:n], gd[:n])
	}
	return mt, nil
}

// Agreement returns the fraction of all of d's pairs, whatever their
// split, that m orders as the gold reward does, ties in either counting
// one half: its accuracy against perfect labels on a dataset kept for
// evaluation. It is GoldAgreement of Evaluate without the other metrics,
// which cost far more (Kendall's tau grows with the square of the
// responses). It returns NaN for a dataset without pairs.
func Agreement(m Model, d *prefs.Dataset) (float64, error) {
	if err := checkShapes(m, d); err != nil {
		return 0, err
	}
	e := newEngine(m, d, Objective{})
	e.scoreAll()
	all := make([]int, len(d.Pairs))
	for i := range all {
		all[i] = i
	}
	return goldAgreement(d, e.scores, all), nil
}

// goldAgreement is the fraction of pairs the scores order as gold does,
// ties in either counting one half.
func goldAgreement(d *prefs.Dataset, scores []float64, pairs []int) float64 {
	if len(pairs) == 0 {
		return math.NaN()
	}
	a := 0.0
	for _, pi := range pairs {
		p := d.Pairs[pi]
		a += stats.Concordance(scores[p.W]-scores[p.L], d.Gold[p.W]-d.Gold[p.L])
	}
	return a / float64(len(pairs))
}

func calibration(d *prefs.Dataset, scores []float64, pairs []int, nb int) []Bin {
	pred, won := make([]float64, len(pairs)), make([]float64, len(pairs))
	for i, pi := range pairs {
		p := d.Pairs[pi]
		// Orient each pair by presentation position, which does not depend
		// on the label; orienting by rank would select on the outcome.
		a, b := p.W, p.L
		won[i] = 1
		if p.L < p.W {
			a, b, won[i] = p.L, p.W, 0
		}
		pred[i] = stats.Sigmoid(scores[a] - scores[b])
	}
	return Calibration(pred, won, nb)
}

// Calibration bins pairs by their predicted probability pred[i] that the
// first answer wins, in n equal bins of [0, 1], and averages per bin
// both the predictions and observed[i]: an outcome (1 or 0) or a true
// probability. It panics if the lengths differ or n < 1.
func Calibration(pred, observed []float64, n int) []Bin {
	if len(pred) != len(observed) || n < 1 {
		panic("reward: Calibration needs one observation per prediction, and a bin")
	}
	bins := make([]Bin, n)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/float64(n), float64(i+1)/float64(n)
	}
	for i, q := range pred {
		k := min(int(q*float64(n)), n-1)
		bins[k].Count++
		bins[k].Predicted += q
		bins[k].Observed += observed[i]
	}
	for i := range bins {
		if c := float64(bins[i].Count); c > 0 {
			bins[i].Predicted /= c
			bins[i].Observed /= c
		}
	}
	return bins
}

// CalibrationGap is the mean |Predicted - Observed| of bins, each bin
// weighted by its count: how far, on average over the pairs, a bin's
// predictions sit from what it observed. NaN for empty bins.
func CalibrationGap(bins []Bin) float64 {
	g, n := 0.0, 0
	for _, b := range bins {
		g += math.Abs(b.Predicted-b.Observed) * float64(b.Count)
		n += b.Count
	}
	return g / float64(n)
}
