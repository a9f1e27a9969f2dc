package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// RankingToPairs draws the win matrix of one K-way ranking: the responses
// in rank order along both axes, and a filled cell wherever the row's
// response was preferred to the column's. The K(K-1)/2 filled cells are
// the pairs the ranking becomes.
func RankingToPairs(labels []string, th *Theme) (*plot.Plot, error) {
	th = th.or()
	k := len(labels)
	if k < 2 {
		return nil, fmt.Errorf("%w: ranking to pairs: need at least 2 ranked responses", ErrData)
	}
	p := th.newPlot(fmt.Sprintf("%d ranked responses give %d preference pairs", k, k*(k-1)/2),
		"less preferred (column)", "preferred (row)")
	p.Add(&winMatrix{k: k, th: th})
	ticks := make([]plot.Tick, k)
	for i, l := range labels {
		ticks[i] = plot.Tick{Value: float64(i), Label: fmt.Sprintf("#%d %s", i+1, l)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	// Rank 1 at the top, as a reader expects of a list.
	yt := make([]plot.Tick, k)
	for i := range yt {
		yt[i] = plot.Tick{Value: float64(k - 1 - i), Label: ticks[i].Label}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	return p, nil
}

// winMatrix draws the cells of RankingToPairs.
type winMatrix struct {
	k  int
	th *Theme
}

func (w *winMatrix) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for r := 0; r < w.k; r++ {
		for col := 0; col < w.k; col++ {
			x0, x1 := tx(float64(col)-0.45), tx(float64(col)+0.45)
			y0, y1 := ty(float64(w.k-1-r)-0.45), ty(float64(w.k-1-r)+0.45)
			var fill color.Color = color.Gray{0xF0}
			if r < col {
				fill = Blue
			} else if r == col {
				fill = color.White
			}
			c.FillPolygon(fill, c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}))
			if r < col {
				sty := draw.TextStyle{Color: color.White, Font: w.th.font(0.85), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.Title.TextStyle.Handler}
				c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, "wins")
			}
		}
	}
}

func (w *winMatrix) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(w.k) - 0.5, -0.5, float64(w.k) - 0.5
}

// RankingVsRating draws how often pair labels derived from rankings and
// from 1-7 ratings agree with the gold reward, against a setting x (such as
// the spread of the annotators' rating offsets).
func RankingVsRating(x []float64, xlabel string, ranking, rating []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("ranking vs rating", x, ranking, rating); err != nil {
		return nil, err
	}
	if len(ranking) != len(x) || len(rating) != len(x) {
		return nil, fmt.Errorf("%w: ranking vs rating: lengths differ", ErrData)
	}
	p := th.newPlot("Which labels agree with the hidden truth?", xlabel, "pair labels agreeing with gold")
	for i, s := range []struct {
		name string
		y    []float64
	}{{"from rankings", ranking}, {"from ratings (ties count 1/2)", rating}} {
		l, sc, err := plotter.NewLinePoints(xys(x, s.y))
		if err != nil {
			return nil, err
		}
		l.LineStyle = th.lineStyle(i, false)
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[i], Radius: th.FontSize / 4, Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	th.addHLine(p, "chance", 0.5, x[0], x[len(x)-1], th.refStyle())
	p.Y.Min, p.Y.Max = 0.4, 1
	headroom(p, 0.3)
	return p, nil
}
