// Package stats holds the small numeric helpers the rest of rlhfsim shares:
// numerically stable logistic functions, rank correlations and Monte Carlo
// standard errors. Where gonum/stat already has a routine, it is used.
package stats
