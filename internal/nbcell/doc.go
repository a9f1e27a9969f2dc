// Package nbcell is the hook the notebook runtime plants in a lesson's
// source: a call at every cell marker and before every top-level statement
// of main, so the runtime knows which cell is running (for per-cell
// timeouts and output) and on which line a panic started.
package nbcell
