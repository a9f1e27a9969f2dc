// Package sweep runs a grid of pipeline configurations on all cores and
// summarises each run: the experiment behind a scaling-law figure, such
// as how the gold peak moves with the reward model's data.
//
// Runs are independent and each has its own seed, so the results do not
// depend on how many workers run them or in what order they finish: a
// run's row is written to its place in the grid, never appended.
package sweep
