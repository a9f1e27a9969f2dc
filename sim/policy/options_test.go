package policy

import (
	"errors"
	"testing"
)

func TestOptionsListTheirValues(t *testing.T) {
	for _, a := range append(Algos(), "") {
		if err := a.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, b := range append(Baselines(), "") {
		if err := b.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{Algo("trpo").Validate(), `policy: bad settings: algorithm "trpo": want reinforce, rloo, ppo or exact`},
		{Baseline("median").Validate(), `policy: bad settings: baseline "median": want none, mean or loo`},
		{(&Settings{Algo: "trpo"}).Validate(), `policy: bad settings: algorithm "trpo": want reinforce, rloo, ppo or exact`},
		{GradientEstimate(nil, nil, &Estimate{Baseline: "median"}, nil, nil), `policy: bad settings: baseline "median": want none, mean or loo`},
	} {
		if c.err == nil || c.err.Error() != c.want || !errors.Is(c.err, ErrSettings) {
			t.Errorf("got %v, want %s", c.err, c.want)
		}
	}
}
