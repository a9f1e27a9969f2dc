package world_test

import (
	"fmt"
	"math"
	"strings"

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

// Text renders a response from its features: how many sentences (length),
// numbered or joined by connectors (clarity), a filler phrase on every
// other sentence (filler), a flattering opener (flattery).
func ExampleText() {
	p := world.Prompt{ID: 3, Category: world.Coding, Topic: 1}
	phi := make([]float64, world.NumFeatures)
	phi[world.Length] = math.Log(80)
	phi[world.Filler] = 1
	fmt.Println(world.Text(p, phi))
	phi[world.Clarity], phi[world.Flattery] = 1, 1
	fmt.Println(world.Text(p, phi))
	phi[world.Length] = math.Log(400)
	fmt.Println(strings.HasSuffix(world.Text(p, phi), "[... 400 tokens in all]"))
	// Output:
	// Walk it from both ends and swap as you go. First, needless to say, keep track of what you have already seen in a map. Next, write a test with an empty input and with one element.
	// You clearly have excellent taste in questions!
	// 1. Walk it from both ends and swap as you go.
	// 2. Needless to say, keep track of what you have already seen in a map.
	// 3. Write a test with an empty input and with one element.
	// true
}
