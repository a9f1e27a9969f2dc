package sweep

import (
	"errors"
	"fmt"

	"github.com/rlhfsim/rlhfsim/internal/workers"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// Grid lists the values each axis takes; a nil axis keeps the base
// configuration's value. The runs are every combination, seeds varying
// fastest.
type Grid struct {
	Prompts   []int             // preference-data prompts
	Models    []reward.Kind     // reward-model kinds
	Ensembles []int             // ensemble sizes (0 or 1: one model)
	Betas     []float64         // KL coefficients
	Methods   []pipeline.Method // rlhf, dpo or ipo
	Algos     []policy.Algo     // RL algorithms
	Seeds     []uint64          // seeds
}

// MaxRuns is the largest grid Runs accepts.
const MaxRuns = 10000

// Cell is one run's settings.
type Cell struct {
	Prompts  int             `json:"prompts"`
	Model    reward.Kind     `json:"model"`
	Ensemble int             `json:"ensemble"`
	Beta     float64         `json:"beta"`
	Method   pipeline.Method `json:"method"`
	Algo     policy.Algo     `json:"algo"`
	Seed     uint64          `json:"seed"`
	// Aggregate is the ensemble's aggregation, from the base
	// configuration; empty when Ensemble < 2.
	Aggregate reward.Aggregate `json:"aggregate,omitempty"`
}

// Setting names the cell without its seed: the runs a figure averages.
func (c Cell) Setting() string {
	s := fmt.Sprintf("%s %s beta %g", c.Method, c.Model, c.Beta)
	if c.Method == pipeline.RLHF {
		s += " " + string(c.Algo)
	}
	if c.Ensemble > 1 {
		s += fmt.Sprintf(" ensemble %d %s", c.Ensemble, c.Aggregate)
	}
	return s
}

// Cells expands the grid over base.
func (g Grid) Cells(base pipeline.Config) []Cell {
	or := func(n int) int { return max(n, 1) }
	b := Cell{Prompts: base.Data.Prompts, Model: base.RM.Model, Ensemble: base.RM.Ensemble,
		Beta: base.Policy.Settings.Beta, Method: base.Policy.Method, Algo: base.Policy.Settings.Algo, Seed: base.Seed,
		Aggregate: base.RM.Aggregate}
	if b.Model == "" {
		b.Model = reward.KindLinear
	}
	if b.Method == "" {
		b.Method = pipeline.RLHF
	}
	var cells []Cell
	for i := 0; i < or(len(g.Prompts)); i++ {
		for j := 0; j < or(len(g.Models)); j++ {
			for k := 0; k < or(len(g.Ensembles)); k++ {
				for l := 0; l < or(len(g.Betas)); l++ {
					for m := 0; m < or(len(g.Methods)); m++ {
						for a := 0; a < or(len(g.Algos)); a++ {
							for s := 0; s < or(len(g.Seeds)); s++ {
								c := b
								pick(&c.Prompts, g.Prompts, i)
								pick(&c.Model, g.Models, j)
								pick(&c.Ensemble, g.Ensembles, k)
								pick(&c.Beta, g.Betas, l)
								pick(&c.Method, g.Methods, m)
								pick(&c.Algo, g.Algos, a)
								pick(&c.Seed, g.Seeds, s)
								if c.Ensemble < 2 {
									c.Aggregate = "" // one model aggregates nothing
								} else if c.Aggregate == "" {
									c.Aggregate = reward.Mean
								}
								cells = append(cells, c)
							}
						}
					}
				}
			}
		}
	}
	return cells
}

func pick[T any](dst *T, axis []T, i int) {
	if len(axis) > 0 {
		*dst = axis[i]
	}
}

// Config applies the cell to base.
func (c Cell) Config(base pipeline.Config) pipeline.Config {
	cfg := base
	cfg.Seed = c.Seed
	cfg.Data.Prompts = c.Prompts
	cfg.RM.Model = c.Model
	cfg.RM.Ensemble = c.Ensemble
	cfg.Policy.Settings.Beta = c.Beta
	cfg.Policy.Method = c.Method
	cfg.Policy.Settings.Algo = c.Algo
	return cfg
}

// Row is one run's summary. Gains are over the base policy (step 0).
type Row struct {
	Cell
	RMTestAccuracy float64 `json:"rm_test_accuracy"`
	RMGoldAgree    float64 `json:"rm_gold_agreement"`
	PeakGoldGain   float64 `json:"peak_gold_gain"`
	PeakKL         float64 `json:"peak_kl"`
	FinalGoldGain  float64 `json:"final_gold_gain"`
	FinalKL        float64 `json:"final_kl"`
	// GaoAlpha, GaoBeta and GaoR2 fit the RL form d (alpha - beta log d)
	// to the gold gain; all three are zero when there are too few points
	// to fit, as for DPO's single step.
	GaoAlpha float64 `json:"gao_alpha"`
	GaoBeta  float64 `json:"gao_beta"`
	GaoR2    float64 `json:"gao_r2"`
	// Steps is the run's trajectory, for the figures.
	Steps []policy.Step `json:"-"`
}

// ErrGrid is wrapped by errors for a grid that cannot run.
var ErrGrid = errors.New("sweep: bad grid")

// Run runs every cell of g over base with the given number of workers
// (zero means runtime.NumCPU) and returns one row per cell, in the
// order of Cells. progress, if not nil, is called after each run, one
// call at a time, from the worker that finished it. After the first
// error no new run starts, and Run returns the error of the first cell
// that failed.
func Run(base pipeline.Config, g Grid, nworkers int, progress func(done, total int)) ([]Row, error) {
	if err := g.Validate(base); err != nil {
		return nil, err
	}
	cells := g.Cells(base)
	rows := make([]Row, len(cells))
	i, err := workers.Each(len(cells), nworkers, func(i int) (err error) {
		rows[i], err = runCell(base, cells[i])
		return err
	}, progress)
	if err != nil {
		return nil, fmt.Errorf("run %d (%s, seed %d): %w", i+1, cells[i].Setting(), cells[i].Seed, err)
	}
	return rows, nil
}

// Validate reports a grid that cannot run over base, before any run
// starts: too many runs, or a cell whose configuration is invalid.
func (g Grid) Validate(base pipeline.Config) error {
	cells := g.Cells(base)
	if len(cells) > MaxRuns {
		return fmt.Errorf("%w: %d runs, more than %d", ErrGrid, len(cells), MaxRuns)
	}
	for i, c := range cells {
		cfg := c.Config(base)
		for _, err := range []error{cfg.Data.Validate(), cfg.RM.Validate(), cfg.Policy.Validate()} {
			if err != nil {
				return fmt.Errorf("%w: run %d (%s, seed %d): %w", ErrGrid, i+1, c.Setting(), c.Seed, err)
			}
		}
	}
	return nil
}

func runCell(base pipeline.Config, c Cell) (Row, error) {
	r, err := pipeline.Run(c.Config(base), nil)
	if err != nil {
		return Row{}, err
	}
	st := r.Run.Steps
	row := Row{Cell: c, RMTestAccuracy: r.RM.Metrics.TestAccuracy, RMGoldAgree: r.RM.Metrics.GoldAgreement, Steps: st}
	pk := 0
	kl, gold := make([]float64, len(st)), make([]float64, len(st))
	for i, s := range st {
		if s.Gold > st[pk].Gold {
			pk = i
		}
		kl[i], gold[i] = s.KL, s.Gold
	}
	last := st[len(st)-1]
	row.PeakGoldGain, row.PeakKL = st[pk].Gold-st[0].Gold, st[pk].KL
	row.FinalGoldGain, row.FinalKL = last.Gold-st[0].Gold, last.KL
	if f, err := stats.FitGao(stats.GaoRL, kl, gold); err == nil {
		row.GaoAlpha, row.GaoBeta, row.GaoR2 = f.Alpha, f.Beta, f.R2
	}
	return row, nil
}
