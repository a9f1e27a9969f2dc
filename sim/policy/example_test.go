package policy_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Best-of-n moves away from the base policy by at most log n - (n-1)/n
// nats, however good the scorer, and beats a base-policy sample with
// probability n/(n+1) (exactly, when no two answers score the same).
func ExampleBestOfN() {
	w := world.Default()
	prompts := w.Prompts(50, 0, rand.New(rand.NewPCG(1, 2)))
	pool := policy.NewPool(w, prompts, 64, rand.NewPCG(3, 4))
	gold := pool.Scores(w.Gold)
	for _, n := range []int{1, 4, 16} {
		b := policy.BestOfN(pool, gold, gold, n)
		fmt.Printf("n=%2d  KL %.3f <= bound %.3f  win rate %.3f <= %.3f\n", n, b.KL, b.Bound, b.WinRate, float64(n)/float64(n+1))
	}
	// Output:
	// n= 1  KL 0.000 <= bound 0.000  win rate 0.500 <= 0.500
	// n= 4  KL 0.636 <= bound 0.636  win rate 0.800 <= 0.800
	// n=16  KL 1.832 <= bound 1.835  win rate 0.941 <= 0.941
}
