package sweep

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

func small() pipeline.Config {
	c := pipeline.Default()
	c.Policy.Prompts, c.Policy.Settings.Steps, c.Policy.BoN = 20, 40, nil
	return c
}

// TestWorkersDoNotChangeResults: the same grid on 1 and 2 workers gives
// byte-identical CSV, in the order of Cells.
func TestWorkersDoNotChangeResults(t *testing.T) {
	g := Grid{Prompts: []int{200, 800}, Betas: []float64{0.1, 0.4}, Seeds: []uint64{1, 2}}
	csvOf := func(workers int) []byte {
		var calls int
		rows, err := Run(small(), g, workers, func(done, total int) {
			calls++
			if total != 8 || done != calls {
				t.Errorf("progress %d of %d at call %d", done, total, calls)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteCSV(&b, rows); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	one, two := csvOf(1), csvOf(2)
	if !bytes.Equal(one, two) {
		t.Fatalf("1 and 2 workers differ:\n%s\n%s", one, two)
	}
	recs, err := csv.NewReader(bytes.NewReader(one)).ReadAll()
	if err != nil || len(recs) != 9 || len(recs[0]) != len(Header) {
		t.Fatalf("%d records (err %v), want header and 8 runs", len(recs), err)
	}
	// Seeds vary fastest, then beta, then prompts.
	if recs[1][0] != "200" || recs[1][3] != "0.1" || recs[1][6] != "1" || recs[2][6] != "2" || recs[3][3] != "0.4" || recs[5][0] != "800" {
		t.Errorf("rows out of grid order: %v", recs[1:6])
	}
}

// TestRowMatchesItsPipelineRun: a sweep row summarises exactly the
// pipeline run of its configuration.
func TestRowMatchesItsPipelineRun(t *testing.T) {
	base := small()
	rows, err := Run(base, Grid{Seeds: []uint64{3}}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := base
	c.Seed = 3
	r, err := pipeline.Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := r.Run.Steps
	pk, _ := r.GoldPeak()
	if rows[0].PeakGoldGain != st[pk].Gold-st[0].Gold || rows[0].FinalKL != st[len(st)-1].KL || rows[0].RMTestAccuracy != r.RM.Metrics.TestAccuracy {
		t.Errorf("row %+v does not match its run", rows[0])
	}
}

func TestBadGrid(t *testing.T) {
	_, err := Run(small(), Grid{Algos: []policy.Algo{policy.Exact}}, 1, nil)
	if !errors.Is(err, ErrGrid) {
		t.Errorf("the exact gradient on the generative policy: err %v, want ErrGrid", err)
	}
	_, err = Run(small(), Grid{Seeds: make([]uint64, MaxRuns+1)}, 1, nil)
	if !errors.Is(err, ErrGrid) {
		t.Errorf("too many runs: err %v", err)
	}
}

// BenchmarkSweep runs 3 data sizes x 3 seeds x 2 RL algorithms on 1
// and on 2 workers; compare the two times for the speed-up.
func BenchmarkSweep(b *testing.B) {
	g := Grid{Prompts: []int{200, 1000, 5000}, Seeds: []uint64{1, 2, 3}, Algos: []policy.Algo{policy.RLOO, policy.PPO}}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers%d", w), func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(pipeline.Default(), g, w, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCellsNameTheirAggregate: only ensembles carry an aggregation, and
// Config applies each cell's values.
func TestCellsNameTheirAggregate(t *testing.T) {
	base := small()
	base.RM.Aggregate = reward.LCB
	cells := Grid{Ensembles: []int{0, 5}, Betas: []float64{0.1}}.Cells(base)
	if len(cells) != 2 || cells[0].Aggregate != "" || cells[1].Aggregate != reward.LCB {
		t.Fatalf("cells %+v", cells)
	}
	if got := cells[1].Setting(); got != "rlhf linear beta 0.1 rloo ensemble 5 lcb" {
		t.Errorf("setting %q", got)
	}
	if c := cells[1].Config(base); c.RM.Ensemble != 5 || c.Policy.Settings.Beta != 0.1 || c.RM.Aggregate != reward.LCB {
		t.Errorf("config %+v %+v", c.RM, c.Policy.Settings)
	}
}
