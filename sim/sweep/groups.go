package sweep

import (
	"fmt"
	"slices"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// Group is the runs of one setting at one data size, over seeds, with
// their means: what a sweep's table and figures show.
type Group struct {
	Setting string
	Prompts int
	Method  pipeline.Method
	// Rows are the group's runs, one per seed, in the grid's order.
	Rows []Row
	// Means over the rows.
	RMTestAccuracy, PeakGoldGain, PeakKL, FinalGoldGain, FinalKL float64
	// KL and Gold are the mean trajectory, step by step, over the steps
	// of the first row; Fit is Gao's RL law fitted to it, or nil when it
	// does not fit. DPO and IPO, which land on their optimum in one step,
	// have no trajectory to fit.
	KL, Gold []float64
	Fit      *stats.GaoFit
}

// Groups averages rows over seeds: one Group per setting and data size,
// in the order the rows first show them.
func Groups(rows []Row) []Group {
	var out []Group
	idx := map[string]int{}
	for _, r := range rows {
		key := fmt.Sprintf("%s|%d", r.Setting(), r.Prompts)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Group{Setting: r.Setting(), Prompts: r.Prompts, Method: r.Method})
		}
		out[i].Rows = append(out[i].Rows, r)
	}
	for i := range out {
		out[i].summarise()
	}
	return out
}

func (g *Group) summarise() {
	mean := func(f func(Row) float64) float64 {
		var s float64
		for _, r := range g.Rows {
			s += f(r)
		}
		return s / float64(len(g.Rows))
	}
	g.RMTestAccuracy = mean(func(r Row) float64 { return r.RMTestAccuracy })
	g.PeakGoldGain = mean(func(r Row) float64 { return r.PeakGoldGain })
	g.PeakKL = mean(func(r Row) float64 { return r.PeakKL })
	g.FinalGoldGain = mean(func(r Row) float64 { return r.FinalGoldGain })
	g.FinalKL = mean(func(r Row) float64 { return r.FinalKL })
	if g.Method != pipeline.RLHF {
		return
	}
	n := len(g.Rows[0].Steps)
	g.KL, g.Gold = make([]float64, n), make([]float64, n)
	for _, r := range g.Rows {
		for i := 0; i < n && i < len(r.Steps); i++ {
			g.KL[i] += r.Steps[i].KL / float64(len(g.Rows))
			g.Gold[i] += r.Steps[i].Gold / float64(len(g.Rows))
		}
	}
	if f, err := stats.FitGao(stats.GaoRL, g.KL, g.Gold); err == nil {
		g.Fit = &f
	}
}

// Peaks tabulates a statistic of the groups against data size: the sizes
// in increasing order, the settings in the order the groups show them,
// and y[s][i] the mean of setting s at sizes[i] (zero where the grid has
// no such run).
func Peaks(groups []Group, stat func(Group) float64) (sizes []int, settings []string, y [][]float64) {
	for _, g := range groups {
		if !slices.Contains(sizes, g.Prompts) {
			sizes = append(sizes, g.Prompts)
		}
		if !slices.Contains(settings, g.Setting) {
			settings = append(settings, g.Setting)
		}
	}
	slices.Sort(sizes)
	y = make([][]float64, len(settings))
	for s, name := range settings {
		y[s] = make([]float64, len(sizes))
		for _, g := range groups {
			if g.Setting == name {
				y[s][slices.Index(sizes, g.Prompts)] = stat(g)
			}
		}
	}
	return sizes, settings, y
}
