package prefs_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func ExampleToPairs() {
	// An annotator ranked response 2 best, then 0, then 1.
	for _, p := range prefs.ToPairs([]int{2, 0, 1}, nil) {
		fmt.Printf("%d preferred to %d\n", p[0], p[1])
	}
	// Output:
	// 2 preferred to 0
	// 2 preferred to 1
	// 0 preferred to 1
}

func ExampleGenerate() {
	panel := []annotate.Annotator{{Name: "ann", Tau: 0}} // a perfect annotator
	d, err := prefs.Generate(world.Default(), panel, &prefs.Settings{Prompts: 100, K: 4}, rand.NewPCG(1, 2))
	if err != nil {
		panic(err)
	}
	s := prefs.Summarize(d)
	fmt.Println("pairs:", s.Pairs, "train pairs:", s.Train.Pairs)
	fmt.Println("label noise:", s.LabelNoise)
	// Output:
	// pairs: 600 train pairs: 480
	// label noise: 0
}
