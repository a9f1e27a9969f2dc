package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

func xys(x, y []float64) plotter.XYs {
	pts := make(plotter.XYs, len(x))
	for i := range x {
		pts[i].X, pts[i].Y = x[i], y[i]
	}
	return pts
}

// addLine adds a line of series colour i to p with a legend entry.
func (th *Theme) addLine(p *plot.Plot, name string, i int, dashed bool, x, y []float64) error {
	l, err := plotter.NewLine(xys(x, y))
	if err != nil {
		return err
	}
	l.LineStyle = th.lineStyle(i, dashed)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}

// addHLine adds a horizontal reference line at y across [x0, x1].
func (th *Theme) addHLine(p *plot.Plot, name string, y, x0, x1 float64, style draw.LineStyle) {
	l, _ := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	l.LineStyle = style
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
}

func minmax(xs ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		for _, v := range x {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// headroom raises the top of the y axis so a legend in the upper corner
// sits above the data instead of on it.
func headroom(p *plot.Plot, frac float64) {
	p.Y.Max += frac * (p.Y.Max - p.Y.Min)
}

// hist adds a filled histogram of x in colour i with the given bins.
func (th *Theme) hist(p *plot.Plot, name string, i int, x []float64, lo, hi float64, n int) error {
	h, err := plotter.NewHistogram(binned(x, lo, hi, n), n)
	if err != nil {
		return err
	}
	h.Normalize(1)
	c := color.RGBAModel.Convert(palette[i]).(color.RGBA)
	c.A = 0x80
	h.FillColor = color.NRGBA{R: c.R, G: c.G, B: c.B, A: 0x80}
	h.LineStyle = draw.LineStyle{Color: palette[i], Width: th.LineWidth / 2}
	p.Add(h)
	p.Legend.Add(name, h)
	return nil
}

// binned turns values into XYs with weight 1 and pins the histogram's range
// to [lo, hi] by two zero-weight points, so overlaid histograms share bins.
func binned(x []float64, lo, hi float64, n int) plotter.XYs {
	pts := make(plotter.XYs, 0, len(x)+2)
	for _, v := range x {
		pts = append(pts, plotter.XY{X: v, Y: 1})
	}
	return append(pts, plotter.XY{X: lo, Y: 0}, plotter.XY{X: hi, Y: 0})
}
