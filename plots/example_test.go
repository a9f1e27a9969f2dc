package plots_test

import (
	"fmt"
	"log"
	"math"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// A lesson draws its own curves with Lines: shared x values, one or more
// named series, and the house style. nb.Figure shows the plot; here it is
// saved to a file.
func ExampleLines() {
	x := []float64{0, 1, 2, 3, 4, 5, 6}
	var loss, acc []float64
	for _, e := range x {
		loss = append(loss, 0.35+0.34*math.Exp(-e))
		acc = append(acc, 0.84-0.34*math.Exp(-e))
	}
	p, err := plots.Lines("Training a reward model", "epoch", "value", x, []plots.Series{
		{Name: "loss", Y: loss},
		{Name: "accuracy", Y: acc, Dashed: true},
	}, plots.Print())
	if err != nil {
		log.Fatal(err)
	}
	if err := plots.Save(p, plots.Print(), "testdata/example_lines.png"); err != nil {
		log.Fatal(err)
	}
}

// Scatter draws translucent points, for thousands of responses at once.
func ExampleScatter() {
	var score, gold []float64
	for i := 0; i < 300; i++ {
		g := math.Sin(float64(i) * 0.7)
		gold = append(gold, g)
		score = append(score, 0.8*g+0.3*math.Cos(float64(i)*1.3))
	}
	p, err := plots.Scatter("Score against gold", "gold reward", "score", gold, score, plots.Print())
	if err != nil {
		log.Fatal(err)
	}
	if err := plots.Save(p, plots.Print(), "testdata/example_scatter.png"); err != nil {
		log.Fatal(err)
	}
}

// Overoptimisation takes each method's curve and, to draw it, the Gao law
// fitted to it; stats.FitGao computes the fit, so the figure only draws.
func ExampleOveroptimisation() {
	var bon, rl plots.Curve
	for i := 0; i <= 30; i++ {
		d := 0.1 * float64(i)
		bon.KL, bon.Proxy, bon.Gold = append(bon.KL, d*d), append(bon.Proxy, 1.5*d), append(bon.Gold, d*(1.2-0.3*d))
		rl.KL, rl.Proxy = append(rl.KL, d*d), append(rl.Proxy, 1.8*d)
		g := 0.0
		if d > 0 {
			g = d * (0.8 - 0.25*math.Log(d))
		}
		rl.Gold = append(rl.Gold, g)
	}
	bf, err := stats.FitGao(stats.GaoBoN, bon.KL, bon.Gold)
	if err != nil {
		log.Fatal(err)
	}
	rf, err := stats.FitGao(stats.GaoRL, rl.KL, rl.Gold)
	if err != nil {
		log.Fatal(err)
	}
	bon.Fit, rl.Fit = &bf, &rf
	fmt.Println("best-of-n:", bf)
	fmt.Println("RL:", rf)
	p, err := plots.Overoptimisation(bon, rl, plots.Print())
	if err != nil {
		log.Fatal(err)
	}
	if err := plots.Save(p, plots.Print(), "testdata/example_overoptimisation.png"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// best-of-n: d (1.20 - 0.30 d)
	// RL: d (0.80 - 0.25 log d)
}

// TestExamples checks each example's figure against its golden image, as
// gonum/plot checks its own examples (go test ./plots -regen rewrites
// them).
func TestExamples(t *testing.T) {
	cmpimg.CheckPlotApprox(ExampleLines, t, 0.02, "example_lines.png")
	cmpimg.CheckPlotApprox(ExampleScatter, t, 0.02, "example_scatter.png")
	cmpimg.CheckPlotApprox(func() {
		// Its printed fits are checked by its // Output: comment.
		ExampleOveroptimisation()
	}, t, 0.02, "example_overoptimisation.png")
}
