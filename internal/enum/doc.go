// Package enum checks a string option against its valid values, so that
// every option type of rlhfsim (an optimizer, a loss, an algorithm) reports
// a bad value the same way: naming the option and listing what it takes.
//
// # Naming the constants
//
// Every option type of the engine is a string type whose constants follow
// one scheme, so that a reader can guess a name:
//
//   - the bare name of the value, when the package has no other use for
//     it: reward.Adam, reward.Tanh, reward.Mean, policy.RLOO, policy.PPO,
//     pipeline.Generative, pipeline.Pool, pipeline.DPO;
//   - the type's name (or its first word) before the value, when the bare
//     name is taken by a type, a field or another option in the package,
//     and then for every constant of that type: reward.KindLinear (Linear
//     is the model type), world.GoldLinear, reward.GroupFlat,
//     pipeline.RewardModel, pipeline.RewardVerifier, pipeline.RewardMix.
//
// Each type has a function listing its values in order (reward.Kinds,
// policy.Algos) and a Validate method built on Option; "" means the
// default its doc comment names.
package enum
