// Package plots draws rlhfsim's course figures in one house style on
// gonum.org/v1/plot: the Okabe-Ito palette, Liberation Sans, and two size
// presets, Slide and Print. Every builder takes data and returns a
// *plot.Plot, or an error wrapping ErrData for empty or non-finite input;
// Save and Render write SVG, PDF or PNG, reproducibly. Standard assembles
// the course's figure set from a pipeline run.
package plots
