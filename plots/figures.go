package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// xys pairs two slices as plotter.XYs.
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

// TrainingCurves draws a reward model's loss and pairwise accuracy per
// epoch on the training and validation splits, with the gold ceiling and
// ln 2 (the loss of knowing nothing) as reference lines.
func TrainingCurves(h []reward.Epoch, ceiling float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var ep, loss, vloss, acc, vacc []float64
	for _, e := range h {
		ep = append(ep, float64(e.Epoch))
		loss, vloss = append(loss, e.Loss), append(vloss, e.ValLoss)
		acc, vacc = append(acc, e.TrainAcc), append(vacc, e.ValAcc)
	}
	if err := check("training curves", ep, loss, vloss, acc, vacc, []float64{ceiling}); err != nil {
		return nil, err
	}
	p := th.newPlot("Training the reward model as a ranker", "epoch", "loss (nats) and accuracy")
	for _, s := range []struct {
		name   string
		c      int
		dashed bool
		y      []float64
	}{{"train accuracy", 0, false, acc}, {"val accuracy", 0, true, vacc}, {"train loss", 1, false, loss}, {"val loss", 1, true, vloss}} {
		if err := th.addLine(p, s.name, s.c, s.dashed, ep, s.y); err != nil {
			return nil, err
		}
	}
	x1 := ep[len(ep)-1]
	th.addHLine(p, fmt.Sprintf("gold ceiling %.3f", ceiling), ceiling, 0, x1, th.refStyle())
	ln2 := th.refStyle()
	ln2.Color = Gray
	th.addHLine(p, "ln 2", math.Ln2, 0, x1, ln2)
	p.Y.Min = math.Min(0.2, p.Y.Min)
	p.Y.Max = 1
	headroom(p, 0.45)
	var ticks []plot.Tick
	for v := 0.0; v <= 1.0001; v += 0.1 {
		if v >= p.Y.Min-1e-9 {
			t := plot.Tick{Value: v}
			if int(math.Round(v*10))%2 == 0 {
				t.Label = strconv.FormatFloat(v, 'f', 1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Legend.Left = false
	p.Legend.Top = true
	return p, nil
}

// ScoreVsGold draws each held-out response's reward-model score against its
// hidden gold reward, with their Spearman correlation in the title.
func ScoreVsGold(scores, gold []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("score vs gold", scores, gold); err != nil {
		return nil, err
	}
	if len(scores) != len(gold) {
		return nil, fmt.Errorf("%w: score vs gold: %d scores, %d gold rewards", ErrData, len(scores), len(gold))
	}
	rho := stats.Spearman(gold, scores)
	p := th.newPlot(fmt.Sprintf("Scores against the hidden truth (Spearman %.3f)", rho), "gold reward", "reward-model score")
	sc, err := plotter.NewScatter(xys(gold, scores))
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.NRGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0x80}, Radius: th.FontSize / 6, Shape: draw.CircleGlyph{}}
	p.Add(sc)
	return p, nil
}

// Weights draws learned weights beside true weights, feature by feature.
// A nil truth draws the learned weights alone.
func Weights(names []string, learned, truth []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("weights", learned); err != nil {
		return nil, err
	}
	if len(names) != len(learned) || (truth != nil && len(truth) != len(learned)) {
		return nil, fmt.Errorf("%w: weights: %d names, %d learned, %d true", ErrData, len(names), len(learned), len(truth))
	}
	if truth != nil {
		if err := check("weights", truth); err != nil {
			return nil, err
		}
	}
	p := th.newPlot("What the reward model learned", "", "weight")
	w := vg.Length(th.Width / vg.Length(3*len(names)+2))
	for i, s := range []struct {
		name string
		v    []float64
	}{{"learned", learned}, {"true (gold)", truth}} {
		if s.v == nil {
			continue
		}
		b, err := plotter.NewBarChart(plotter.Values(s.v), w)
		if err != nil {
			return nil, err
		}
		b.Color = Palette[i]
		b.LineStyle.Width = 0
		if truth != nil {
			b.Offset = vg.Length(2*i-1) * w / 2
		}
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	p.NominalX(names...)
	// Slanted names stay apart even in a single print column.
	p.X.Tick.Label.Font = th.font(0.8)
	p.X.Tick.Label.Rotation = math.Pi / 7
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	th.addHLine(p, "", 0, -0.5, float64(len(names))-0.5, draw.LineStyle{Color: Black, Width: th.LineWidth / 3})
	headroom(p, 0.25)
	return p, nil
}

// Calibration draws the mean predicted probability that the first response
// of a pair wins against how often it did, per bin, with the diagonal of
// perfect calibration. Empty bins are skipped.
func Calibration(bins []reward.Bin, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var pred, obs []float64
	for _, b := range bins {
		if b.Count > 0 {
			pred, obs = append(pred, b.Predicted), append(obs, b.Observed)
		}
	}
	if err := check("calibration", pred, obs); err != nil {
		return nil, err
	}
	p := th.newPlot("Are the predicted preferences calibrated?", "predicted P(first response wins)", "observed frequency")
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.LineStyle = th.refStyle()
	p.Add(diag)
	p.Legend.Add("perfect calibration", diag)
	l, s, err := plotter.NewLinePoints(xys(pred, obs))
	if err != nil {
		return nil, err
	}
	l.LineStyle = th.lineStyle(0, false)
	s.GlyphStyle = draw.GlyphStyle{Color: Blue, Radius: th.FontSize / 4, Shape: draw.CircleGlyph{}}
	p.Add(l, s)
	p.Legend.Add("reward model", l, s)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = th.FontSize / 2
	return p, nil
}

// hist adds a filled histogram of x in colour i with the given bins.
func (th *Theme) hist(p *plot.Plot, name string, i int, x []float64, lo, hi float64, n int) error {
	h, err := plotter.NewHistogram(binned(x, lo, hi, n), n)
	if err != nil {
		return err
	}
	h.Normalize(1)
	c := color.RGBAModel.Convert(Palette[i]).(color.RGBA)
	c.A = 0x80
	h.FillColor = color.NRGBA{R: c.R, G: c.G, B: c.B, A: 0x80}
	h.LineStyle = draw.LineStyle{Color: Palette[i], Width: th.LineWidth / 2}
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

// ScoreDistributions overlays the histograms of raw reward-model scores and
// of the same scores after normalisation: the same shape, shifted so the
// reference responses average 0.
func ScoreDistributions(raw, normalized []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("score distributions", raw, normalized); err != nil {
		return nil, err
	}
	p := th.newPlot("Scores are defined only up to a shift", "score", "density")
	lo, hi := minmax(raw, normalized)
	if err := th.hist(p, "raw scores", 0, raw, lo, hi, 40); err != nil {
		return nil, err
	}
	if err := th.hist(p, "normalised (reference mean 0)", 1, normalized, lo, hi, 40); err != nil {
		return nil, err
	}
	headroom(p, 0.3)
	return p, nil
}

// PolicyCurves draws the proxy reward, the gold reward and the KL to the
// base policy at every optimisation step.
func PolicyCurves(steps []policy.Step, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var x, proxy, gold, kl []float64
	for _, s := range steps {
		x = append(x, float64(s.Step))
		proxy, gold, kl = append(proxy, s.Proxy), append(gold, s.Gold), append(kl, s.KL)
	}
	if err := check("policy curves", x, proxy, gold, kl); err != nil {
		return nil, err
	}
	p := th.newPlot("Optimising the policy against the reward model", "policy step", "reward, or KL in nats")
	for _, s := range []struct {
		name   string
		c      int
		dashed bool
		y      []float64
	}{{"proxy reward (reward model)", 0, false, proxy}, {"gold reward (hidden)", 2, false, gold}, {"KL to the base policy", 1, true, kl}} {
		if err := th.addLine(p, s.name, s.c, s.dashed, x, s.y); err != nil {
			return nil, err
		}
	}
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.35)
	return p, nil
}

// Curve is one set of points of the overoptimisation figure.
type Curve struct {
	KL, Gold, Proxy []float64
}

// Fit is the result of fitting Gao et al.'s laws.
type Fit struct {
	BoNAlpha, BoNBeta float64
	RLAlpha, RLBeta   float64
}

// Overoptimisation draws the gold and proxy gain over the starting policy
// against d = sqrt(KL), for best-of-n and for RL, with the least-squares
// fits of Gao et al.'s laws: d (alpha - beta d) for best-of-n and
// d (alpha - beta log d) for RL. Either curve may be empty, not both.
func Overoptimisation(bon, rl Curve, th *Theme) (*plot.Plot, Fit, error) {
	th = th.or()
	var fit Fit
	if len(bon.KL) == 0 && len(rl.KL) == 0 {
		return nil, fit, fmt.Errorf("%w: overoptimisation: no points", ErrData)
	}
	p := th.newPlot("Overoptimisation: the proxy climbs, the gold turns", "d = sqrt(KL)", "gain over the base policy")
	dmax := 0.0
	for ci, c := range []struct {
		name  string
		curve Curve
		color int
		glyph draw.GlyphDrawer
		fit   func(d, r []float64) (float64, float64, bool)
		law   func(a, b float64) func(float64) float64
	}{
		{"best-of-n", bon, 2, draw.CircleGlyph{}, stats.FitGaoBoN, func(a, b float64) func(float64) float64 {
			return func(d float64) float64 { return d * (a - b*d) }
		}},
		{"RL", rl, 1, draw.TriangleGlyph{}, stats.FitGaoRL, func(a, b float64) func(float64) float64 {
			return func(d float64) float64 {
				if d <= 0 {
					return 0
				}
				return d * (a - b*math.Log(d))
			}
		}},
	} {
		if len(c.curve.KL) == 0 {
			continue
		}
		if err := check(c.name, c.curve.KL, c.curve.Gold, c.curve.Proxy); err != nil {
			return nil, fit, err
		}
		n := len(c.curve.KL)
		if len(c.curve.Gold) != n || len(c.curve.Proxy) != n {
			return nil, fit, fmt.Errorf("%w: %s: KL, gold and proxy lengths differ", ErrData, c.name)
		}
		d := make([]float64, n)
		gold := make([]float64, n)
		proxy := make([]float64, n)
		for i := range d {
			d[i] = math.Sqrt(math.Max(c.curve.KL[i], 0))
			gold[i] = c.curve.Gold[i] - c.curve.Gold[0]
			proxy[i] = c.curve.Proxy[i] - c.curve.Proxy[0]
			dmax = math.Max(dmax, d[i])
		}
		a, b, ok := c.fit(d, gold)
		if ci == 0 {
			fit.BoNAlpha, fit.BoNBeta = a, b
		} else {
			fit.RLAlpha, fit.RLBeta = a, b
		}
		// At most 40 markers: hundreds of RL steps would blot the curve.
		step := max(1, n/40)
		var md, mg []float64
		for i := 0; i < n; i += step {
			md, mg = append(md, d[i]), append(mg, gold[i])
		}
		sc, err := plotter.NewScatter(xys(md, mg))
		if err != nil {
			return nil, fit, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: Palette[c.color], Radius: th.FontSize / 4, Shape: c.glyph}
		p.Add(sc)
		p.Legend.Add(c.name+" gold", sc)
		pl, err := plotter.NewLine(xys(d, proxy))
		if err != nil {
			return nil, fit, err
		}
		pl.LineStyle = th.lineStyle(c.color, true)
		p.Add(pl)
		p.Legend.Add(c.name+" proxy", pl)
		if ok {
			f := plotter.NewFunction(c.law(a, b))
			f.XMin, f.XMax = 0, d[n-1]
			f.Samples = 200
			f.LineStyle = th.lineStyle(c.color, false)
			p.Add(f)
			p.Legend.Add(fmt.Sprintf("%s fit a=%.2f b=%.2f", c.name, a, b), f)
		}
	}
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.6)
	return p, fit, nil
}

// BestOfN draws best-of-n's proxy and gold reward against n (log scale),
// with its exact KL and the bound log n - (n-1)/n.
func BestOfN(rows []policy.BoN, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var n, proxy, gold, kl, bound []float64
	for _, r := range rows {
		n = append(n, float64(r.N))
		proxy, gold = append(proxy, r.Proxy), append(gold, r.Gold)
		kl, bound = append(kl, r.KL), append(bound, r.Bound)
	}
	if err := check("best-of-n", n, proxy, gold, kl, bound); err != nil {
		return nil, err
	}
	p := th.newPlot("Best-of-n: keep the highest-scoring of n samples", "n (samples drawn)", "reward, or KL in nats")
	p.X.Scale = plot.LogScale{}
	ticks := make([]plot.Tick, len(n))
	for i, v := range n {
		ticks[i] = plot.Tick{Value: v, Label: strconv.Itoa(int(v))}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	if n[0] <= 0 {
		return nil, fmt.Errorf("%w: best-of-n: n must be positive", ErrData)
	}
	for _, s := range []struct {
		name   string
		c      int
		dashed bool
		y      []float64
	}{{"proxy reward", 0, false, proxy}, {"gold reward", 2, false, gold}, {"KL (exact)", 1, true, kl}} {
		if err := th.addLine(p, s.name, s.c, s.dashed, n, s.y); err != nil {
			return nil, err
		}
	}
	b, _ := plotter.NewLine(xys(n, bound))
	b.LineStyle = th.refStyle()
	p.Add(b)
	p.Legend.Add("KL bound log n - (n-1)/n", b)
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.45)
	return p, nil
}

// FeatureDrift overlays the histograms of one feature before and after
// policy optimisation.
func FeatureDrift(name string, before, after []float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if err := check("feature drift", before, after); err != nil {
		return nil, err
	}
	p := th.newPlot(fmt.Sprintf("How optimisation moved %s", name), name, "density")
	lo, hi := minmax(before, after)
	if err := th.hist(p, "base policy", 0, before, lo, hi, 40); err != nil {
		return nil, err
	}
	if err := th.hist(p, "optimised policy", 1, after, lo, hi, 40); err != nil {
		return nil, err
	}
	headroom(p, 0.3)
	return p, nil
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
		sc.GlyphStyle = draw.GlyphStyle{Color: Palette[i], Radius: th.FontSize / 4, Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	th.addHLine(p, "chance", 0.5, x[0], x[len(x)-1], th.refStyle())
	p.Y.Min, p.Y.Max = 0.4, 1
	headroom(p, 0.3)
	return p, nil
}

// Series is one named line of a Lines plot.
type Series struct {
	Name   string
	Y      []float64
	Dashed bool
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
		if err := th.addLine(p, s.Name, i, s.Dashed, x, s.Y); err != nil {
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
