// Package standard builds the course's standard figure set from a
// pipeline run: the figures "rlhfsim figures" exports for slides and print.
// It is the only figure code that knows the pipeline; package plots draws
// from result types alone.
package standard
