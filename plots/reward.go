package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

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
	}{{"learned", learned}, {"gold's slope at the base policy", truth}} {
		if s.v == nil {
			continue
		}
		b, err := plotter.NewBarChart(plotter.Values(s.v), w)
		if err != nil {
			return nil, err
		}
		b.Color = palette[i]
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
	return CalibrationCurves("Are the predicted preferences calibrated?", "observed frequency",
		[]NamedBins{{Name: "reward model", Bins: bins}}, th)
}

// NamedBins is one calibration curve: a name for the legend and its bins.
type NamedBins struct {
	Name string
	Bins []reward.Bin
}

// CalibrationCurves draws several calibration curves on one figure, each
// bin's mean predicted probability against its observed value (ylabel
// says what that is), with the diagonal of perfect calibration. Empty
// bins are skipped.
func CalibrationCurves(title, ylabel string, curves []NamedBins, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(curves) == 0 {
		return nil, fmt.Errorf("%w: calibration: no curves", ErrData)
	}
	p := th.newPlot(title, "predicted P(first response wins)", ylabel)
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.LineStyle = th.refStyle()
	p.Add(diag)
	p.Legend.Add("perfect calibration", diag)
	for i, c := range curves {
		var pred, obs []float64
		for _, b := range c.Bins {
			if b.Count > 0 {
				pred, obs = append(pred, b.Predicted), append(obs, b.Observed)
			}
		}
		if err := check("calibration", pred, obs); err != nil {
			return nil, err
		}
		l, s, err := plotter.NewLinePoints(xys(pred, obs))
		if err != nil {
			return nil, err
		}
		l.LineStyle = th.lineStyle(i, false)
		s.GlyphStyle = draw.GlyphStyle{Color: l.LineStyle.Color, Radius: th.FontSize / 4, Shape: draw.CircleGlyph{}}
		p.Add(l, s)
		p.Legend.Add(c.Name, l, s)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	if len(curves) > 1 {
		// Curves that fall from the top left would run under the
		// legend: give it a band of its own above the data.
		headroom(p, 0.1*float64(len(curves)+1))
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = th.FontSize / 2
	return p, nil
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
