// Title: template
// Summary: One sentence on what the student will see happen.
// Minutes: 10
// Learn-before: 01-hidden-truth
// Learn-after:
package main

// This is the lesson that "rlhfsim new NAME" copies, with NAME as its
// title. It is a real lesson: go vet and the tests compile it, check it
// and run it, so a new lesson starts from code that works.

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
)

func main() {
	// %% [markdown]
	// Prose cells are comment lines. The page's header shows the title,
	// so begin with what the student is about to see and why it matters,
	// not a heading; then ask them to predict it before they see it.

	// %%
	nb.Predict("How many preference pairs does one ranking of 4 answers give?",
		[]string{"3", "4", "6", "12"}, 2, "C(4,2) = 6: each answer beats every answer ranked below it.")

	// %%
	prompts := nb.Int("prompts", 500, 50, 5000, "number of prompts to generate")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.Data.Prompts = prompts
	g, err := c.Data.Generate(c.Seed)
	nb.Must(err)
	d := g.Data
	fmt.Println("pairs:", len(d.Pairs))

	// %% [markdown]
	// Show it in a figure, explain the output, then check that the
	// phenomenon really happened in this run.

	// %%
	ks := []float64{2, 3, 4, 5, 6}
	pairs := make([]float64, len(ks))
	for i, k := range ks {
		pairs[i] = k * (k - 1) / 2
	}
	p, err := plots.Lines("Pairs from one ranking", "answers ranked (K)", "pairs", ks, []plots.Series{{Name: "K(K-1)/2", Y: pairs}}, nil)
	nb.Must(err)
	nb.Figure("A ranking of K answers gives K(K-1)/2 pairs", p)
	nb.Check("every prompt gave K(K-1)/2 pairs", len(d.Pairs) == prompts*6,
		"a K-way ranking implies one pair per two answers")
	nb.Quiz("Why are pairs split by prompt, never by pair?",
		[]string{"to balance the splits", "pairs of one prompt share answers, so splitting them leaks", "it is faster"}, 1,
		"The pairs of a prompt share its answers: a split by pair would test on answers seen in training.")
}
