// Title: A tour of the notebook
// Summary: How a lesson works: prose, code, parameters, figures, tables, self-checks, quizzes and predictions.
// Minutes: 5
// Learn-before:
// Learn-after: 01-hidden-truth
package main

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// lengthCurve returns the gold reward of an otherwise average factual
// answer at each length, to show how the hidden reward treats length.
func lengthCurve(tokens []float64) []float64 {
	g := world.DefaultGoldSpec()
	p := world.Prompt{Category: world.Factual}
	phi := make([]float64, world.NumFeatures)
	out := make([]float64, len(tokens))
	for i, t := range tokens {
		phi[world.Length] = math.Log(t)
		out[i] = g.Reward(p, phi)
	}
	return out
}

func main() {
	// %% [markdown]
	// Every lesson in this course is a Go program cut into **cells**. Prose
	// cells like this one explain; code cells run, and what they print
	// appears right below them. You can run a lesson three ways:
	//
	// - `rlhfsim run 00-notebook-tour` prints it in the terminal and writes an
	//   HTML page you can open in a browser;
	// - `rlhfsim run 00-notebook-tour --set tokens=300` changes a parameter;
	// - `go run ./lessons/00-notebook-tour` compiles it like any Go program.

	// %%
	tokens := nb.Float("tokens", 120, 10, 1000, "answer length to inspect, in tokens")
	category := nb.Choice("category", "factual", []string{"factual", "advice", "creative", "coding"}, "kind of prompt")
	verbose := nb.Bool("verbose", false, "print the ideal length of every category")
	samples := nb.Int("samples", 5, 1, 20, "how many lengths to tabulate")
	fmt.Printf("inspecting a %s answer of %.0f tokens\n", category, tokens)

	// %% [markdown]
	// Parameters are declared in code with a default, bounds and a line of
	// help. The header of the lesson lists their values for this run.
	//
	// The hidden gold reward likes answers near an ideal length that
	// depends on the kind of prompt. Here is the ideal of each category:

	// %%
	cat, err := world.ParseCategory(category)
	nb.Must(err)
	if verbose {
		for c := world.Category(0); c < world.NumCategories; c++ {
			fmt.Printf("%-9s ideal %4d tokens\n", c, world.Tokens(c.IdealLength()))
		}
	}
	fmt.Printf("ideal length of a %s answer: %d tokens\n", cat, world.Tokens(cat.IdealLength()))

	// %% [markdown]
	// A **table** shows numbers side by side, and a **figure** shows them
	// at a glance.

	// %%
	var lens []float64
	for i := 0; i < samples; i++ {
		lens = append(lens, 30*math.Pow(2, float64(i)))
	}
	gold := lengthCurve(lens)
	var rows [][]string
	for i := range lens {
		rows = append(rows, []string{fmt.Sprintf("%.0f", lens[i]), fmt.Sprintf("%+.3f", gold[i])})
	}
	nb.Table([]string{"tokens", "gold reward"}, rows)
	at := lengthCurve([]float64{tokens})[0]
	flat := make([]float64, len(lens))
	for i := range flat {
		flat[i] = at
	}
	p, err := plots.Lines("The gold reward peaks at an ideal length", "answer length (tokens)", "gold reward", lens,
		[]plots.Series{{Name: "gold reward", Y: gold}, {Name: "at the inspected length", Y: flat, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("Gold reward of an average factual answer by length; the dashed line marks the inspected length", p)

	// %% [markdown]
	// A **self-check** verifies that something really happened in this run.
	// When it fails, its hint names the misconception to revisit.

	// %%
	best := 0
	for i := range gold {
		if gold[i] > gold[best] {
			best = i
		}
	}
	nb.Check("the gold reward peaks inside the tabulated range, not at its longest answer",
		best < len(gold)-1 || samples == 1,
		"if the longest answer scored best, the gold reward would reward length without limit; it does not")

	// %% [markdown]
	// A **prediction** asks you to guess before the hidden truth is shown,
	// and a **quiz** checks an idea.

	// %%
	nb.Predict("Which length does the gold reward prefer for a factual answer?",
		[]string{"30 tokens", "60 tokens", "240 tokens"}, 1,
		"60 tokens is the ideal length of factual answers; the reward falls off on both sides.")
	nb.Quiz("What does a self-check in a lesson verify?",
		[]string{"that the code compiles and runs without an error", "that a phenomenon really happened in this run", "that you answered the quiz that follows it correctly"}, 1,
		"Checks compute a condition from this run's numbers, so they can fail when you change parameters.")
	nb.TrueFalse("A parameter changed with --set takes effect without editing the lesson's code.", true,
		"Parameters are read at run time: --set name=value overrides the default without touching the code.")
}
