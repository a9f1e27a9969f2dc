package plots

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// NamedCurve is one setting's curve on a sweep figure.
type NamedCurve struct {
	Name string
	Curve
}

// SweepCurves draws each setting's gold gain over the base policy against
// d = sqrt(KL), with its fitted Gao law where Fit is set: the figure that
// shows how the peak moves across a sweep. Series colours repeat after
// the palette runs out, so keep a figure to about eight curves.
func SweepCurves(curves []NamedCurve, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(curves) == 0 {
		return nil, fmt.Errorf("%w: sweep curves: no curves", ErrData)
	}
	p := th.newPlot("Gold reward against KL across the sweep", "d = sqrt(KL)", "gold gain over the base policy")
	fitted := false
	for i, c := range curves {
		if err := check("sweep curve "+c.Name, c.KL, c.Gold); err != nil {
			return nil, err
		}
		if len(c.Gold) != len(c.KL) {
			return nil, fmt.Errorf("%w: sweep curve %s: KL and gold lengths differ", ErrData, c.Name)
		}
		d, g := make([]float64, len(c.KL)), make([]float64, len(c.KL))
		for k := range d {
			d[k], g[k] = math.Sqrt(math.Max(c.KL[k], 0)), c.Gold[k]-c.Gold[0]
		}
		if err := th.addLine(p, c.Name, i%len(Palette), false, d, g); err != nil {
			return nil, err
		}
		if c.Fit != nil {
			f := plotter.NewFunction(c.Fit.At)
			f.XMin, f.XMax, f.Samples = 0, d[len(d)-1], 200
			f.LineStyle = th.lineStyle(i%len(Palette), true)
			p.Add(f)
			fitted = true
		}
	}
	if fitted {
		key := th.lineStyle(0, true)
		key.Color = Gray
		l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}})
		l.LineStyle = key
		p.Legend.Add("dashed: fitted Gao RL law", l)
	}
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.1*float64(len(curves)+1))
	return p, nil
}

// SweepPeaks draws a per-setting statistic (the gold peak, or the KL at
// it) against the reward model's data size on a log axis.
func SweepPeaks(ylabel string, prompts []float64, series []Series, th *Theme) (*plot.Plot, error) {
	for _, x := range prompts {
		if !(x > 0) {
			return nil, fmt.Errorf("%w: sweep peaks: data size %v is not positive", ErrData, x)
		}
	}
	p, err := Lines("How the peak moves with the reward model's data", "preference-data prompts", ylabel, prompts, series, th)
	if err != nil {
		return nil, err
	}
	p.X.Scale = plot.LogScale{}
	ticks := make([]plot.Tick, len(prompts))
	for i, v := range prompts {
		ticks[i] = plot.Tick{Value: v, Label: strconv.Itoa(int(v))}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	return p, nil
}
