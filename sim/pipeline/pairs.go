package pipeline

import (
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// PairReport compares, on pairs of one policy's answers to the same
// prompt, the preferences a reward model predicts with the annotators'
// and the gold reward's: what real RLHF can measure only on the data it
// labelled, measured wherever the policy goes.
type PairReport struct {
	// Calibration bins the pairs by the reward model's predicted
	// probability that the first answer is preferred, sigma(r_a - r_b), in
	// tenths. Observed is the annotators' own probability of preferring
	// it (their Bradley-Terry probability, known here), averaged per bin.
	Calibration []reward.Bin
	// Resolution bins the pairs by the size of their gold difference.
	Resolution []ResolutionBin
	// Gap is the mean |predicted - annotators' probability| over the pairs.
	Gap float64
	// Agreement is the fraction of the pairs the reward model orders as
	// the gold reward does: its accuracy against perfect labels.
	Agreement float64
	// Accuracy is the reward model's expected accuracy against one label
	// of the annotator per pair: the annotator's probability of preferring
	// the answer the model prefers, averaged over the pairs. It is what an
	// endless test set of their labels would measure.
	Accuracy float64
}

// ResolutionBin is the pairs whose gold rewards differ by Lo to Hi.
type ResolutionBin struct {
	Lo, Hi float64 // the last bin's Hi is +Inf
	Count  int
	// Mean is the mean gold difference of the bin's pairs, where a
	// figure should place it (the last bin's can lie far above its Lo).
	Mean float64
	// RM is the fraction of the pairs the reward model orders as the gold
	// reward does.
	RM float64
	// Annotator is the probability that one annotator's label orders the
	// pair as the gold reward does, averaged over the pairs.
	Annotator float64
}

// ComparePairs draws n pairs of pol's answers, two to the same prompt
// (the prompts in turn), and compares the reward model rm's preferences
// with annotator ann's and with gold's. The gold differences are binned
// in bins of width, the last open-ended. It panics if n < 1, bins < 1
// or width <= 0.
func ComparePairs(pol policy.Policy, rm policy.RewardFunc, ann annotate.Annotator, gold world.GoldFunc, n, bins int, width float64, src rand.Source) PairReport {
	if n < 1 || bins < 1 || !(width > 0) {
		panic("pipeline: ComparePairs needs pairs, bins and a positive width")
	}
	r := PairReport{Resolution: make([]ResolutionBin, bins)}
	preds, truths := make([]float64, n), make([]float64, n)
	for i := range r.Resolution {
		r.Resolution[i].Lo, r.Resolution[i].Hi = float64(i)*width, float64(i+1)*width
	}
	r.Resolution[bins-1].Hi = math.Inf(1)
	prompts := pol.Prompts()
	for k := range n {
		i := k % len(prompts)
		p := prompts[i]
		a, b := pol.Sample(i, src), pol.Sample(i, src)
		pred := stats.Sigmoid(rm(p, a.Phi) - rm(p, b.Phi))
		truth := annotate.PreferProb(ann.Utility(gold, p, a.Phi, 0, 2), ann.Utility(gold, p, b.Phi, 1, 2), ann.Tau)
		preds[k], truths[k] = pred, truth
		r.Gap += math.Abs(pred-truth) / float64(n)
		dg := gold(p, a.Phi) - gold(p, b.Phi)
		res := &r.Resolution[min(int(math.Abs(dg)/width), bins-1)]
		res.Count++
		res.Mean += math.Abs(dg)
		if (pred > 0.5) == (dg > 0) {
			res.RM++
			r.Agreement++
		}
		if pred > 0.5 {
			r.Accuracy += truth
		} else {
			r.Accuracy += 1 - truth
		}
		if dg > 0 {
			res.Annotator += truth
		} else {
			res.Annotator += 1 - truth
		}
	}
	r.Calibration = reward.Calibration(preds, truths, 10)
	r.Agreement /= float64(n)
	r.Accuracy /= float64(n)
	for i := range r.Resolution {
		if c := float64(r.Resolution[i].Count); c > 0 {
			r.Resolution[i].RM /= c
			r.Resolution[i].Mean /= c
			r.Resolution[i].Annotator /= c
		}
	}
	return r
}

// ReferenceAnswers draws per answers of pol to each of its prompts, by
// prompt ID: the answers Approval compares with.
func ReferenceAnswers(pol policy.Policy, per int, src rand.Source) map[int][][]float64 {
	out := map[int][][]float64{}
	for i, p := range pol.Prompts() {
		for range per {
			out[p.ID] = append(out[p.ID], pol.Sample(i, src).Phi)
		}
	}
	return out
}

// Approval is a reward that is never optimised, only watched: the chance
// that annotator ann prefers an answer to one of its prompt's reference
// answers refs (by prompt ID, for the prompts given), averaged over them,
// with the answer shown first. With the base policy's answers as
// references it is the approval a panel would give the policy's answers
// over the base policy's: 0.5 at the start. A prompt without references
// approves nothing (0).
func Approval(ann annotate.Annotator, gold world.GoldFunc, prompts []world.Prompt, refs map[int][][]float64) policy.RewardFunc {
	// The references' utilities, shown second, are the same at every
	// call: a run watches approval at every step, for every answer.
	ur := map[int][]float64{}
	for _, p := range prompts {
		for _, r := range refs[p.ID] {
			ur[p.ID] = append(ur[p.ID], ann.Utility(gold, p, r, 1, 2))
		}
	}
	return func(p world.Prompt, phi []float64) float64 {
		us := ur[p.ID]
		if len(us) == 0 {
			return 0
		}
		u := ann.Utility(gold, p, phi, 0, 2)
		s := 0.0
		for _, v := range us {
			s += annotate.PreferProb(u, v, ann.Tau)
		}
		return s / float64(len(us))
	}
}
