package stats_test

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/sim/stats"
)

// A reward model's scores need only order answers as the truth does:
// Spearman's correlation ignores any monotone distortion of the scale.
func ExampleSpearman() {
	gold := []float64{-1.2, 0.3, 0.9, 2.5}
	scores := []float64{-40, 1, 2, 1000} // same order, wild scale
	fmt.Println(stats.Spearman(scores, gold), stats.Kendall(scores, gold))
	// Output:
	// 1 1
}
