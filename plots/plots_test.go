package plots

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/cmpimg"
	"gonum.org/v1/plot/vg"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// testTheme is the print preset at a lower resolution, to keep the golden
// images small.
var testTheme = &Theme{Name: "test", Width: Print().Width, Height: Print().Height, FontSize: Print().FontSize, LineWidth: Print().LineWidth, DPI: 150}

// Fixed inputs for every builder: closed-form curves, no randomness.
func epochs() []reward.Epoch {
	var h []reward.Epoch
	for e := 0; e <= 10; e++ {
		x := float64(e)
		h = append(h, reward.Epoch{Epoch: e, Loss: 0.35 + 0.34*math.Exp(-x), ValLoss: 0.37 + 0.32*math.Exp(-x),
			TrainAcc: 0.84 - 0.34*math.Exp(-x), ValAcc: 0.82 - 0.32*math.Exp(-x)})
	}
	return h
}

func steps() []policy.Step {
	var s []policy.Step
	for i := 0; i <= 100; i++ {
		x := float64(i) / 10
		s = append(s, policy.Step{Step: i, KL: x * x / 2, Proxy: 2 * x, Gold: x * (1.5 - 0.2*x),
			GoldAgreement: 0.2 + 0.65/(1+math.Exp(x-4))})
	}
	return s
}

func bonRows() []policy.BoN {
	var r []policy.BoN
	for _, n := range []int{1, 2, 4, 8, 16, 32} {
		b := policy.BoNBound(n)
		r = append(r, policy.BoN{N: n, KL: 0.98 * b, Bound: b, Proxy: math.Log(float64(n)), Gold: 0.8 * math.Log(float64(n))})
	}
	return r
}

func seq(n int, f func(i int) float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = f(i)
	}
	return x
}

var builders = map[string]func() (*plot.Plot, error){
	"ranking_to_pairs": func() (*plot.Plot, error) { return RankingToPairs([]string{"C", "A", "D", "B"}, testTheme) },
	"training_curves":  func() (*plot.Plot, error) { return TrainingCurves(epochs(), 0.83, testTheme) },
	"score_vs_gold": func() (*plot.Plot, error) {
		g := seq(200, func(i int) float64 { return float64(i)/50 - 2 })
		return ScoreVsGold(seq(200, func(i int) float64 { return g[i] + 0.5*math.Sin(float64(i)) }), g, testTheme)
	},
	"weights": func() (*plot.Plot, error) {
		return Weights([]string{"a", "b", "length"}, []float64{1, 0.4, 0.8}, []float64{1, 0.5, 0}, testTheme)
	},
	"calibration": func() (*plot.Plot, error) {
		var bins []reward.Bin
		for i := 0; i < 10; i++ {
			c := (float64(i) + 0.5) / 10
			bins = append(bins, reward.Bin{Lo: c - 0.05, Hi: c + 0.05, Count: 10, Predicted: c, Observed: c + 0.05*math.Sin(float64(i))})
		}
		return Calibration(bins, testTheme)
	},
	"score_distributions": func() (*plot.Plot, error) {
		raw := seq(500, func(i int) float64 { return 3 + 2*math.Sin(float64(i)*0.37) })
		return ScoreDistributions(raw, seq(500, func(i int) float64 { return raw[i] - 3 }), testTheme)
	},
	"policy_curves": func() (*plot.Plot, error) { return PolicyCurves(steps(), testTheme) },
	"gold_frontier": func() (*plot.Plot, error) {
		var cs []NamedCurve
		for i, b := range []float64{0.4, 0.2} {
			var c Curve
			for _, s := range steps() {
				c.KL, c.Gold = append(c.KL, s.KL*(1+float64(i))), append(c.Gold, s.Gold*b*5)
			}
			f, err := stats.FitGao(stats.GaoRL, c.KL, c.Gold)
			if err != nil {
				return nil, err
			}
			c.Fit = &f
			cs = append(cs, NamedCurve{Name: fmt.Sprintf("beta %g", b), Curve: c})
		}
		return GoldFrontier("Gold reward against KL", cs, []NamedPoint{{Name: "dpo", KL: 9, Gain: 4}}, testTheme)
	},
	"sweep_peaks": func() (*plot.Plot, error) {
		return SweepPeaks("peak gold gain", []float64{200, 2000, 20000},
			[]Series{{Name: "rlhf", Y: []float64{1.2, 1.9, 2.3}}, {Name: "dpo", Y: []float64{1.0, 1.7, 2.2}, Dashed: true}}, testTheme)
	},
	"accuracy_under_shift": func() (*plot.Plot, error) {
		return AccuracyUnderShift(steps(), 0.83, testTheme)
	},
	"overoptimisation": func() (*plot.Plot, error) {
		var rl, bon Curve
		for _, s := range steps() {
			rl.KL, rl.Gold, rl.Proxy = append(rl.KL, s.KL), append(rl.Gold, s.Gold), append(rl.Proxy, s.Proxy)
		}
		for _, b := range bonRows() {
			bon.KL, bon.Gold, bon.Proxy = append(bon.KL, b.KL), append(bon.Gold, b.Gold), append(bon.Proxy, b.Proxy)
		}
		for _, c := range []struct {
			curve *Curve
			form  stats.GaoForm
		}{{&bon, stats.GaoBoN}, {&rl, stats.GaoRL}} {
			f, err := stats.FitGao(c.form, c.curve.KL, c.curve.Gold)
			if err != nil {
				return nil, err
			}
			c.curve.Fit = &f
		}
		return Overoptimisation(bon, rl, testTheme)
	},
	"best_of_n": func() (*plot.Plot, error) { return BestOfN(bonRows(), testTheme) },
	"feature_drift": func() (*plot.Plot, error) {
		return FeatureDrift("length", seq(400, func(i int) float64 { return 4.7 + 0.5*math.Sin(float64(i)*0.91) }),
			seq(400, func(i int) float64 { return 6 + 0.5*math.Sin(float64(i)*0.53) }), testTheme)
	},
	"lines": func() (*plot.Plot, error) {
		x := seq(20, func(i int) float64 { return float64(i) })
		return Lines("Lines", "x", "y", x, []Series{{Name: "square root", Y: seq(20, func(i int) float64 { return math.Sqrt(float64(i)) })},
			{Name: "constant", Y: seq(20, func(int) float64 { return 2 }), Dashed: true}}, testTheme)
	},
	"scatter": func() (*plot.Plot, error) {
		x := seq(300, func(i int) float64 { return math.Sin(float64(i) * 0.7) })
		return Scatter("Scatter", "x", "y", x, seq(300, func(i int) float64 { return x[i]*x[i] + 0.1*math.Cos(float64(i)) }), testTheme)
	},
	"groups": func() (*plot.Plot, error) {
		x := seq(12, func(i int) float64 { return float64(i) / 12 })
		return Groups("Groups", "x", "y", []Group{{Name: "rising", X: x, Y: seq(12, func(i int) float64 { return x[i] })},
			{Name: "falling", X: x, Y: seq(12, func(i int) float64 { return 1 - x[i] })}}, testTheme)
	},
	"measures": func() (*plot.Plot, error) {
		return Measures("Measures", "share", []string{"first", "second", "third"}, []Measure{{Name: "model", Values: []float64{0.7, 0.55, 0.6}},
			{Name: "jury", Values: []float64{0.46, 0.52, 0.5}, Err: []float64{0.06, 0.06, 0}}}, 0.5, testTheme)
	},
	"ranking_vs_rating": func() (*plot.Plot, error) {
		return RankingVsRating([]float64{0, 0.5, 1, 1.5}, "offset spread", []float64{0.85, 0.85, 0.85, 0.85}, []float64{0.85, 0.83, 0.8, 0.76}, testTheme)
	},
}

// TestGolden renders every builder's figure and compares it with its golden
// image in testdata (go test ./plots -regen rewrites them). The tolerance
// absorbs anti-aliasing differences between machines.
func TestGolden(t *testing.T) {
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			cmpimg.CheckPlotApprox(func() {
				p, err := build()
				if err != nil {
					t.Fatal(err)
				}
				if err := Save(p, testTheme, filepath.Join("testdata", name+".png")); err != nil {
					t.Fatal(err)
				}
			}, t, 0.02, name+".png")
		})
	}
}

func TestBuildersRejectBadData(t *testing.T) {
	nan := math.NaN()
	for name, err := range map[string]error{
		"ranking_to_pairs": second(RankingToPairs([]string{"A"}, nil)),
		"training_curves":  second(TrainingCurves(nil, 0.8, nil)),
		"training_nan":     second(TrainingCurves([]reward.Epoch{{Loss: nan}}, 0.8, nil)),
		"score_vs_gold":    second(ScoreVsGold([]float64{1, nan}, []float64{1, 2}, nil)),
		"score_lengths":    second(ScoreVsGold([]float64{1}, []float64{1, 2}, nil)),
		"weights":          second(Weights(nil, nil, nil, nil)),
		"calibration":      second(Calibration([]reward.Bin{{Count: 0}}, nil)),
		"distributions":    second(ScoreDistributions(nil, []float64{1}, nil)),
		"policy":           second(PolicyCurves([]policy.Step{{Gold: math.Inf(1)}}, nil)),
		"overopt":          second(Overoptimisation(Curve{}, Curve{}, nil)),
		"shift_none":       second(AccuracyUnderShift(nil, 0.8, nil)),
		"frontier_none":    second(GoldFrontier("t", nil, nil, nil)),
		"frontier_nan":     second(GoldFrontier("t", []NamedCurve{{Name: "a", Curve: Curve{KL: []float64{nan}, Gold: []float64{0}}}}, nil, nil)),
		"frontier_point":   second(GoldFrontier("t", nil, []NamedPoint{{Name: "a", KL: nan}}, nil)),
		"peaks_zero":       second(SweepPeaks("y", []float64{0, 1}, []Series{{Name: "a", Y: []float64{1, 2}}}, nil)),
		"shift_nan":        second(AccuracyUnderShift([]policy.Step{{GoldAgreement: nan}}, 0.8, nil)),
		"shift_held_nan":   second(AccuracyUnderShift([]policy.Step{{GoldAgreement: 0.7}}, nan, nil)),
		"overopt_nan":      second(Overoptimisation(Curve{KL: []float64{nan}, Gold: []float64{0}, Proxy: []float64{0}}, Curve{}, nil)),
		"bon":              second(BestOfN(nil, nil)),
		"drift":            second(FeatureDrift("x", []float64{1}, nil, nil)),
		"rvr":              second(RankingVsRating([]float64{1}, "x", []float64{nan}, []float64{1}, nil)),
		"lines":            second(Lines("t", "x", "y", []float64{1, 2}, []Series{{Name: "a", Y: []float64{1}}}, nil)),
		"lines_none":       second(Lines("t", "x", "y", []float64{1}, nil, nil)),
		"scatter":          second(Scatter("t", "x", "y", []float64{1}, []float64{nan}, nil)),
		"groups_none":      second(Groups("t", "x", "y", nil, nil)),
		"groups_nan":       second(Groups("t", "x", "y", []Group{{Name: "a", X: []float64{nan}, Y: []float64{1}}}, nil)),
		"groups_lengths":   second(Groups("t", "x", "y", []Group{{Name: "a", X: []float64{1, 2}, Y: []float64{1}}}, nil)),
		"measures_none":    second(Measures("t", "y", []string{"a"}, nil, 0, nil)),
		"measures_nan":     second(Measures("t", "y", []string{"a"}, []Measure{{Name: "a", Values: []float64{nan}}}, 0, nil)),
		"measures_lengths": second(Measures("t", "y", []string{"a", "b"}, []Measure{{Name: "a", Values: []float64{1, 2}, Err: []float64{1}}}, 0, nil)),
	} {
		if !errors.Is(err, ErrData) {
			t.Errorf("%s: err = %v, want ErrData", name, err)
		}
	}
}

func second(_ *plot.Plot, err error) error { return err }

func TestRenderUnknownFormat(t *testing.T) {
	p, _ := RankingToPairs([]string{"A", "B"}, nil)
	if _, err := Render(p, nil, "gif"); err == nil {
		t.Error("gif accepted")
	}
}

func TestNiceTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var l []string
		for _, tk := range (niceTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				l = append(l, tk.Label)
			}
		}
		return l
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 25, "0 5 10 15 20 25"},
		{-1.1, 0.9, "-1.0 -0.5 0.0 0.5"},
		{0.5, 1, "0.5 0.6 0.7 0.8 0.9 1.0"},
		{-3, 12, "0 5 10"},
		{0, 0.25, "0.00 0.05 0.10 0.15 0.20 0.25"},
	} {
		if got := strings.Join(labels(c.lo, c.hi), " "); got != c.want {
			t.Errorf("ticks of [%v, %v]: %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestPrintTextIsAtLeast7Point: every text of a print figure (title, axis
// labels, tick labels, legend) is 7.5 pt or more, as the README says.
func TestPrintTextIsAtLeast7Point(t *testing.T) {
	p, err := Lines("t", "x", "y", []float64{0, 1}, []Series{{Name: "a", Y: []float64{0, 1}}}, Print())
	if err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]vg.Length{"title": p.Title.TextStyle.Font.Size, "x label": p.X.Label.TextStyle.Font.Size,
		"x ticks": p.X.Tick.Label.Font.Size, "y ticks": p.Y.Tick.Label.Font.Size, "legend": p.Legend.TextStyle.Font.Size} {
		if size < 7.5-1e-9 {
			t.Errorf("%s at %.2f pt", name, size)
		}
	}
}

// TestDescribeSaysWhatTheAxesSpan: the text alternative of a figure names
// its title, each axis with the range of the data, and its series.
func TestDescribeSaysWhatTheAxesSpan(t *testing.T) {
	p, err := Lines("Gold against KL", "KL", "gold", []float64{0, 2}, []Series{{Name: "gold", Y: []float64{-1, 3}}, {Name: "proxy", Y: []float64{0, 1}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Describe(p)
	for _, want := range []string{`A chart titled "Gold against KL"`, `horizontal axis "KL" from 0 to 2`, `vertical axis "gold" from -1 to `, "; 2 series: gold, proxy."} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}
