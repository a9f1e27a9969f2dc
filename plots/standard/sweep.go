package standard

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/seq"
	"github.com/rlhfsim/rlhfsim/sim/sweep"
)

// Sweep builds a sweep's figures from its groups (sweep.Groups): the mean
// gold-against-KL trajectory of each setting and data size with its Gao
// fit, DPO and IPO as points ("gold_vs_kl"), and, when the grid has two
// or more data sizes, the peak gold gain and the KL at the peak against
// data size ("peak_gold", "peak_kl").
func Sweep(groups []sweep.Group, th *plots.Theme) ([]plots.Figure, error) {
	if th == nil {
		th = plots.Slide()
	}
	var curves []plots.NamedCurve
	var points []plots.NamedPoint
	for _, g := range groups {
		name := fmt.Sprintf("%s, %d prompts", g.Setting, g.Prompts)
		if g.KL == nil {
			points = append(points, plots.NamedPoint{Name: name, KL: g.FinalKL, Gain: g.FinalGoldGain})
			continue
		}
		curves = append(curves, plots.NamedCurve{Name: name, Curve: plots.Curve{KL: g.KL, Gold: g.Gold, Fit: g.Fit}})
	}
	var figs set
	add := figs.add
	const title = "Gold reward against KL across the sweep"
	p, err := plots.GoldFrontier(title, curves, points, th)
	if err := add("gold_vs_kl", title, p, err); err != nil {
		return nil, err
	}
	for _, stat := range []struct {
		name, label string
		f           func(sweep.Group) float64
	}{
		{"peak_gold", "peak gold gain", func(g sweep.Group) float64 { return g.PeakGoldGain }},
		{"peak_kl", "KL at the gold peak (nats)", func(g sweep.Group) float64 { return g.PeakKL }},
	} {
		sizes, settings, y := sweep.Peaks(groups, stat.f)
		if len(sizes) < 2 {
			break // peaks against data size need two or more sizes
		}
		x := make([]float64, len(sizes))
		for i, s := range sizes {
			x[i] = float64(s)
		}
		series := make([]plots.Series, len(settings))
		for i, s := range settings {
			series[i] = plots.Series{Name: s, Y: y[i]}
		}
		p, err := plots.SweepPeaks(stat.label, x, series, th)
		if err := add(stat.name, stat.label, p, err); err != nil {
			return nil, err
		}
	}
	return figs, nil
}

// SeqRun is one reward's training curve in a step-by-step comparison.
type SeqRun struct {
	Name   string
	Points []seq.Point
}

// Seq builds the step-by-step figures: the share of sound steps
// ("seq_sound_rate"), and the right and verifier-passed rates
// ("seq_right"), against the answers sampled, one colour per reward.
// Every run must have the same sampling points.
func Seq(runs []SeqRun, th *plots.Theme) ([]plots.Figure, error) {
	if th == nil {
		th = plots.Slide()
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: no runs to draw", plots.ErrData)
	}
	x := make([]float64, len(runs[0].Points))
	for i, pt := range runs[0].Points {
		x[i] = float64(pt.Samples)
	}
	var sound, right []plots.Series
	for i, r := range runs {
		s := plots.Series{Name: r.Name, Color: i + 1}
		rt := plots.Series{Name: r.Name + ": right", Color: i + 1}
		ps := plots.Series{Name: r.Name + ": passed", Dashed: true, Color: i + 1}
		for _, pt := range r.Points {
			s.Y = append(s.Y, pt.SoundRate())
			rt.Y = append(rt.Y, pt.Right)
			ps.Y = append(ps.Y, pt.Pass)
		}
		sound, right = append(sound, s), append(right, rt, ps)
	}
	var figs []plots.Figure
	for _, f := range []struct {
		name   string
		series []plots.Series
		title  string
		ylabel string
	}{
		{"seq_sound_rate", sound, "How fast sound reasoning spreads", "share of steps that are sound"},
		{"seq_right", right, "Right answers and what the verifier passes", "probability"},
	} {
		p, err := plots.Lines(f.title, "answers sampled", f.ylabel, x, f.series, th)
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.name, err)
		}
		figs = append(figs, plots.Figure{Name: f.name, Caption: f.title, Plot: p})
	}
	return figs, nil
}
