package pipeline

import (
	"errors"
	"fmt"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

// PolicyKind names the policy that optimisation moves.
type PolicyKind string

// The policies.
const (
	Generative PolicyKind = "generative" // a Gaussian over features that makes new responses (the default)
	Pool       PolicyKind = "pool"       // a softmax over a fixed pool of base-policy responses, exact
)

// PolicyKinds lists the valid policies.
func PolicyKinds() []PolicyKind { return []PolicyKind{Generative, Pool} }

// Validate reports a policy that is not one of PolicyKinds; "" means
// generative.
func (k PolicyKind) Validate() error { return enum.Option(ErrConfig, "policy", k, PolicyKinds()...) }

// config marks an error of a part's own Validate as a configuration
// error too.
func config(err error) error {
	if err == nil || errors.Is(err, ErrConfig) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrConfig, err)
}

// Validate reports a data configuration that cannot be generated.
func (c Data) Validate() error {
	if err := c.Gold.Validate(); err != nil {
		return config(err)
	}
	if err := check(&Config{Data: c}, PartData); err != nil {
		return err
	}
	_, err := c.Settings.Resolve()
	return config(err)
}

// Validate reports a reward-model configuration that cannot be trained:
// an unknown kind, activation or optimizer, hidden widths an MLP cannot
// have, or an objective training cannot minimise.
func (c RM) Validate() error {
	for _, err := range []error{c.Model.Validate(), c.Activation.Validate(), c.Optimizer.Validate(), c.Objective.Validate(), c.Aggregate.Validate()} {
		if err != nil {
			return config(err)
		}
	}
	if err := check(&Config{RM: c}, PartRM); err != nil {
		return err
	}
	if c.Model == reward.KindMLP {
		return config(reward.CheckHidden(c.hidden()))
	}
	return nil
}

// Validate reports a policy configuration that cannot run.
func (c Policy) Validate() error {
	c = c.withDefaults()
	if err := c.Kind.Validate(); err != nil {
		return err
	}
	if c.Prompts < 1 || c.PoolSize < 1 || c.Draws < 1 {
		return bad("the policy needs at least one prompt, pool member and draw (0 means the default)")
	}
	for _, n := range c.BoN {
		if n < 1 || n > MaxBoN {
			return bad("best-of-n n = %d (want 1 to %d: a pool of four times n is drawn for every prompt)", n, MaxBoN)
		}
	}
	if err := ValidateMethod(c.Method); err != nil {
		return err
	}
	if err := c.Reward.Validate(); err != nil {
		return err
	}
	if c.Method.IsDirect() && c.Reward != "" && c.Reward != RewardModel {
		return bad("%s learns from the preference pairs alone, so it optimises no reward: drop the reward %q or use the method rlhf", c.Method, c.Reward)
	}
	if err := check(&Config{Policy: c}, PartPolicy); err != nil {
		return err
	}
	if _, err := c.verifier(); err != nil {
		return err
	}
	if a := c.Audit; a.Pairs < 0 || a.Pairs > MaxAuditPairs || a.Every < 0 {
		return bad("an audit of %d pairs every %d steps (want 0 to %d pairs, and a positive number of steps or 0 for 10)", a.Pairs, a.Every, MaxAuditPairs)
	}
	if c.Audit.Pairs > 0 && c.Method.IsDirect() {
		return bad("an audit checks a policy as it moves, and %s jumps to its optimum in one go: drop the audit or use the method rlhf", c.Method)
	}
	if c.Settings.Algo == policy.Exact && c.Kind != Pool {
		return bad("the exact gradient needs the pool policy")
	}
	return config(c.Settings.Validate())
}
