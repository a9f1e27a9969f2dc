package plots

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// NamedCurve is one setting's curve on a sweep figure.
type NamedCurve struct {
	Name string
	Curve
}

// NamedPoint is one policy that has no trajectory, such as DPO's exact
// optimum: its KL to the base policy and its gold gain over it.
type NamedPoint struct {
	Name     string
	KL, Gain float64
}

// GoldFrontier draws each curve's gold gain over the base policy against
// d = sqrt(KL), with its fitted Gao law where Fit is set, and each point
// as a marker: the figure that shows how the peak moves across settings,
// and where a method without a trajectory (DPO, IPO) lands beside RL's
// path. Colours repeat after the palette runs out, so keep a figure to
// about eight entries.
func GoldFrontier(title string, curves []NamedCurve, points []NamedPoint, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(curves)+len(points) == 0 {
		return nil, fmt.Errorf("%w: gold frontier: nothing to draw", ErrData)
	}
	p := th.newPlot(title, "d = sqrt(KL)", "gold gain over the base policy")
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
		if err := th.addLine(p, c.Name, i%len(palette), false, d, g); err != nil {
			return nil, err
		}
		if c.Fit != nil {
			f := plotter.NewFunction(c.Fit.At)
			f.XMin, f.XMax, f.Samples = 0, d[len(d)-1], 200
			f.LineStyle = th.lineStyle(i%len(palette), true)
			p.Add(f)
			fitted = true
		}
	}
	for k, pt := range points {
		if err := check("gold frontier point "+pt.Name, []float64{pt.KL, pt.Gain}); err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(plotter.XYs{{X: math.Sqrt(math.Max(pt.KL, 0)), Y: pt.Gain}})
		if err != nil {
			return nil, err
		}
		c := (len(curves) + k) % len(palette)
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[c], Radius: th.FontSize / 2.5, Shape: draw.PyramidGlyph{}}
		p.Add(sc)
		p.Legend.Add(pt.Name, sc)
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
	headroom(p, 0.1*float64(len(curves)+len(points)+1))
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
