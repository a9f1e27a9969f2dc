package verify_test

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// A verifier with weak tests passes a wrong answer that carries the trait
// the tests mistake for a right one (sometimes even a typical wrong one),
// and has nothing to say about advice.
func ExampleVerifier_PassProb() {
	v, err := verify.New(&verify.Settings{WeakTests: 0.9})
	if err != nil {
		panic(err)
	}
	wrong := make([]float64, world.NumFeatures)
	wrong[world.Correctness] = -1
	gaming := append([]float64(nil), wrong...)
	gaming[verify.Exploit] = 3
	code := world.Prompt{Category: world.Coding}
	fmt.Printf("wrong: %.3f\n", v.PassProb(code, wrong))
	fmt.Printf("wrong, gaming the tests: %.3f\n", v.PassProb(code, gaming))
	fmt.Println("checks advice:", v.Checks(world.Prompt{Category: world.Advice}))
	// Output:
	// wrong: 0.020
	// wrong, gaming the tests: 0.900
	// checks advice: false
}
