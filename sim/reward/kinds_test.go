package reward

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestEveryKindMakesSavesAndLoads: New makes each registered kind (""
// being linear), a saved model of each loads back with the same kind,
// parameters and scores, and an unknown kind is an option error.
func TestEveryKindMakesSavesAndLoads(t *testing.T) {
	const d = 3
	x := []float64{0.5, -1, 2}
	for _, k := range append(Kinds(), "") {
		m, err := New(k, d, Spec{Hidden: []int{4}, Activation: Tanh}, rand.NewPCG(1, 2))
		if err != nil {
			t.Fatalf("%q: %v", k, err)
		}
		want := k
		if k == "" {
			want = KindLinear
		}
		if m.Kind() != want || m.D() != d {
			t.Errorf("%q: a %s model on %d features", k, m.Kind(), m.D())
		}
		for i := range m.Params() {
			m.Params()[i] = 0.1 * float64(i+1)
		}
		b, err := json.Marshal(&Scorer{Model: m, Features: []string{"a", "b", "c"}})
		if err != nil {
			t.Fatal(err)
		}
		var back Scorer
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatalf("%q: %v", k, err)
		}
		if back.Model.Kind() != want || len(back.Model.Params()) != len(m.Params()) || Score(back.Model, x) != Score(m, x) {
			t.Errorf("%q: loaded a %s model scoring %v, want %v", k, back.Model.Kind(), Score(back.Model, x), Score(m, x))
		}
	}
	if _, err := New("tree", d, Spec{}, nil); !errors.Is(err, ErrOption) {
		t.Errorf("an unknown kind: %v", err)
	}
}
