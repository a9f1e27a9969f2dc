package pipeline

import (
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Jury is a panel of reviewers whose time is scarce: they judge by the
// gold reward and their own noise alone (an annotate.Annotator with no
// biases), and answer at most a budget of comparisons. It is the
// one window a lesson without gold has on the truth, and the budget is
// what makes looking through it a decision.
type Jury struct {
	ann  annotate.Annotator
	gold world.GoldFunc
	left int
	r    *rand.Rand
}

// NewJury returns a jury at temperature tau that judges by gold and
// answers at most budget comparisons, drawing its verdicts from src. It
// panics if budget is negative.
func NewJury(tau float64, gold world.GoldFunc, budget int, src rand.Source) *Jury {
	if budget < 0 {
		panic("pipeline: negative jury budget")
	}
	return &Jury{ann: annotate.Annotator{Tau: tau}, gold: gold, left: budget, r: rand.New(src)}
}

// Left returns how many comparisons the jury will still answer.
func (j *Jury) Left() int { return j.left }

// PreferFirst asks the jury to compare response a, shown first, with b,
// both answers to p: first reports whether it preferred a. When the
// budget is spent, ok is false and nothing is drawn.
func (j *Jury) PreferFirst(p world.Prompt, a, b []float64) (first, ok bool) {
	if j.left < 1 {
		return false, false
	}
	j.left--
	pa := annotate.PreferProb(j.ann.Utility(j.gold, p, a, 0, 2), j.ann.Utility(j.gold, p, b, 1, 2), j.ann.Tau)
	return j.r.Float64() < pa, true
}

// Wins asks the jury n comparisons of which each is won with probability
// prob, and returns how many were: the shortcut for comparisons whose
// chance is known exactly, such as a policy's answers against reference
// answers (Approval, which averages the jury's own preference
// probability over the answers). When fewer than n comparisons are left,
// ok is false and nothing is spent. It panics if n is negative or prob
// is outside [0, 1].
func (j *Jury) Wins(prob float64, n int) (wins int, ok bool) {
	if n < 0 || !(prob >= 0 && prob <= 1) {
		panic("pipeline: Jury.Wins with a negative n or a probability outside [0, 1]")
	}
	if n > j.left {
		return 0, false
	}
	j.left -= n
	for range n {
		if j.r.Float64() < prob {
			wins++
		}
	}
	return wins, true
}

// Annotator returns the jury's annotator: for Approval, which gives the
// chances Wins draws from.
func (j *Jury) Annotator() annotate.Annotator { return j.ann }
