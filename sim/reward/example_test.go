package reward_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// A linear reward model trained only on which response of each pair people
// preferred recovers the hidden gold weights.
func ExampleTrain() {
	w, _ := world.New(&world.Settings{Gold: world.LinearGold()})
	panel := []annotate.Annotator{{Name: "ann", Tau: 1}}
	d, _ := prefs.Generate(w, panel, &prefs.Settings{Prompts: 3000, K: 4}, rand.NewPCG(1, 2))

	m := reward.NewLinear(d.D())
	res, _ := reward.Train(m, d, reward.Objective{}, &reward.Settings{Optimizer: reward.LBFGS}, nil)
	gold := world.LinearGoldSpec()
	for i, name := range d.Features[:world.NumNamed] {
		fmt.Printf("%-12s learned %5.2f  true %5.2f\n", name, m.Weights()[i], gold.W[i])
	}
	// The cues carry no gold weight; the model's weights on them are noise.
	largest := 0.0
	for _, x := range m.Weights()[world.Cue0:] {
		largest = math.Max(largest, math.Abs(x))
	}
	fmt.Printf("%d cues       largest |weight| %.2f, true 0\n", world.NumCues, largest)
	fmt.Println(res.Objective.Describe())
	// Output:
	// helpfulness  learned  1.01  true  1.00
	// correctness  learned  1.04  true  1.00
	// clarity      learned  0.56  true  0.50
	// harmlessness learned  0.72  true  0.70
	// length       learned -0.09  true  0.00
	// filler       learned -0.39  true -0.40
	// flattery     learned -0.22  true -0.20
	// 24 cues       largest |weight| 0.05, true 0
	// mean over prompts of the per-prompt mean over its C(K,2) pairs of [-log sigma(r_w - r_l)]
}

// Ranking loss fixes only differences of scores; Normalize fixes the level.
func ExampleScorer_Normalize() {
	m := reward.NewLinear(1)
	m.Params()[0] = 2
	s := reward.NewScorer(m, []string{"quality"}, reward.Objective{})
	s.Normalize([]float64{1, 2, 3}) // raw scores 2, 4, 6
	fmt.Println(s.Offset, s.Score([]float64{3}))
	// Output:
	// 4 2
}
