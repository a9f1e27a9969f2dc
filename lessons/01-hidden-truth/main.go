// Title: The hidden truth
// Summary: Prompts, synthetic responses and the gold reward that real RLHF never gets to see.
// Minutes: 12
// Learn-before: 00-notebook-tour
// Learn-after: 02-ranking-vs-rating, 03-lists-to-pairs
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func main() {
	// %% [markdown]
	// RLHF teaches a language model with a **reward model**: a second
	// model that reads a prompt and one answer and returns a single number,
	// how good the answer is. People never write that number down. They
	// compare answers, and the reward model has to infer a scale from the
	// comparisons.
	//
	// So in real RLHF nobody knows how good an answer *truly* is. In this
	// course we do: every answer lives in a simulated world with a hidden
	// **gold reward**, and we can always check a model against it.
	//
	// ## A prompt and its answers
	//
	// The base policy (the model before RLHF) answers a prompt several
	// times. Each answer is rendered as text, so you can read it. The text
	// is a sketch of the features below, not all of them: a trait shows
	// only once it passes a mark (flattery opens the answer only when it is
	// well above the usual, a false claim appears only when correctness is
	// well below it), and the 24 cues never show at all. Two answers can
	// read alike and still differ in gold; the table of features is what
	// the gold reward actually scores.

	// %%
	k := nb.Int("k", 4, 2, 6, "how many answers to draw for the prompt")
	category := nb.Choice("category", "advice", []string{"factual", "advice", "creative", "coding"}, "kind of prompt")
	w := world.Default()
	r := rng.Stream(nb.Seed(), "lesson01/answers")
	cat, err := world.ParseCategory(category)
	nb.Must(err)
	var prompt world.Prompt
	for {
		ps := w.Prompts(1, 0, r)
		if ps[0].Category == cat {
			prompt = ps[0]
			break
		}
	}
	phis := make([]float64, k*world.NumFeatures)
	for i := 0; i < k; i++ {
		w.Sample(prompt, world.Response(phis, i), r)
	}
	fmt.Printf("Prompt (%s): %s\n\n", prompt.Category, prompt.Text)
	letters := []string{"A", "B", "C", "D", "E", "F"}
	for i := 0; i < k; i++ {
		fmt.Printf("Answer %s:\n%s\n\n", letters[i], world.Text(prompt, world.Response(phis, i)))
	}

	// %% [markdown]
	// Under the text, each answer is a vector of named **features**: how
	// helpful, correct, clear and harmless it is (in standard units, 0 is
	// average), how long it is, how much filler pads it and how much it
	// flatters the user; and 24 surface **cues**, such as formatting habits
	// or stock phrases, that travel with helpful answers but that the gold
	// reward ignores.

	// %%
	// The named features; each answer also has 24 surface cues (formatting
	// habits, stock phrases), which the gold reward ignores.
	names := world.FeatureNames()[:world.NumNamed]
	header := append([]string{"answer"}, names...)
	header[1+world.Length] = "length (tokens)"
	var rows [][]string
	for i := 0; i < k; i++ {
		row := []string{letters[i]}
		for j, x := range world.Response(phis, i)[:world.NumNamed] {
			if j == world.Length {
				row = append(row, fmt.Sprintf("%d", world.Tokens(x)))
			} else {
				row = append(row, fmt.Sprintf("%+.2f", x))
			}
		}
		rows = append(rows, row)
	}
	nb.Table(header, rows)

	// %% [markdown]
	// Before you look at the hidden truth: which answer do you think is
	// best? Read the texts and the features again, then choose.

	// %%
	gold := make([]float64, k)
	best := 0
	for i := 0; i < k; i++ {
		gold[i] = w.Gold(prompt, world.Response(phis, i))
		if gold[i] > gold[best] {
			best = i
		}
	}
	all := ""
	for i := 0; i < k; i++ {
		if i > 0 {
			all += ", "
		}
		all += fmt.Sprintf("%s %+.3f", letters[i], gold[i])
	}
	// The gold rewards go only into the reveal, which stays hidden until
	// the student has chosen.
	nb.Predict("Which answer has the highest gold reward?", letters[:k], best,
		fmt.Sprintf("Answer %s. The gold rewards are %s. The gold reward weighs helpfulness and correctness most, then harmlessness and clarity, subtracts filler and flattery, and penalises answers whose length is far from the ideal for the kind of prompt.", letters[best], all))

	// %% [markdown]
	// ## What the gold reward likes
	//
	// The gold reward pays for the quality features (helpfulness,
	// correctness, clarity, harmlessness), with diminishing returns far
	// above a typical answer; it takes off `1.5 (length - ideal)^2`, in log
	// tokens, for answers that are too short or too long, a little for
	// filler and flattery, and more for answers that push any trait to an
	// extreme; and it ignores the 24 surface cues. Note the trap this sets:
	// under the base policy longer answers are *also* a little more helpful
	// on average, so length and quality go together, even though length
	// itself is not what makes an answer good.

	// %%
	n := nb.Int("samples", 2000, 200, 20000, "base-policy answers to draw for the plot")
	var lens, helps []float64
	sample := make([]float64, world.NumFeatures)
	for i := 0; i < n; i++ {
		ps := w.Prompts(1, 0, r)
		w.Sample(ps[0], sample, r)
		lens = append(lens, sample[world.Length]-ps[0].Category.IdealLength())
		helps = append(helps, sample[world.Helpfulness])
	}
	p, err := plots.Scatter("Longer answers are a little more helpful", "length - ideal length (log tokens)", "helpfulness", lens, helps, nil)
	nb.Must(err)
	nb.Figure("Helpfulness of base-policy answers against their length: length travels with quality", p)
	rho := stats.Spearman(lens, helps)
	fmt.Printf("rank correlation of length with helpfulness: %+.3f\n", rho)
	nb.Check("longer answers are more helpful on average under the base policy", rho > 0.2,
		"length is a confounder: it travels with helpfulness without causing it")

	// %% [markdown]
	// The correlation is real, but it is not causation. Take the best answer
	// and change only its length: first to the ideal for this kind of
	// prompt, then to four times the ideal.

	// %%
	ideal := prompt.Category.IdealLength()
	atIdeal := make([]float64, world.NumFeatures)
	copy(atIdeal, world.Response(phis, best))
	atIdeal[world.Length] = ideal
	padded := make([]float64, world.NumFeatures)
	copy(padded, atIdeal)
	padded[world.Length] = ideal + math.Log(4)
	g0, g1 := w.Gold(prompt, atIdeal), w.Gold(prompt, padded)
	fmt.Printf("answer %s at the ideal %d tokens: gold %+.3f\n", letters[best], world.Tokens(ideal), g0)
	fmt.Printf("answer %s padded to %d tokens:   gold %+.3f\n", letters[best], world.Tokens(padded[world.Length]), g1)
	nb.Check("padding an answer to four times the ideal length lowers its gold reward", g1 < g0,
		"length is not quality: the gold reward penalises answers far longer than the ideal")

	// %% [markdown]
	// ## What a reward model is
	//
	// A reward model is a function `r(x, y)` from a prompt `x` and one
	// response `y` to a single real number. In a real system it is a
	// language model with its word-predicting head replaced by one that
	// outputs a scalar. Here it reads the feature vector. It never sees the
	// gold reward: it must learn from people's comparisons, with all their
	// noise and biases. The next lessons build it.

	// %%
	nb.Quiz("What does a reward model return for one prompt and one response?",
		[]string{"a ranking of all possible responses", "a single real-valued score", "the label preferred or not preferred", "the probability of each next token"}, 1,
		"It maps one prompt-response pair to one scalar. Comparing two scalars then gives a preference, and the scalar itself can steer a policy.")
}
