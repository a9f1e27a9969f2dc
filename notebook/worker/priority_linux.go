package worker

import (
	"os"
	"strconv"
	"syscall"
)

// workerNice is how much nicer a worker is than its runner.
const workerNice = 5

// lowerPriority makes every thread of the worker workerNice nicer than
// the runner. Linux keeps a nice value per thread and a new thread takes
// its creator's, so each thread there is now is reniced, twice over to
// catch one started meanwhile; the threads to come inherit it.
func lowerPriority() {
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return
	}
	nice := min(19, 20-raw+workerNice) // Linux's getpriority returns 20 - nice
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
			}
		}
	}
}
