package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestComparePairs: a reward model that is the gold reward, judged by
// an unbiased annotator at temperature 1, predicts exactly the
// annotator's Bradley-Terry probability (gap 0, every bin on the
// diagonal) and orders every pair as gold does; its negative orders none.
// Its expected accuracy against the annotator's labels is the mean of
// sigma(|gold gap|) over the pairs, its negative's one minus that.
// The annotator's accuracy in a bin is the mean of sigma(|gold gap|),
// computed here by brute force from the same draws.
func TestComparePairs(t *testing.T) {
	w := world.Default()
	pol := policy.NewGaussian(w, w.Prompts(10, 0, rand.NewPCG(1, 1)), 4, rand.NewPCG(2, 2))
	ann := annotate.Annotator{Tau: 1}
	r := ComparePairs(pol, w.Gold, ann, w.Gold, 2000, 4, 0.5, rand.NewPCG(3, 3))
	if r.Gap > 1e-12 {
		t.Errorf("gap %v, want 0", r.Gap)
	}
	for _, b := range r.Calibration {
		if b.Count > 0 && math.Abs(b.Predicted-b.Observed) > 1e-12 {
			t.Errorf("bin %v: predicted %v, observed %v", b.Lo, b.Predicted, b.Observed)
		}
	}
	// The same draws, by brute force.
	src := rand.NewPCG(3, 3)
	want := make([]float64, 4)
	count, mean := make([]float64, 4), make([]float64, 4)
	for k := range 2000 {
		i := k % 10
		p := pol.Prompts()[i]
		a, b := pol.Sample(i, src), pol.Sample(i, src)
		d := math.Abs(w.Gold(p, a.Phi) - w.Gold(p, b.Phi))
		j := min(int(d/0.5), 3)
		count[j]++
		mean[j] += d
		want[j] += stats.Sigmoid(d)
	}
	total := 0
	for j, b := range r.Resolution {
		total += b.Count
		if float64(b.Count) != count[j] || (b.Count > 0 && (b.RM != 1 || math.Abs(b.Annotator-want[j]/count[j]) > 1e-12 || math.Abs(b.Mean-mean[j]/count[j]) > 1e-12)) {
			t.Errorf("bin %d: %+v, want %v pairs, RM 1, annotator %v", j, b, count[j], want[j]/count[j])
		}
	}
	acc := (want[0] + want[1] + want[2] + want[3]) / 2000
	if r.Agreement != 1 || math.Abs(r.Accuracy-acc) > 1e-12 {
		t.Errorf("agreement %v, accuracy %v: want 1 and the mean of sigma(|gold gap|), %v", r.Agreement, r.Accuracy, acc)
	}
	if total != 2000 || !math.IsInf(r.Resolution[3].Hi, 1) {
		t.Errorf("%d pairs in the bins, last bin to %v: want 2000 and +Inf", total, r.Resolution[3].Hi)
	}
	neg := func(p world.Prompt, phi []float64) float64 { return -w.Gold(p, phi) }
	nr := ComparePairs(pol, neg, ann, w.Gold, 2000, 4, 0.5, rand.NewPCG(3, 3))
	if nr.Agreement != 0 || math.Abs(nr.Accuracy-(1-acc)) > 1e-12 {
		t.Errorf("the negated gold reward: agreement %v, accuracy %v; want 0 and %v", nr.Agreement, nr.Accuracy, 1-acc)
	}
	for _, b := range nr.Resolution {
		if b.Count > 0 && b.RM != 0 {
			t.Errorf("the negated gold reward orders %v of bin %v as gold does, want 0", b.RM, b.Lo)
		}
	}
}

// TestApproval: an answer judged against references equal to itself is
// approved half the time by an unbiased annotator (hand-computed), and
// the references are drawn per prompt.
func TestApproval(t *testing.T) {
	w := world.Default()
	pol := policy.NewGaussian(w, w.Prompts(3, 0, rand.NewPCG(1, 1)), 4, rand.NewPCG(2, 2))
	refs := ReferenceAnswers(pol, 5, rand.NewPCG(3, 3))
	if len(refs) != 3 {
		t.Fatalf("%d prompts with references, want 3", len(refs))
	}
	p := pol.Prompts()[0]
	for _, rs := range refs {
		if len(rs) != 5 {
			t.Fatalf("%d references, want 5", len(rs))
		}
	}
	same := map[int][][]float64{p.ID: {refs[p.ID][0]}}
	if got := Approval(annotate.Annotator{Tau: 1}, w.Gold, pol.Prompts(), same)(p, refs[p.ID][0]); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("approval of an answer over itself = %v, want 0.5", got)
	}
	// A bias of +1 for the answer shown first: sigma(1) over itself.
	biased := annotate.Annotator{Tau: 1, Biases: []annotate.Bias{annotate.PositionBias(1)}}
	if got, want := Approval(biased, w.Gold, pol.Prompts(), same)(p, refs[p.ID][0]), stats.Sigmoid(1); math.Abs(got-want) > 1e-12 {
		t.Errorf("approval with a first-position bias of 1 = %v, want sigma(1) = %v", got, want)
	}
	if got := Approval(biased, w.Gold, pol.Prompts(), same)(world.Prompt{ID: -7}, refs[p.ID][0]); got != 0 {
		t.Errorf("approval for a prompt without references = %v, want 0", got)
	}
}
