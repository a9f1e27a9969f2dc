package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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
