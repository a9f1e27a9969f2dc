package sweep

import (
	"math"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
)

// TestGroupsAverageOverSeeds: two settings at two data sizes, two seeds
// each, give four groups in the rows' order, whose means and mean
// trajectories are the hand-computed averages of their rows; a DPO group
// has no trajectory, and Peaks lays the means out by size.
func TestGroupsAverageOverSeeds(t *testing.T) {
	row := func(beta float64, prompts int, seed uint64, m pipeline.Method, peak float64, steps ...policy.Step) Row {
		return Row{Cell: Cell{Prompts: prompts, Beta: beta, Seed: seed, Method: m}, PeakGoldGain: peak, PeakKL: 2 * peak, FinalKL: 3, Steps: steps}
	}
	st := func(kl, gold float64) policy.Step { return policy.Step{KL: kl, Gold: gold} }
	rows := []Row{
		row(0.1, 200, 1, pipeline.RLHF, 0.2, st(0, 0), st(1, 0.5)),
		row(0.1, 200, 2, pipeline.RLHF, 0.4, st(0, 0), st(3, 1.5)),
		row(0.1, 800, 1, pipeline.RLHF, 0.6, st(0, 0), st(2, 1)),
		row(0.1, 800, 2, pipeline.RLHF, 0.8, st(0, 0), st(2, 1)),
		row(0.4, 200, 1, pipeline.DPO, 1, st(0, 0), st(1, 1)),
		row(0.4, 200, 2, pipeline.DPO, 3, st(0, 0), st(1, 1)),
	}
	gs := Groups(rows)
	if len(gs) != 3 {
		t.Fatalf("%d groups, want 3", len(gs))
	}
	// The means are (0.2+0.4)/2, (0.6+0.8)/2 and (1+3)/2.
	for i, want := range []float64{0.3, 0.7, 2} {
		g := gs[i]
		if len(g.Rows) != 2 || math.Abs(g.PeakGoldGain-want) > 1e-15 || math.Abs(g.PeakKL-2*want) > 1e-15 || g.FinalKL != 3 {
			t.Errorf("group %d (%s, %d): %d rows, peak %v, peak KL %v", i, g.Setting, g.Prompts, len(g.Rows), g.PeakGoldGain, g.PeakKL)
		}
	}
	if g := gs[0]; len(g.KL) != 2 || g.KL[1] != 2 || g.Gold[1] != 1 {
		t.Errorf("mean trajectory KL %v gold %v, want [0 2] and [0 1]", g.KL, g.Gold)
	}
	if gs[2].KL != nil || gs[2].Fit != nil {
		t.Error("a DPO group has a trajectory")
	}
	sizes, settings, y := Peaks(gs, func(g Group) float64 { return g.PeakGoldGain })
	if len(sizes) != 2 || sizes[0] != 200 || sizes[1] != 800 || len(settings) != 2 {
		t.Fatalf("sizes %v settings %v", sizes, settings)
	}
	if math.Abs(y[0][0]-0.3) > 1e-15 || math.Abs(y[0][1]-0.7) > 1e-15 || y[1][0] != 2 || y[1][1] != 0 {
		t.Errorf("peaks %v", y)
	}
}
