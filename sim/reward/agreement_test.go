package reward

import (
	"errors"
	"math"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// TestAgreement: on three responses scored 1, 2 and 2 by the model and
// with gold 0, 1 and 2, the pairs (2 over 1), (2 over 0) and (1 over 0)
// are a tie (one half), right and right: 2.5 of 3, counted by hand.
func TestAgreement(t *testing.T) {
	d := &prefs.Dataset{Features: []string{"a"}, Phi: []float64{1, 2, 2}, Gold: []float64{0, 1, 2},
		Rankings: []prefs.Ranking{{First: 0, K: 3, NumPairs: 3}},
		Pairs:    []prefs.Pair{{W: 2, L: 1}, {W: 2, L: 0}, {W: 1, L: 0}}}
	m := NewLinear(1)
	m.Params()[0] = 1
	got, err := Agreement(m, d)
	if err != nil || math.Abs(got-2.5/3) > 1e-15 {
		t.Errorf("got %v, %v; want 2.5/3", got, err)
	}
	if _, err := Agreement(NewLinear(2), d); !errors.Is(err, ErrShape) {
		t.Errorf("a model of 2 features on a dataset of 1: got %v, want ErrShape", err)
	}
}
