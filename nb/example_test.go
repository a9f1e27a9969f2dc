package nb_test

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
)

// A parameter has a default, bounds and help; the student changes it with
// "rlhfsim run LESSON --set tau=0.5" (or a slider, in the browser), and the
// lesson reads it like any variable. Compiled, the lesson prints it.
func ExampleFloat() {
	tau := nb.Float("tau", 1, 0, 5, "annotator temperature: 0 is perfect, large is coin flips")
	fmt.Println("noise:", tau)
	// Output:
	// [parameter tau = 1]
	// noise: 1
}

// A choice takes one of a list of options.
func ExampleChoice() {
	gold := nb.Choice("gold", "default", []string{"default", "linear"}, "the hidden gold reward")
	fmt.Println("gold reward:", gold)
	// Output:
	// [parameter gold = default]
	// gold reward: default
}

// A check tests a number this run computed, and its hint names the
// misconception a failure would reveal.
func ExampleCheck() {
	accuracy, ceiling := 0.71, 0.73
	nb.Check("accuracy stays below the gold ceiling", accuracy <= ceiling,
		"a model cannot agree with noisy labels more often than the truth does")
	nb.Check("accuracy beats a coin", accuracy > 0.9, "the labels are noisy: 0.9 is out of reach")
	// Output:
	// ✓ accuracy stays below the gold ceiling
	// ✗ accuracy beats a coin
	//   hint: the labels are noisy: 0.9 is out of reach
}

// Predict asks before the lesson reveals what this run computed; the
// terminal and the web page hide the answer until the student has chosen.
func ExamplePredict() {
	pairs := 4 * 3 / 2
	truth := 0
	if pairs == 6 {
		truth = 2
	}
	nb.Predict("How many pairs does a ranking of 4 answers give?", []string{"3", "4", "6"}, truth,
		"Each answer beats every answer ranked below it: 3 + 2 + 1 = 6.")
	// Output:
	// Predict 1: How many pairs does a ranking of 4 answers give?
	//   a) 3
	//   b) 4
	//   c) 6
	//   answer: c) 6
	//   Each answer beats every answer ranked below it: 3 + 2 + 1 = 6.
}

// A table shows a few rows of numbers side by side.
func ExampleTable() {
	nb.Table([]string{"K", "pairs"}, [][]string{{"2", "1"}, {"4", "6"}, {"8", "28"}})
	// Output:
	// K  pairs
	// 2  1
	// 4  6
	// 8  28
}

// Must stops the lesson at an error it does not expect; the runner reports
// the message and the line.
func ExampleMust() {
	defer func() { fmt.Println("stopped:", recover()) }()
	nb.Must(fmt.Errorf("pipeline: bad configuration: 0 prompts"))
	// Output:
	// stopped: pipeline: bad configuration: 0 prompts
}
