// Title: Your world
// Summary: Questions whose answers differ between students.
// Minutes: 2
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func main() {
	// %% [markdown]
	// A lesson for the grader's tests: one conceptual quiz, one
	// prediction and one number, the last two from the student's world.

	// %%
	w := world.DefaultGoldSpec().W
	more := 0
	if w[world.Correctness] > w[world.Helpfulness] {
		more = 1
	}
	nb.Quiz("What does a reward model learn from?", []string{"comparisons", "gold rewards"}, 0, "Only comparisons reach it.")
	nb.Predict("Which weighs more in your world's gold reward?", []string{"helpfulness", "correctness"}, more,
		fmt.Sprintf("helpfulness %.3f, correctness %.3f", w[world.Helpfulness], w[world.Correctness]))
	nb.Number("The gold weight of helpfulness in your world?", w[world.Helpfulness], 0.01, "read off the gold spec")
}
