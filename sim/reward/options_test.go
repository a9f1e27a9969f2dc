package reward

import (
	"errors"
	"testing"
)

// TestOptionsListTheirValues: every option type accepts its own values
// and "" (the default), and rejects anything else with an error that wraps
// ErrOption and lists the valid values, from the one definition.
func TestOptionsListTheirValues(t *testing.T) {
	for _, c := range []struct {
		valid []error
		bad   error
		want  string
	}{
		{[]error{KindLinear.Validate(), KindAffine.Validate(), KindMLP.Validate(), Kind("").Validate()}, Kind("forest").Validate(), `reward: bad option: model "forest": want linear, affine or mlp`},
		{[]error{Tanh.Validate(), ReLU.Validate(), Softplus.Validate()}, Activation("gelu").Validate(), `reward: bad option: activation "gelu": want tanh, relu or softplus`},
		{[]error{Adam.Validate(), SGD.Validate(), LBFGS.Validate()}, Optimizer("adamw").Validate(), `reward: bad option: optimizer "adamw": want adam, sgd or lbfgs`},
		{[]error{BradleyTerry.Validate(), PlackettLuce.Validate()}, Loss("hinge").Validate(), `reward: bad option: loss "hinge": want bt or pl`},
		{[]error{GroupByPrompt.Validate(), GroupFlat.Validate()}, Grouping("batch").Validate(), `reward: bad option: grouping "batch": want prompt or flat`},
		{[]error{CheckHidden([]int{1}), CheckHidden([]int{MaxWidth, 3})}, CheckHidden([]int{MaxWidth + 1}), `reward: bad option: hidden width 4097, want 1 to 4096`},
	} {
		for _, err := range c.valid {
			if err != nil {
				t.Errorf("a valid value was rejected: %v", err)
			}
		}
		if c.bad == nil || c.bad.Error() != c.want || !errors.Is(c.bad, ErrOption) {
			t.Errorf("got %v, want %s", c.bad, c.want)
		}
	}
	if _, err := NewMLP(3, []int{2, 2, 2}, Tanh, nil); !errors.Is(err, ErrOption) {
		t.Errorf("NewMLP with three layers: %v", err)
	}
	if err := (Objective{Loss: PlackettLuce, Grouping: GroupFlat}).Validate(); !errors.Is(err, ErrObjective) {
		t.Errorf("pl with flat grouping: %v", err)
	}
}
