// Package workers runs independent jobs on a fixed number of goroutines
// and reports each job's result in its own slot, so that what a caller
// builds from the results does not depend on how many workers ran them
// or in what order they finished.
package workers
