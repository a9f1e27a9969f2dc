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
	// Output:
	//  30 tokens: gold 0.279
	//  60 tokens: gold 1.000
	// 240 tokens: gold -1.883
}
