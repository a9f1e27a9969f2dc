// Package verify gives the feature world's checkable prompts a verifier:
// an exact test of whether an answer is right, as unit tests check code
// or a reference answer checks a fact.
//
// A verifier differs from a learned reward model in two ways a lesson can
// show. It looks only at correctness, so a policy cannot raise its score
// with length, flattery or the cues a reward model weighs by chance; and it
// exists only where answers can be checked (by default the factual and
// coding prompts), so the other prompts get no signal from it at all. An
// imperfect verifier has a weakness of its own: weak tests pass some wrong
// answers that carry a particular trait, and a policy that finds the
// trait can pass without being right.
package verify
