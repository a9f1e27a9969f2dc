//go:build !unix

package worker

// setHardMemoryLimit has no hard limit to set here; the soft limit of
// debug.SetMemoryLimit still makes the collector work before memory runs
// out.
func setHardMemoryLimit(n int64) {}

func setCPULimit(int64) {}
