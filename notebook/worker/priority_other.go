//go:build !linux

package worker

// lowerPriority leaves the worker's priority as it is: only Linux's
// per-thread nice values are handled.
func lowerPriority() {}
