// Package world is the simulated world of rlhfsim: prompts, responses
// described by named features, the base (SFT) policy that samples them, and
// the hidden gold reward that real RLHF never gets to see.
//
// A response is a point phi in feature space (see FeatureNames). The base
// policy draws phi from a Gaussian whose mean depends on the prompt's
// category and difficulty and whose covariance links length with
// helpfulness, so that length is a confounder: longer answers are a little
// more helpful on average, without length being good in itself.
//
// Working in feature space rather than on tokens is a deliberate choice. It
// keeps every quantity a lesson wants to reveal (the gold reward, the KL to
// the base policy, the direction a policy moves in) cheap and often exact,
// while Text still renders each response as something that reads like an
// answer.
package world
