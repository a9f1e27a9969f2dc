package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestJuryKeepsItsBudget: a jury answers exactly its budget and no more,
// spends nothing on a request it cannot fill, and its verdicts come at
// the rates its probabilities say: the chance of preferring a first
// answer whose gold is 1 higher, at tau 1, is sigma(1) = 0.731 (40,000
// draws: a standard error of 0.0022), and Wins at 0.3 gives 0.3.
func TestJuryKeepsItsBudget(t *testing.T) {
	gold := func(p world.Prompt, phi []float64) float64 { return phi[0] }
	const n = 40000
	j := NewJury(1, gold, n+10, rand.NewPCG(1, 2))
	a, b := []float64{1}, []float64{0}
	first := 0
	for range n {
		f, ok := j.PreferFirst(world.Prompt{}, a, b)
		if !ok {
			t.Fatal("the jury stopped before its budget")
		}
		if f {
			first++
		}
	}
	if got, want := float64(first)/n, stats.Sigmoid(1); math.Abs(got-want) > 0.01 {
		t.Errorf("first preferred %.4f of the time, want %.4f", got, want)
	}
	if _, ok := j.Wins(0.5, 11); ok || j.Left() != 10 {
		t.Errorf("a request past the budget was answered, or spent some of it: %d left", j.Left())
	}
	if w, ok := j.Wins(0.3, 10); !ok || j.Left() != 0 || w > 10 {
		t.Errorf("Wins(0.3, 10) = %d, %v with %d left", w, ok, j.Left())
	}
	if _, ok := j.PreferFirst(world.Prompt{}, a, b); ok {
		t.Error("a spent jury answered")
	}
	big := NewJury(1, gold, n, rand.NewPCG(3, 4))
	w, _ := big.Wins(0.3, n)
	if got := float64(w) / n; math.Abs(got-0.3) > 0.01 {
		t.Errorf("Wins at 0.3 won %.4f", got)
	}
}
