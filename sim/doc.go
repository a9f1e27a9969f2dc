// Package sim is the compiled engine of rlhfsim. Its sub-packages follow
// the RLHF pipeline:
//
//   - world: prompts, responses as named features, the base policy, the
//     hidden gold reward, and text renderings of responses;
//   - annotate: simulated people who rank, choose and rate responses;
//   - prefs: preference datasets: rankings to pairs, splits, JSONL;
//   - reward: reward models, their losses, training, evaluation and scoring;
//   - policy: policies, policy-gradient optimisation, best-of-n and KL;
//   - pipeline: the whole chain in one call, and the experiments lessons
//     and figures share;
//   - verify: exact checkers for the prompts whose answers can be
//     checked, with the blind spots of weak tests;
//   - sweep: grids of pipelines over data sizes, betas, seeds and
//     methods on all cores, and the curves and fits they give;
//   - seq: answers produced step by step, with outcome and process
//     rewards;
//   - stats: small numeric helpers (stable logistic functions, rank
//     correlations, concordance);
//   - rng: named, seeded random streams.
//
// # Conventions
//
// Responses are feature vectors. A set of n responses of d features each is
// one flat []float64 of n*d values, response i at phis[i*d : (i+1)*d];
// world.Row(phis, d, i) returns it, and world.Response(phis, i) for the
// world's own NumFeatures. Functions that fill responses take the flat
// slice, so a batch is one allocation.
//
// Randomness comes in as a rand.Source (a *rand.Rand is one), made by
// rng.Stream from a seed and a name, so one seed reproduces every number.
//
// Settings structs follow gonum: their zero value is the documented
// default, and a nil pointer means all defaults. Options are string types
// (reward.Optimizer, policy.Algo, ...) whose Validate method lists the
// valid values.
package sim
