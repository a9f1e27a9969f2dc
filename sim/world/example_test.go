package world_test

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

func ExampleGold() {
	p := world.Prompt{Category: world.Factual}
	phi := make([]float64, world.NumFeatures)
	phi[world.Helpfulness] = 1
	g := world.DefaultGoldSpec()
	for _, tokens := range []float64{30, 60, 240} {
		phi[world.Length] = math.Log(tokens)
		fmt.Printf("%3.0f tokens: gold %.3f\n", tokens, g.Reward(p, phi))
	}
	// Helpfulness 1 is worth 1.5 tanh(1/1.5) = 0.874; 60 tokens is the
	// ideal; half or four times it costs 1.5 (ln 2)^2 or 1.5 (ln 4)^2, and
	// four times is also 2.77 standard deviations of length from the
	// ideal, 0.77 past the incoherence threshold.
	//
	// Output:
	//  30 tokens: gold 0.153
	//  60 tokens: gold 0.874
	// 240 tokens: gold -2.781
}
