// Package represent gives a reward model something to read responses
// through, as a real one reads text through the layers of a language
// model before its scalar head.
//
// An Observer renders each response's features as a raw observation:
// the standardised features spread over many more coordinates by a
// fixed random rotation, plus independent noise per coordinate, so that
// what matters is in the observation but not in any one coordinate.
// A Projection maps observations to the narrow representation a linear
// head reads: Pretrain learns one from unlabelled observations (their
// principal components, the directions in which responses vary most, as
// a stand-in for what pretraining learns about text), Random draws one
// of the same width with no learning. Apply rewrites a preference
// dataset so that its responses are read through either; the rankings,
// pairs, gold rewards and annotators stay the same, so the same
// comparisons train a head on each.
//
// What this world assumes, and lessons must say: the directions in
// which responses vary most are the features responses are made of, so
// a representation learned from unlabelled responses holds them. Where
// something else varies more (Observer's Nuisance), it takes their
// place: with at least as many louder nuisance directions as the
// representation is wide, it holds no feature at all.
package represent
