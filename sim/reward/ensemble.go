package reward

import (
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Aggregate names how an ensemble combines its members' scores.
type Aggregate string

// The aggregations of Coste et al. (2023), "Reward model ensembles help
// mitigate overoptimization".
const (
	Mean  Aggregate = "mean" // the members' mean (the default)
	Worst Aggregate = "min"  // the lowest member's score
	LCB   Aggregate = "lcb"  // mean minus K standard deviations
)

// Aggregates lists the valid aggregations.
func Aggregates() []Aggregate { return []Aggregate{Mean, Worst, LCB} }

// Validate reports an aggregation that is not one of Aggregates; "" means
// mean.
func (a Aggregate) Validate() error {
	return enum.Option(ErrOption, "ensemble aggregation", a, Aggregates()...)
}

// Ensemble scores a response with several reward models at once. Where the
// members agree, any aggregate is close to their mean; where they disagree,
// which happens away from the data they were trained on, the worst case
// and the lower confidence bound score low, so a policy gains little by
// going there.
type Ensemble struct {
	// Members are normalised scorers over the same features.
	Members []*Scorer
	// Aggregate combines their scores; "" means Mean.
	Aggregate Aggregate
	// K is the number of standard deviations LCB subtracts; zero means 1.
	K float64
}

// Copy returns the ensemble with each member copied (see Scorer.Copy), to
// score on another goroutine.
func (e *Ensemble) Copy() *Ensemble {
	c := *e
	c.Members = make([]*Scorer, len(e.Members))
	for i, m := range e.Members {
		c.Members[i] = m.Copy()
	}
	return &c
}

// Validate reports an ensemble that cannot score: no members, members
// over different features, a bad aggregation or a negative K.
func (e *Ensemble) Validate() error {
	if len(e.Members) == 0 {
		return fmt.Errorf("%w: an ensemble needs at least one member", ErrOption)
	}
	for i, m := range e.Members[1:] {
		if err := m.CheckFeatures(e.Members[0].Features); err != nil {
			return fmt.Errorf("ensemble member %d: %w", i+2, err)
		}
	}
	if err := e.Aggregate.Validate(); err != nil {
		return err
	}
	if e.K < 0 || math.IsNaN(e.K) || math.IsInf(e.K, 0) {
		return fmt.Errorf("%w: ensemble K %v: want a finite number >= 0", ErrOption, e.K)
	}
	return nil
}

// Reward is the aggregate score as a policy's reward; the method value
// e.Reward is a policy.RewardFunc. Like Score, it is not safe for
// concurrent use (see Copy).
func (e *Ensemble) Reward(_ world.Prompt, phi []float64) float64 {
	agg, _, _ := e.Score(phi)
	return agg
}

// Score returns the aggregate score of phi and the members' mean and
// standard deviation (over the members, dividing by their number).
func (e *Ensemble) Score(phi []float64) (agg, mean, sd float64) {
	lo := math.Inf(1)
	var s, s2 float64
	for _, m := range e.Members {
		v := m.Score(phi)
		s += v
		s2 += v * v
		lo = math.Min(lo, v)
	}
	n := float64(len(e.Members))
	mean = s / n
	sd = math.Sqrt(math.Max(s2/n-mean*mean, 0))
	switch e.Aggregate {
	case Worst:
		return lo, mean, sd
	case LCB:
		k := e.K
		if k == 0 {
			k = 1
		}
		return mean - k*sd, mean, sd
	}
	return mean, mean, sd
}
