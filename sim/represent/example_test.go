package represent_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/represent"
)

// A reward model reading responses through a representation pretrained
// on unlabelled responses: the same comparisons, new features.
func Example() {
	c := pipeline.Default()
	c.Data.Prompts = 200
	g, err := c.Data.Generate(1)
	if err != nil {
		panic(err)
	}
	d := g.Data
	obs, err := represent.NewObserver(d.Phi, d.D(), nil, rand.NewPCG(1, 1))
	if err != nil {
		panic(err)
	}
	x, err := obs.Observations(d, rand.NewPCG(2, 2))
	if err != nil {
		panic(err)
	}
	pre, err := represent.Pretrain(x, obs.Width(), d.D())
	if err != nil {
		panic(err)
	}
	read, err := represent.Apply(d, pre.Map(x), pre.Width(), "h")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d features, observed in %d coordinates, read through %d\n", d.D(), obs.Width(), read.D())
	fmt.Println("same pairs:", len(read.Pairs) == len(d.Pairs))
	// Output:
	// 31 features, observed in 256 coordinates, read through 31
	// same pairs: true
}
