// Title: Why reward models start from a language model
// Summary: A reward model is a scalar head on a representation. On the same comparisons, a head on a representation pretrained from unlabelled responses learns from fewer of them than a head on the raw observations, which must learn to ignore the noise, and a random representation of the same width flattens out below both; pretraining helps only in so far as what it learns to represent is what the reward depends on.
// Minutes: 15
// Learn-before: 04-training-as-ranking
// Learn-after: 19-accuracy-is-not-enough
package main

import (
	"fmt"
	"math/rand/v2"

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
	// A typical reward model is a language model whose last layer, the
	// one that predicts the next token, is replaced by a **scalar head**:
	// a layer with a single output, the score. InstructGPT, for example,
	// started its reward model from its supervised fine-tuned model with
	// the unembedding layer removed. Everything below the head is a
	// **representation** of the prompt and response, learned mostly in
	// pretraining, from text no one labelled. Why start there? InstructGPT
	// did not compare starting points; the race below is this
	// simulator's.
	//
	// So far our reward models read each response's features directly.
	// Here they read a stand-in for raw text: an **observation** of
	// `raw-width` coordinates (256 unless you change it), in which the 31
	// features are spread over all coordinates by a random rotation, with
	// noise added to each. Three ways to read it, each with a linear head
	// trained on the same comparisons:
	//
	// - **pretrained**: the 31 directions in which 4,000 unlabelled
	//   responses vary most (their principal components), learned
	//   without a single comparison;
	// - **raw**: every coordinate, one weight each, most of them on
	//   directions that hold only noise;
	// - **random**: 31 directions drawn at random and frozen, the same
	//   width as the pretrained one, with no learning.
	//
	// Each head is fitted to the minimum of its loss (by L-BFGS, to
	// rounding precision) with **weight decay**, a penalty of 0.1 times
	// half the squared weights, the same for every head, so that the
	// optimiser's settings do not decide the race. Each is trained on 80%
	// of its labelled prompts (the rest are held for validation and
	// test), and we measure how often it orders the pairs of 1,000 other
	// prompts as the gold reward does.

	// %%
	width := nb.Int("raw-width", 256, 256, 768, "coordinates of a raw observation")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.RM.Settings.Optimizer = reward.LBFGS
	c.RM.Objective.L2 = 0.1
	c.RM.Settings.Epochs = 500 // L-BFGS iterations at most: enough to converge
	gen := func(prompts int, seed uint64) *prefs.Dataset {
		dc := c.Data
		dc.Prompts = prompts
		g, err := dc.Generate(seed)
		nb.Must(err)
		return g.Data
	}
	unlabelled := gen(1000, c.Seed*10+1)
	observations := func(o *represent.Observer, d *prefs.Dataset, src rand.Source) []float64 {
		x, err := o.Observations(d, src)
		nb.Must(err)
		return x
	}
	observe := func(s represent.Settings) (*represent.Observer, *represent.Projection) {
		s.Width = width
		obs, err := represent.NewObserver(unlabelled.Phi, unlabelled.D(), &s, rng.Stream(c.Seed, "lesson20/observer"))
		nb.Must(err)
		pre, err := represent.Pretrain(observations(obs, unlabelled, rng.Stream(c.Seed, "lesson20/unlabelled")), width, unlabelled.D())
		nb.Must(err)
		return obs, pre
	}
	obs, pre := observe(represent.Settings{})
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
	heldOut := gen(1000, c.Seed*10+2)
	// agreementOn trains a head on d read by rd and measures it on the
	// held-out prompts observed as heldX.
	agreementOn := func(rd reading, d *prefs.Dataset, x, heldX []float64) float64 {
		tr, err := c.RM.Train(rd.read(d, x), c.Seed)
		nb.Must(err)
		a, err := reward.Agreement(tr.Scorer.Model, rd.read(heldOut, heldX))
		nb.Must(err)
		return a
	}
	heldX := observations(obs, heldOut, rng.Stream(c.Seed, "lesson20/held-out"))
	agreement := func(rd reading, d *prefs.Dataset, x []float64) float64 { return agreementOn(rd, d, x, heldX) }

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
			d := gen(n, seed)
			x, err := obs.Observations(d, rng.Stream(seed, "lesson20/observe"))
			nb.Must(err)
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
		fmt.Sprintf("Pretrained: %d prompts; raw: %d; random: %d (0 means not within 3,200). The sizes double, so these are coarse.", needPre, needRaw, needRandom))
	xs := make([]float64, len(sizes))
	for i, n := range sizes {
		xs[i] = float64(n)
	}
	var series []plots.Series
	for i, rd := range readings {
		series = append(series, plots.Series{Name: rd.name, Y: curves[i], Dashed: i == 3})
	}
	fig, err := plots.Lines("What a head learns from the same comparisons", "labelled prompts (4 answers ranked each, 80% trained on)", "held-out agreement with gold", xs, series, nil)
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
	ahead := true
	for i, n := range sizes {
		if n >= 50 && n <= 800 && curves[0][i] <= curves[1][i] {
			ahead = false
		}
	}
	at200 := curves[0][3] - curves[1][3]
	nb.Check("the pretrained head is ahead of the raw one at every size from 50 to 800 prompts, by 0.02 or more at 200",
		ahead && at200 >= 0.02, "the raw head must learn to ignore the directions that hold only noise; the pretrained representation has dropped them")
	nb.Check("the random head does not reach 74% within 3,200 prompts, and ends at least 0.05 below the pretrained head",
		needRandom == 0 && curves[2][last] <= curves[0][last]-0.05, "31 random directions keep only a small share of the features, and all the noise along those directions")
	nb.Check("with 3,200 prompts the raw head comes within 0.03 of the pretrained one",
		curves[1][last] >= curves[0][last]-0.03, "the raw observation holds everything the pretrained representation does: with enough comparisons the head finds it")
	nb.Check("and reading the features themselves is better still, by 0.02 or more", curves[3][last] >= curves[0][last]+0.02,
		"we added noise to every coordinate, and no projection removes the part that lies along the features")

	// %% [markdown]
	// Is it the noise that slows the raw head, or its number of weights?
	// The ablation: the same observations without noise, 200 labelled
	// prompts, a raw head and a pretrained one.

	// %%
	quiet, quietPre := observe(represent.Settings{Noise: -1})
	qd := gen(200, c.Seed*100000+2000)
	qx, qHeld := observations(quiet, qd, rng.Stream(c.Seed, "lesson20/quiet")), observations(quiet, heldOut, rng.Stream(c.Seed, "lesson20/quiet-held-out"))
	qPre, qRaw := agreementOn(reading{"", through(quietPre, "h")}, qd, qx, qHeld), agreementOn(readings[1], qd, qx, qHeld)
	fmt.Printf("without noise, at 200 prompts: pretrained %.3f, raw %.3f\n", qPre, qRaw)
	nb.Check("without the noise the raw head matches the pretrained one at 200 prompts (within 0.01)", qRaw >= qPre-0.01,
		"the weights on empty directions cost nothing when those directions are silent: the noise in them is what takes comparisons to learn to ignore")

	// %% [markdown]
	// ## What pretraining has to find
	//
	// The pretrained representation won because the directions in which
	// these responses vary most span, almost exactly, the features they
	// are made of: we built the world that way, as a stand-in for what
	// pretraining on text is thought to learn. That is an assumption, so
	// see what happens when it fails. In real text much varies that no
	// reward cares about: topic, style, layout. Give every observation 40
	// more directions of variation, each with twice a feature's standard
	// deviation and unrelated to gold, pretrain again on the unlabelled
	// responses, and train each head on the same 800 prompts. There are
	// more loud directions than the representation's 31 slots.

	// %%
	loudObs, loudPre := observe(represent.Settings{Nuisance: 40})
	d := gen(800, c.Seed*100000+8000)
	x, loudX := observations(obs, d, rng.Stream(c.Seed, "lesson20/table")), observations(loudObs, d, rng.Stream(c.Seed, "lesson20/loud"))
	loudHeldX := observations(loudObs, heldOut, rng.Stream(c.Seed, "lesson20/loud-held-out"))
	loudP := agreementOn(reading{"", through(loudPre, "h")}, d, loudX, loudHeldX)
	loudR := agreementOn(readings[2], d, loudX, loudHeldX)
	nb.Table([]string{"800 labelled prompts, head on", "responses vary most in their features", "louder nuisance in the observations"}, [][]string{
		{"the pretrained representation", fmt.Sprintf("%.3f", agreement(readings[0], d, x)), fmt.Sprintf("%.3f", loudP)},
		{"a random representation", fmt.Sprintf("%.3f", agreement(readings[2], d, x)), fmt.Sprintf("%.3f", loudR)},
	})
	nb.Check("with louder nuisance the pretrained head falls to about chance (0.55 or less), below the random one", loudP <= 0.55 && loudP < loudR,
		"here pretraining keeps the directions that vary most: all 31 are nuisance, so the head has no feature to read")

	// %% [markdown]
	// Pretraining is not magic: it helps in so far as what it learns to
	// represent is what the reward depends on. The scalar head then has
	// little left to learn, a few weights to say how much each part of
	// the representation is worth, and that is what a few thousand
	// comparisons can pin down. Real reward models also fine-tune the
	// layers below the head, which this lesson does not simulate.

	// %%
	nb.Quiz("A team trains a reward model's head on the same 2,000 comparisons twice: on a pretrained representation, and on a frozen random one of the same width. Why does the pretrained one agree more with gold?",
		[]string{"its representation already holds the features the reward depends on, and has dropped the noise",
			"the random representation holds the same information; its head just needs more comparisons",
			"pretraining removes the annotators' noise from the comparisons the head is trained on",
			"the pretrained representation was fitted to the comparisons before the head was"}, 0,
		"Both heads had 31 weights and the same comparisons; the random directions kept only a small share of the features, and its curve flattened below the pretrained one.")
	nb.TrueFalse("In this lesson, with louder nuisance in the unlabelled responses, pretraining still gave the head a better start than a random representation.", false,
		"All 31 pretrained directions were nuisance: the pretrained head fell to about chance, below the random one.")
}
