package standard

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/seq"
	"github.com/rlhfsim/rlhfsim/sim/sweep"
)

// TestSweepAndSeqFigureSets: a sweep over one data size has only the
// frontier; over two it adds the peaks against size, whose series are
// the settings; the step-by-step set has its two figures with a series
// per reward (and per rate), and refuses no runs.
func TestSweepAndSeqFigureSets(t *testing.T) {
	var rows []sweep.Row
	for _, prompts := range []int{200, 800} {
		for _, m := range []pipeline.Method{pipeline.RLHF, pipeline.DPO} {
			var steps []policy.Step
			for i := range 8 {
				kl := float64(i) / 2
				steps = append(steps, policy.Step{Step: i, KL: kl, Gold: kl - kl*kl/8})
			}
			rows = append(rows, sweep.Row{Cell: sweep.Cell{Prompts: prompts, Beta: 0.2, Seed: 1, Method: m}, PeakGoldGain: 0.5, PeakKL: 2, FinalKL: 3, FinalGoldGain: 0.1, Steps: steps})
		}
	}
	names := func(figs []plots.Figure) []string {
		var n []string
		for _, f := range figs {
			n = append(n, f.Name)
		}
		return n
	}
	one, err := Sweep(sweep.Groups(rows[:2]), nil)
	if err != nil || !slices.Equal(names(one), []string{"gold_vs_kl"}) {
		t.Errorf("one size: %v %v", names(one), err)
	}
	two, err := Sweep(sweep.Groups(rows), nil)
	if err != nil || !slices.Equal(names(two), []string{"gold_vs_kl", "peak_gold", "peak_kl"}) {
		t.Fatalf("two sizes: %v %v", names(two), err)
	}
	if d := plots.Describe(two[1].Plot); !strings.Contains(d, "2 series") {
		t.Errorf("peaks: %s", d)
	}
	pts := []seq.Point{{Samples: 64}, {Samples: 128}}
	figs, err := Seq([]SeqRun{{Name: "outcome", Points: pts}, {Name: "process", Points: pts}}, nil)
	if err != nil || !slices.Equal(names(figs), []string{"seq_sound_rate", "seq_right"}) {
		t.Fatalf("seq: %v %v", names(figs), err)
	}
	if d := plots.Describe(figs[1].Plot); !strings.Contains(d, "4 series: outcome: right, outcome: passed, process: right, process: passed") {
		t.Errorf("seq_right: %s", d)
	}
	if _, err := Seq(nil, nil); !errors.Is(err, plots.ErrData) {
		t.Errorf("no runs: %v", err)
	}
}
