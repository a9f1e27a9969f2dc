// Package policy closes the RLHF loop: it optimises a policy against a
// reward model's scalar scores while tracking the hidden gold reward, so
// that overoptimisation and reward hacking become visible.
//
// Two policies share one interface. Pool is exact: each prompt has a fixed
// pool of base-policy responses and pi_theta reweights it, so KL, expected
// rewards and the policy gradient can all be enumerated. Gaussian is
// generative: it moves the mean (and scales the spread) of the base policy's
// feature distribution, producing new responses that can leave the region
// the reward model saw in training; its KL is in closed form.
//
// Optimize maximises E[r] - beta KL(pi || pi_ref) with REINFORCE (batch-mean
// baseline), RLOO (leave-one-out baseline), PPO's clipped surrogate, or, on
// the pool, the exact gradient; beta can follow an adaptive KL controller.
// BestOfN gives exact best-of-n statistics on the pool.
//
// Method is the engine's one name for how a policy learns from
// preferences (RLHF, DPO, IPO); OptimizeDirect runs the direct ones.
//
// # A new algorithm
//
// Optimize looks algorithms up in one table (algorithms, in algo.go). A
// new one is its Algo constant in options.go, an update function that
// makes one step from the optimizer's state and returns the KL estimate
// of its samples, and its entry (with needsFixed if it needs the pool's
// fixed responses, as the exact gradient does); Settings.resolve holds
// any rule between its settings. The pipeline, the command line and
// lessons then accept it by name.
package policy
