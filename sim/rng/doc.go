// Package rng makes the seeded random sources that all of rlhfsim draws
// from, so that one seed reproduces every dataset, report and figure.
package rng
