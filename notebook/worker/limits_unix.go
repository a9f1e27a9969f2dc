//go:build unix

package worker

import "syscall"

// setHardMemoryLimit caps the worker's data segment, which on Linux
// counts every private writable mapping and so the Go heap: an allocation
// past it fails, and the runtime dies with "out of memory".
func setHardMemoryLimit(n int64) {
	lim := &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	_ = syscall.Setrlimit(syscall.RLIMIT_DATA, lim)
}
