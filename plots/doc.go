// Package plots draws rlhfsim's course figures in one house style on
// gonum.org/v1/plot. The figure builders arrive with the figures issue.
package plots
