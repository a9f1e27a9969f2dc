// Title: Softplus
// Summary: An exercise with hidden tests.
// Minutes: 2
package main

import (
	"math"

	"github.com/rlhfsim/rlhfsim/nb"
)

func main() {
	// %% [markdown]
	// Write the Bradley-Terry loss of a pair with score margin m, and its
	// derivative in m.

	// %% [exercise loss]
	loss := func(m float64) (l, g float64) {
		// BEGIN SOLUTION
		l = math.Log1p(math.Exp(-m))
		g = -1 / (1 + math.Exp(m))
		// END SOLUTION
		return l, g
	}

	// %% [tests loss]
	l0, g0 := loss(0)
	nb.Check("loss(0) is log 2", math.Abs(l0-math.Ln2) < 1e-9, "softplus(-m) at m = 0")
	nb.Check("the gradient at 0 is -1/2", math.Abs(g0+0.5) < 1e-9, "d/dm log(1+exp(-m)) = -sigmoid(-m)")
	l3, g3 := loss(3)
	nb.Check("loss(3) and its gradient", math.Abs(l3-math.Log1p(math.Exp(-3))) < 1e-9 && math.Abs(g3+1/(1+math.Exp(3))) < 1e-9, "both at m = 3")

	// %%
	l1, _ := loss(1)
	nb.Check("the loss falls as the margin grows", l1 < l0, "a larger margin is a more confident right ranking")
}
