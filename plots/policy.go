package plots

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// PolicyCurves draws the proxy reward and the gold reward at every
// optimisation step, on one axis of reward. The KL, in nats, has a scale of
// its own and would flatten the rewards on a shared axis; Overoptimisation
// draws the rewards against it.
func PolicyCurves(steps []policy.Step, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var x, proxy, gold []float64
	for _, s := range steps {
		x = append(x, float64(s.Step))
		proxy, gold = append(proxy, s.Proxy), append(gold, s.Gold)
	}
	if err := check("policy curves", x, proxy, gold); err != nil {
		return nil, err
	}
	p := th.newPlot("Optimising the policy against the reward model", "policy step", "reward")
	for _, s := range []struct {
		name   string
		c      int
		dashed bool
		y      []float64
	}{{"proxy reward (reward model)", 0, false, proxy}, {"gold reward (hidden)", 2, false, gold}} {
		if err := th.addLine(p, s.name, s.c, s.dashed, x, s.y); err != nil {
			return nil, err
		}
	}
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.35)
	return p, nil
}

// Curve is one method's points on the overoptimisation figure: its KL to
// the starting policy, gold reward and proxy reward at each point, the
// first being the start, and the Gao law fitted to its gold gain, if any.
type Curve struct {
	KL, Gold, Proxy []float64
	// Fit is drawn as a solid line when not nil; stats.FitGao computes it.
	Fit *stats.GaoFit
}

// StepsCurve is an RL run's trajectory as a Curve, one point per step.
func StepsCurve(steps []policy.Step) Curve {
	var c Curve
	for _, s := range steps {
		c.KL, c.Gold, c.Proxy = append(c.KL, s.KL), append(c.Gold, s.Gold), append(c.Proxy, s.Proxy)
	}
	return c
}

// BoNCurve is a best-of-n sweep as a Curve, one point per n.
func BoNCurve(bon []policy.BoN) Curve {
	var c Curve
	for _, b := range bon {
		c.KL, c.Gold, c.Proxy = append(c.KL, b.KL), append(c.Gold, b.Gold), append(c.Proxy, b.Proxy)
	}
	return c
}

// Fitted returns the curve with Gao et al.'s law of the given form fitted
// to its gold gain (stats.FitGao), or the curve unchanged and the reason
// it cannot be fitted.
func (c Curve) Fitted(form stats.GaoForm) (Curve, error) {
	f, err := stats.FitGao(form, c.KL, c.Gold)
	if err != nil {
		return c, err
	}
	c.Fit = &f
	return c, nil
}

// Overoptimisation draws the gold and proxy gain over the starting policy
// against d = sqrt(KL), for best-of-n and for RL, with each curve's fitted
// law. Either curve may be empty, not both.
func Overoptimisation(bon, rl Curve, th *Theme) (*plot.Plot, error) {
	th = th.or()
	if len(bon.KL) == 0 && len(rl.KL) == 0 {
		return nil, fmt.Errorf("%w: overoptimisation: no points", ErrData)
	}
	p := th.newPlot("Overoptimisation: the proxy climbs, the gold turns", "d = sqrt(KL)", "gain over the base policy")
	for _, c := range []struct {
		name  string
		curve Curve
		color int
		glyph draw.GlyphDrawer
	}{{"best-of-n", bon, 2, draw.CircleGlyph{}}, {"RL", rl, 1, draw.TriangleGlyph{}}} {
		if len(c.curve.KL) == 0 {
			continue
		}
		if err := check(c.name, c.curve.KL, c.curve.Gold, c.curve.Proxy); err != nil {
			return nil, err
		}
		n := len(c.curve.KL)
		if len(c.curve.Gold) != n || len(c.curve.Proxy) != n {
			return nil, fmt.Errorf("%w: %s: KL, gold and proxy lengths differ", ErrData, c.name)
		}
		d := make([]float64, n)
		gold := make([]float64, n)
		proxy := make([]float64, n)
		for i := range d {
			d[i] = math.Sqrt(math.Max(c.curve.KL[i], 0))
			gold[i] = c.curve.Gold[i] - c.curve.Gold[0]
			proxy[i] = c.curve.Proxy[i] - c.curve.Proxy[0]
		}
		// At most 40 markers: hundreds of RL steps would blot the curve.
		step := max(1, n/40)
		var md, mg []float64
		for i := 0; i < n; i += step {
			md, mg = append(md, d[i]), append(mg, gold[i])
		}
		sc, err := plotter.NewScatter(xys(md, mg))
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: palette[c.color], Radius: th.FontSize / 4, Shape: c.glyph}
		p.Add(sc)
		p.Legend.Add(c.name+" gold", sc)
		pl, err := plotter.NewLine(xys(d, proxy))
		if err != nil {
			return nil, err
		}
		pl.LineStyle = th.lineStyle(c.color, true)
		p.Add(pl)
		p.Legend.Add(c.name+" proxy", pl)
		if fit := c.curve.Fit; fit != nil {
			f := plotter.NewFunction(fit.At)
			f.XMin, f.XMax = 0, d[n-1]
			f.Samples = 200
			f.LineStyle = th.lineStyle(c.color, false)
			p.Add(f)
			p.Legend.Add(fmt.Sprintf("%s fit a=%.2f b=%.2f", c.name, fit.Alpha, fit.Beta), f)
		}
	}
	p.Legend.Left = true
	p.Legend.XOffs = th.FontSize / 2
	headroom(p, 0.45)
	return p, nil
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

// AccuracyUnderShift draws the reward model's accuracy against the gold
// reward on the policy's own responses at each step (policy.Step's
// GoldAgreement) against d = sqrt(KL), beside its held-out accuracy on
// base-policy pairs and chance. A ring marks the step where the gold
// reward peaked: the model is trusted far beyond the data it was trained
// on, and this figure shows how little that trust is worth there.
func AccuracyUnderShift(steps []policy.Step, heldOut float64, th *Theme) (*plot.Plot, error) {
	th = th.or()
	var d, acc []float64
	for _, s := range steps {
		d, acc = append(d, math.Sqrt(math.Max(s.KL, 0))), append(acc, s.GoldAgreement)
	}
	if err := check("accuracy under shift", d, acc, []float64{heldOut}); err != nil {
		return nil, err
	}
	p := th.newPlot("The reward model on the policy's own answers", "d = sqrt(KL)", "pairwise accuracy against gold")
	if err := th.addLine(p, "on the policy's samples", 1, false, d, acc); err != nil {
		return nil, err
	}
	lo, hi := minmax(d)
	// The reference is the test pairs' accuracy: pairs of the K answers
	// annotators ranked, not the policy's own samples, so the curve's
	// first point, on the base policy's samples, need not sit on it.
	th.addHLine(p, fmt.Sprintf("held-out test pairs (%.3f)", heldOut), heldOut, lo, hi, th.refStyle())
	chance := th.refStyle()
	chance.Color = Gray
	th.addHLine(p, "chance", 0.5, lo, hi, chance)
	pk := 0
	for i, s := range steps {
		if s.Gold > steps[pk].Gold {
			pk = i
		}
	}
	ring, err := plotter.NewScatter(plotter.XYs{{X: d[pk], Y: acc[pk]}})
	if err != nil {
		return nil, err
	}
	ring.GlyphStyle = draw.GlyphStyle{Color: palette[2], Radius: th.FontSize / 2, Shape: draw.RingGlyph{}}
	p.Add(ring)
	p.Legend.Add(fmt.Sprintf("gold peak (step %d)", steps[pk].Step), ring)
	p.Y.Min, p.Y.Max = 0, 1
	headroom(p, 0.3)
	return p, nil
}
