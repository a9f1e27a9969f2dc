// Package annotate simulates the people who label responses: rankings by
// Plackett-Luce, pairwise choices by Bradley-Terry, and Likert ratings.
//
// An annotator judges response y to prompt x by a utility
//
//	u_a(x, y) = r*(x, y) + sum of the annotator's biases
//
// and is noisy at temperature Tau. Tau = 0 is a perfect judge of u_a; as Tau
// grows the labels approach coin flips. Rankings are sampled with the Gumbel
// trick: sort u/Tau + Gumbel noise in decreasing order. That gives exactly
// the Plackett-Luce distribution, and it makes every pairwise marginal of a
// ranking a Bradley-Terry choice with P(i above j) = sigma((u_i - u_j)/Tau).
package annotate
