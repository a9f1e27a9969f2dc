package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line of a Lines plot.
type Series struct {
	Name   string
	Y      []float64
	Dashed bool
	// Color is the palette entry, counted from 1, so that two series can
	// share a colour (one solid, one dashed); 0 takes the series'
	// position in the list.
	Color int
}

// Lines draws one or more series against shared x values: the general
// figure lessons use when no special builder fits.
func Lines(title, xlabel, ylabel string, x []float64, series []Series, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: lines: no series", ErrData)
	}
	if err := check("lines", x); err != nil {
		return nil, err
	}
	p := th.newPlot(title, xlabel, ylabel)
	for i, s := range series {
		if err := check("lines: "+s.Name, s.Y); err != nil {
			return nil, err
		}
		if len(s.Y) != len(x) {
			return nil, fmt.Errorf("%w: lines: series %q has %d values for %d x values", ErrData, s.Name, len(s.Y), len(x))
		}
		c := i
		if s.Color > 0 {
			c = s.Color - 1
		}
		if err := th.addLine(p, s.Name, c, s.Dashed, x, s.Y); err != nil {
			return nil, err
		}
	}
	headroom(p, 0.12*float64(len(series)+1))
	return p, nil
}

// Scatter draws y against x as translucent points: the general scatter
// plot lessons use when no special builder fits.
func Scatter(title, xlabel, ylabel string, x, y []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("scatter", x, y); err != nil {
		return nil, err
	}
	if len(x) != len(y) {
		return nil, fmt.Errorf("%w: scatter: %d x values, %d y values", ErrData, len(x), len(y))
	}
	p := th.newPlot(title, xlabel, ylabel)
	sc, err := plotter.NewScatter(xys(x, y))
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0x70}, Radius: th.FontSize / 6, Shape: draw.CircleGlyph{}}
	p.Add(sc)
	return p, nil
}

// Group is one named set of points of a Groups plot.
type Group struct {
	Name string
	X, Y []float64
}

// groupShapes tell the groups apart without colour, in print.
var groupShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{}, draw.SquareGlyph{}}

// Groups draws several named sets of points, each in its own colour and
// shape with a legend: a scatter plot whose points are few enough to
// tell apart, such as one point per reward model.
func Groups(title, xlabel, ylabel string, groups []Group, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: groups: no groups", ErrData)
	}
	p := th.newPlot(title, xlabel, ylabel)
	for i, g := range groups {
		if err := check("groups: "+g.Name, g.X, g.Y); err != nil {
			return nil, err
		}
		if len(g.X) != len(g.Y) {
			return nil, fmt.Errorf("%w: groups: %q has %d x values, %d y values", ErrData, g.Name, len(g.X), len(g.Y))
		}
		sc, err := plotter.NewScatter(xys(g.X, g.Y))
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[i%len(palette)], Radius: th.FontSize / 4, Shape: groupShapes[i%len(groupShapes)]}
		p.Add(sc)
		p.Legend.Add(g.Name, sc)
	}
	// Markers at the data's ends would be cut in half by the axes.
	pad := func(a *plot.Axis) {
		d := 0.04 * (a.Max - a.Min)
		a.Min, a.Max = a.Min-d, a.Max+d
	}
	pad(&p.X)
	pad(&p.Y)
	headroom(p, 0.12*float64(len(groups)+1))
	return p, nil
}

// Measure is one named set of measurements in Measures: a value per
// category, and optionally a half-width per category drawn as an error
// bar (0 draws none).
type Measure struct {
	Name   string
	Values []float64
	Err    []float64
}

// Measures draws a few named sets of measurements over named categories,
// each set in its own colour and shape, side by side within a category,
// with optional error bars and a dashed reference line at ref (NaN for
// none): the figure for comparing two measurements of the same few
// things, such as the two sides of a probe.
func Measures(title, ylabel string, categories []string, sets []Measure, ref float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(sets) == 0 || len(categories) == 0 {
		return nil, fmt.Errorf("%w: measures: no sets or no categories", ErrData)
	}
	p := th.newPlot(title, "", ylabel)
	for i, m := range sets {
		if err := check("measures: "+m.Name, m.Values); err != nil {
			return nil, err
		}
		if len(m.Values) != len(categories) || (m.Err != nil && len(m.Err) != len(categories)) {
			return nil, fmt.Errorf("%w: measures: %q has %d values and %d error bars for %d categories", ErrData, m.Name, len(m.Values), len(m.Err), len(categories))
		}
		// Sets stand a little apart within a category, so error bars
		// do not hide each other.
		dx := 0.15 * (float64(i) - float64(len(sets)-1)/2)
		var pts errPoints
		for j, v := range m.Values {
			e := 0.0
			if m.Err != nil {
				e = m.Err[j]
			}
			pts = append(pts, errPoint{x: float64(j) + dx, y: v, e: e})
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[i%len(palette)], Radius: th.FontSize / 4, Shape: groupShapes[i%len(groupShapes)]}
		if m.Err != nil {
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return nil, err
			}
			eb.LineStyle = draw.LineStyle{Color: palette[i%len(palette)], Width: th.LineWidth / 2}
			p.Add(eb)
		}
		p.Add(sc)
		p.Legend.Add(m.Name, sc)
	}
	var ticks plot.ConstantTicks
	for j, c := range categories {
		ticks = append(ticks, plot.Tick{Value: float64(j), Label: c})
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	if !math.IsNaN(ref) {
		th.addHLine(p, "", ref, -0.5, float64(len(categories))-0.5, draw.LineStyle{Color: Gray, Width: th.LineWidth / 2, Dashes: []vg.Length{vg.Points(4), vg.Points(3)}})
	}
	headroom(p, 0.12*float64(len(sets)+1))
	return p, nil
}

// errPoint is a point with a symmetric error bar.
type errPoint struct{ x, y, e float64 }

// errPoints are points with error bars, for plotter.NewScatter and
// plotter.NewYErrorBars.
type errPoints []errPoint

func (ps errPoints) Len() int                        { return len(ps) }
func (ps errPoints) XY(i int) (float64, float64)     { return ps[i].x, ps[i].y }
func (ps errPoints) YError(i int) (float64, float64) { return ps[i].e, ps[i].e }
