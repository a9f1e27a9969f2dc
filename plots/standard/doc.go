// Package standard builds the course's standard figure set from a
// pipeline run: the figures "rlhfsim figures" exports for slides and print.
// It is the only figure code that knows the pipeline; package plots draws
// from result types alone. Sweep and Seq build the sweep's and the
// step-by-step comparison's sets the same way. A new figure set is a
// function here that returns []plots.Figure from engine results, built
// with the set collector, so the command line and lessons share it.
package standard
