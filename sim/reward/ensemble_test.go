package reward

import (
	"math"
	"testing"
)

// TestEnsembleAggregates checks each aggregate on two linear members whose
// scores are 1 and 3 at the test point: mean 2, population sd 1.
func TestEnsembleAggregates(t *testing.T) {
	feats := []string{"a", "b"}
	member := func(w0, w1 float64) *Scorer {
		m := NewLinear(2)
		copy(m.Params(), []float64{w0, w1})
		return NewScorer(m, feats, Objective{})
	}
	phi := []float64{1, 1}
	ms := []*Scorer{member(1, 0), member(1, 2)}
	for _, c := range []struct {
		agg  Aggregate
		k    float64
		want float64
	}{
		{"", 0, 2}, {Mean, 0, 2}, {Worst, 0, 1}, {LCB, 0, 1}, {LCB, 2, 0}, {LCB, 0.5, 1.5},
	} {
		e := &Ensemble{Members: ms, Aggregate: c.agg, K: c.k}
		if err := e.Validate(); err != nil {
			t.Fatal(err)
		}
		got, mean, sd := e.Score(phi)
		if math.Abs(got-c.want) > 1e-12 || math.Abs(mean-2) > 1e-12 || math.Abs(sd-1) > 1e-12 {
			t.Errorf("%q k=%v: got %v (mean %v, sd %v), want %v (2, 1)", c.agg, c.k, got, mean, sd, c.want)
		}
	}
	for _, e := range []*Ensemble{
		{},
		{Members: ms, Aggregate: "max"},
		{Members: ms, K: -1},
		{Members: []*Scorer{ms[0], NewScorer(NewLinear(2), []string{"a", "c"}, Objective{})}},
	} {
		if e.Validate() == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}
