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

// setCPULimit caps the worker's processor time: past it the kernel sends
// SIGXCPU, and then SIGKILL a second later.
func setCPULimit(seconds int64) {
	lim := &syscall.Rlimit{Cur: uint64(seconds), Max: uint64(seconds) + 1}
	_ = syscall.Setrlimit(syscall.RLIMIT_CPU, lim)
}
