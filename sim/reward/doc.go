// Package reward trains reward models as rankers on pairwise (or listwise)
// preferences and applies them as absolute scorers of single responses.
//
// Training sees only differences of scores: the Bradley-Terry loss of a pair
// depends on r(y_w) - r(y_l), so adding a constant to every score changes
// nothing and the level of the scores is not identified. That is why Linear
// has no bias term, why the optional centering penalty exists, and why a
// Scorer subtracts an offset that gives a reference set of responses mean
// score 0 before the scores steer a policy.
//
// The objective that Train minimises is, for a batch B,
//
//	L(theta) = (1/|B|) sum over units u in B of l_u(theta) + (L2/2) ||theta||^2
//
// where a unit is a pair (Grouping "flat") or all pairs of one prompt
// (Grouping "prompt"). For a pair, l = -log sigma(r_w - r_l - Margin) +
// Center (r_w + r_l)^2. A prompt's unit loss is the mean of its pairs' losses,
// the 1/C(K,2) weighting of InstructGPT. With Loss "pl" a prompt's unit loss
// is instead the Plackett-Luce negative log-likelihood of its whole ranking,
// plus Center times the mean of (r_i + r_j)^2 over its pairs; Margin does not
// apply. The weight decay is added once per batch, so it does not depend on
// the batch size. The Objective is saved with every model.
//
// # A new kind of model
//
// New makes a model of any Kind, and the model file reads and writes it,
// through one registry (kinds.go). A new kind is:
//
//  1. a type with the Model methods, in a file of its own as linear.go
//     and mlp.go are (its Backward keeps scratch of its own? add
//     keepsScratch; it fits to its inputs? add fitInputs);
//  2. its Kind constant in options.go;
//  3. its entry in kinds: how to make one from a Spec, and how its own
//     fields are checked, saved and loaded in a model file.
//
// The pipeline, the command line and lessons then accept it by name.
package reward
