// Title: Why reward models start from a language model
// Summary: A reward model is a scalar head on a representation. On the same comparisons, a head on a representation pretrained from unlabelled responses learns from far fewer of them than a head on the raw observations, and a random representation of the same width never gets there; pretraining helps only in so far as what it learns to represent is what the reward depends on.
// Minutes: 15
// Learn-before: 04-training-as-ranking
// Learn-after: 19-accuracy-is-not-enough
package main

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/represent"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// target is the agreement with gold the representations race to.
const target = 0.74

// reading is one way of reading responses: the features a head reads
// for a dataset whose responses were observed as x.
type reading struct {
	name string
	read func(d *prefs.Dataset, x []float64) *prefs.Dataset
}

// first returns the first size whose agreement reaches target, or 0.
func first(sizes []int, agree []float64) int {
	for i, a := range agree {
		if a >= target {
			return sizes[i]
		}
	}
	return 0
}

func main() {
	// %% [markdown]
	// A real reward model is a language model whose last layer, the one
	// that predicts the next token, is replaced by a **scalar head**: one
	// linear layer with a single output, the score. InstructGPT, for
	// example, started its reward model from its supervised fine-tuned
	// model with the unembedding layer removed. Everything below the head
	// is a **representation** of the prompt and response, learned in
	// pretraining from text no one labelled. Why start there rather than
	// from scratch?
	//
	// So far our reward models read each response's features directly.
	// Here they read what a model of text would: a raw **observation** of
	// 256 coordinates, in which the 31 features are rotated and spread
	// over all coordinates, with noise in each. Three ways to read it,
	// each with a linear head trained on the same comparisons:
	//
	// - **pretrained**: the 31 directions in which 4,000 unlabelled
	//   responses vary most (their principal components), learned
	//   without a single comparison;
	// - **raw**: all 256 coordinates, so the head has 256 weights to
	//   learn instead of 31;
	// - **random**: 31 directions drawn at random, the same width as
	//   the pretrained one, with no learning.
	//
	// Each head is fitted to the exact minimum of its loss (L-BFGS, with
	// a little weight decay), so that no training trick decides the
	// race. We measure how often each orders held-out pairs as the gold
	// reward does.

	// %%
	width := nb.Int("raw-width", 256, 256, 768, "coordinates of a raw observation")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.RM.Settings.Optimizer = reward.LBFGS
	c.RM.Objective.L2 = 0.1
	c.RM.Settings.Epochs = 500 // L-BFGS iterations at most: enough to converge
	gen := func(prompts int, seed uint64, test float64) *prefs.Dataset {
		dc := c.Data
		dc.Prompts, dc.Test = prompts, test
		g, err := dc.Generate(seed)
		nb.Must(err)
		return g.Data
	}
	unlabelled := gen(1000, c.Seed*10+1, 0)
	observe := func(nuisance int) (*represent.Observer, *represent.Projection) {
		obs, err := represent.NewObserver(unlabelled.Phi, unlabelled.D(), &represent.Settings{Width: width, Nuisance: nuisance}, rng.Stream(c.Seed, "lesson20/observer"))
		nb.Must(err)
		pre, err := represent.Pretrain(obs.Observations(unlabelled, rng.Stream(c.Seed, "lesson20/unlabelled")), width, unlabelled.D())
		nb.Must(err)
		return obs, pre
	}
	obs, pre := observe(0)
	random, err := represent.Random(width, unlabelled.D(), rng.Stream(c.Seed, "lesson20/random"))
	nb.Must(err)
	through := func(p *represent.Projection, prefix string) func(d *prefs.Dataset, x []float64) *prefs.Dataset {
		return func(d *prefs.Dataset, x []float64) *prefs.Dataset {
			out, err := represent.Apply(d, p.Map(x), p.Width(), prefix)
			nb.Must(err)
			return out
		}
	}
	readings := []reading{
		{"pretrained (31 weights)", through(pre, "h")},
		{fmt.Sprintf("raw (%d weights)", width), func(d *prefs.Dataset, x []float64) *prefs.Dataset {
			out, err := represent.Apply(d, x, width, "x")
			nb.Must(err)
			return out
		}},
		{"random (31 weights)", through(random, "r")},
		{"the features themselves (earlier lessons)", func(d *prefs.Dataset, _ []float64) *prefs.Dataset { return d }},
	}
	// One large held-out set, observed and read the same ways.
	heldOut := gen(1000, c.Seed*10+2, 0)
	heldX := obs.Observations(heldOut, rng.Stream(c.Seed, "lesson20/held-out"))
	agreement := func(rd reading, d *prefs.Dataset, x []float64) float64 {
		tr, err := c.RM.Train(rd.read(d, x), c.Seed)
		nb.Must(err)
		a, err := reward.Agreement(tr.Scorer.Model, rd.read(heldOut, heldX))
		nb.Must(err)
		return a
	}

	// %% [markdown]
	// Before you look: which head needs the fewest labelled prompts to
	// order 74% of held-out pairs as gold does?

	// %%
	curves := make([][]float64, len(readings))
	// learn trains every head on n labelled prompts and appends each
	// one's held-out agreement to its curve.
	learn := func(n int) {
		// Small datasets vary a lot from one draw to the next: average
		// over up to four, so that a lucky draw does not decide the race.
		draws := 1600 / n
		if draws > 4 {
			draws = 4
		}
		if draws < 1 {
			draws = 1
		}
		sum := make([]float64, len(readings))
		for k := 0; k < draws; k++ {
			seed := c.Seed*100000 + uint64(n)*10 + uint64(k)
			d := gen(n, seed, 0)
			x := obs.Observations(d, rng.Stream(seed, "lesson20/observe"))
			for i, rd := range readings {
				sum[i] += agreement(rd, d, x) / float64(draws)
			}
		}
		for i := range readings {
			curves[i] = append(curves[i], sum[i])
		}
	}
	small := []int{25, 50, 100, 200, 400}
	for _, n := range small {
		learn(n)
	}

	// %%
	large := []int{800, 1600, 3200}
	for _, n := range large {
		learn(n)
	}
	sizes := append(small, large...)
	needPre, needRaw, needRandom := first(sizes, curves[0]), first(sizes, curves[1]), first(sizes, curves[2])
	fewest := 0
	switch {
	case needRaw > 0 && (needPre == 0 || needRaw < needPre):
		fewest = 1
	case needRandom > 0 && (needPre == 0 || needRandom < needPre):
		fewest = 2
	}
	nb.Predict("Which head reaches 74% agreement with gold on the fewest labelled prompts?",
		[]string{"the one on the pretrained representation", "the one on the raw observation", "the one on the random representation"}, fewest,
		fmt.Sprintf("Pretrained: %d prompts; raw: %d; random: %d (0 means not within 3,200).", needPre, needRaw, needRandom))
	xs := make([]float64, len(sizes))
	for i, n := range sizes {
		xs[i] = float64(n)
	}
	var series []plots.Series
	for i, rd := range readings {
		series = append(series, plots.Series{Name: rd.name, Y: curves[i], Dashed: i == 3})
	}
	fig, err := plots.Lines("What a head learns from the same comparisons", "labelled prompts (4 answers ranked each)", "held-out agreement with gold", xs, series, nil)
	nb.Must(err)
	fig.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, n := range sizes {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	fig.X.Tick.Marker = plot.ConstantTicks(ticks)
	nb.Figure("Agreement with gold on held-out pairs against the prompts the head was trained on, for each way of reading the responses", fig)
	last := len(sizes) - 1
	fmt.Printf("at %d prompts: pretrained %.3f, raw %.3f, random %.3f, features %.3f\n", sizes[last], curves[0][last], curves[1][last], curves[2][last], curves[3][last])
	nb.Check("the pretrained head reaches 74% agreement, and the raw head needs at least twice as many prompts to get there (or never does)",
		needPre > 0 && (needRaw == 0 || needRaw >= 2*needPre), "31 weights to learn rather than hundreds: fewer comparisons pin them down")
	nb.Check("the random head never reaches it, and ends at least 0.05 below the pretrained head",
		needRandom == 0 && curves[2][last] <= curves[0][last]-0.05, "31 random directions catch only a small share of the features, beside the full noise of the observation")
	nb.Check("with 3,200 prompts the raw head comes within 0.03 of the pretrained one",
		curves[1][last] >= curves[0][last]-0.03, "the raw observation holds everything the pretrained representation does: with enough comparisons the head finds it")
	nb.Check("and reading the features themselves is better still, by 0.02 or more", curves[3][last] >= curves[0][last]+0.02,
		"the observation's noise is in every representation of it")

	// %% [markdown]
	// ## What pretraining has to find
	//
	// The pretrained representation won because the directions in which
	// these responses vary most are the features they are made of: we
	// built the world that way, standing in for what pretraining on text
	// is thought to learn. That is an assumption, so test it. In real
	// text much varies that no reward cares about: topic, style, layout.
	// Give every observation 40 more directions of variation, twice as
	// loud as any feature and unrelated to gold, pretrain again on the
	// unlabelled responses, and train each head on the same 800 prompts.

	// %%
	loudObs, loudPre := observe(40)
	loudRandom, err := represent.Random(width, unlabelled.D(), rng.Stream(c.Seed, "lesson20/random"))
	nb.Must(err)
	d := gen(800, c.Seed*100000+8000, 0)
	x := loudObs.Observations(d, rng.Stream(c.Seed, "lesson20/loud"))
	loudHeldX := loudObs.Observations(heldOut, rng.Stream(c.Seed, "lesson20/held-out"))
	loudAgreement := func(p *represent.Projection) float64 {
		read := through(p, "h")
		tr, err := c.RM.Train(read(d, x), c.Seed)
		nb.Must(err)
		a, err := reward.Agreement(tr.Scorer.Model, read(heldOut, loudHeldX))
		nb.Must(err)
		return a
	}
	loudP, loudR := loudAgreement(loudPre), loudAgreement(loudRandom)
	nb.Table([]string{"800 labelled prompts, head on", "responses vary most in their features", "louder nuisance in the observations"}, [][]string{
		{"the pretrained representation", fmt.Sprintf("%.3f", curves[0][5]), fmt.Sprintf("%.3f", loudP)},
		{"a random representation", fmt.Sprintf("%.3f", curves[2][5]), fmt.Sprintf("%.3f", loudR)},
	})
	nb.Check("with louder nuisance the pretrained head is no better than the random one (within 0.02)", loudP <= loudR+0.02,
		"pretraining keeps the directions that vary most: here the nuisance, not the features")

	// %% [markdown]
	// Pretraining is not magic: it helps in so far as what it learns to
	// represent is what the reward depends on. The scalar head then has
	// little left to learn, a few weights to say how much each part of
	// the representation is worth, and that is what a few thousand
	// comparisons can pin down. Real reward models also fine-tune the
	// layers below the head, which this lesson does not simulate.

	// %%
	nb.Quiz("A team trains a reward model's head on the same 2,000 comparisons twice: on a pretrained representation, and on one of the same width with random weights. Why does the pretrained one agree more with gold?",
		[]string{"its representation already holds the features the reward depends on, so a few weights suffice",
			"it has more weights to learn, so it can fit the comparisons more closely and generalise from them better",
			"pretraining removes the annotators' noise from the comparisons",
			"the random representation has fewer dimensions, so it cannot hold the features"}, 0,
		"Both heads had 31 weights and the same comparisons; the random directions caught only a small share of the features, beside the full noise of the observation.")
	nb.TrueFalse("Starting a reward model from a pretrained language model helps whatever the pretraining data, because any pretraining finds the features that matter.", false,
		"Pretraining keeps what varies most in its data. With louder nuisance in the observations, the pretrained head did no better than a random one.")
}
