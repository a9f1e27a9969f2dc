package worker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// supervise applies the worker's messages to a until they end, and kills
// the worker when the lesson, a cell, compiling or starting outlasts its
// limit or ctx ends. It returns why it killed the worker, or "".
func (w *worker) supervise(ctx context.Context, a *assembly, start time.Time, lim Limits) (killed string) {
	var (
		phaseStart = start
		compiling  bool
		compiled   bool
		tick       = time.NewTicker(5 * time.Millisecond)
	)
	defer tick.Stop()
	done := ctx.Done()
	kill := func(why string) {
		if killed == "" {
			killed = why
			w.kill()
		}
	}
	for {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				return killed
			}
			a.apply(m)
			switch m.Type {
			case msgCompiling:
				compiling = true
				phaseStart = time.Now()
			case msgCompiled:
				compiled = true
				phaseStart = time.Now()
			case msgCell:
				phaseStart = time.Now()
			}
		case <-tick.C:
			now := time.Now()
			switch {
			case killed != "":
			case now.Sub(start) > lim.Lesson:
				kill("lesson")
			case !compiling && !a.stopped && now.Sub(start) > max(lim.Cell, 10*time.Second):
				kill("start")
			case now.Sub(phaseStart) > lim.Cell && !compiled:
				kill("compile")
			case now.Sub(phaseStart) > lim.Cell:
				kill("cell")
			}
		case <-done:
			// Once: a closed channel is always ready, and a loop that
			// keeps taking it never yields where nothing preempts a
			// goroutine (WebAssembly), so the runner froze.
			done = nil
			kill("cancel")
		}
	}
}

// death says why a worker ended without finishing, from why the runner
// killed it or from the Go runtime's last words.
func death(killed, last string, waitErr error, lim Limits) (kind notebook.StopKind, what string) {
	switch killed {
	case "cell":
		return notebook.StopTimeout, fmt.Sprintf("did not finish within %v (an endless loop, or slow work? raise --timeout if it is only slow)", lim.Cell)
	case "lesson":
		return notebook.StopTimeout, fmt.Sprintf("the lesson did not finish within %v (raise --lesson-timeout if it is only slow)", lim.Lesson)
	case "compile":
		return notebook.StopCompile, fmt.Sprintf("compiling the lesson took longer than %v (a constant expression that explodes?)", lim.Cell)
	case "start":
		return notebook.StopCrash, fmt.Sprintf("the lesson worker did not start within %v", max(lim.Cell, 10*time.Second))
	case "cancel":
		return notebook.StopTimeout, "the run was cancelled"
	}
	switch {
	case strings.Contains(last, "stack exceeds") || strings.Contains(last, "stack overflow"):
		return notebook.StopStack, fmt.Sprintf("stack overflow: the lesson's stack grew past %s (unbounded recursion?)", byteSize(int64(lim.Stack)))
	case strings.Contains(last, "out of memory") || strings.Contains(last, "cannot allocate memory"):
		return notebook.StopMemory, fmt.Sprintf("used more than %s of memory (a huge or endlessly growing allocation? raise --memory if the lesson really needs more)", byteSize(lim.Memory))
	}
	if killedBySystem(waitErr) {
		return notebook.StopMemory, fmt.Sprintf("the worker was killed by the system (out of memory? the limit is %s)", byteSize(lim.Memory))
	}
	first := firstLine(last)
	if first == "" && waitErr != nil {
		first = waitErr.Error()
	}
	if first == "" {
		first = "it stopped without a word"
	}
	return notebook.StopCrash, "the interpreter crashed: " + first
}

// firstLine returns the first line of the runtime's last words that says
// what happened ("fatal error: ...", "panic: ...").
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "fatal error:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "runtime:") || strings.HasPrefix(l, "rlhfsim:") {
			return l
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// lastWords keeps the first 64 KiB a worker writes to its standard output
// and error: the runtime's message when it dies.
type lastWords struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lastWords) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := 1<<16 - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (w *lastWords) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
