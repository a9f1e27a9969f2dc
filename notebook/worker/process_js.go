//go:build js

package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
)

// In the browser a lesson worker is a Web Worker running this same
// WebAssembly module (see ServeJS), and the runner is Go in another Web
// Worker. The page's script provides
//
//	rlhfsimSpawn(request, onLine, onExit) -> {terminate()}
//
// which starts a lesson worker, hands it the request (JSON), calls
// onLine(line) for every line of its report and onExit(code, lastWords,
// error) once when it ends by itself. Terminating a Web Worker stops
// its compiled work at once, as killing a process does.

// worker is a running lesson worker in a Web Worker.
type worker struct {
	handle js.Value
	last   lastWords
	msgs   chan Message
	quit   chan struct{}
	exited chan error
	funcs  []js.Func

	mu     sync.Mutex
	queue  []string // report lines not yet decoded
	ended  bool     // the worker ended; queue holds its last lines
	endErr error
	ready  chan struct{}
}

// errTerminated is how a worker ends that the runner terminated.
var errTerminated = errors.New("terminated")

// startWorker starts a lesson worker in a Web Worker and sends it req.
func startWorker(req Request) (*worker, error) {
	spawn := js.Global().Get("rlhfsimSpawn")
	if spawn.Type() != js.TypeFunction {
		return nil, errors.New("this page cannot start lesson workers (rlhfsimSpawn is missing)")
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	w := &worker{msgs: make(chan Message, 256), quit: make(chan struct{}), exited: make(chan error, 1), ready: make(chan struct{}, 1)}
	// Callbacks from JavaScript must not block: they queue, and a
	// goroutine decodes in order.
	onLine := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			w.push(args[0].String(), false, nil)
		}
		return nil
	})
	onExit := js.FuncOf(func(_ js.Value, args []js.Value) any {
		code, last, msg := 0, "", ""
		if len(args) > 0 {
			code = args[0].Int()
		}
		if len(args) > 1 && args[1].Type() == js.TypeString {
			last = args[1].String()
		}
		if len(args) > 2 && args[2].Type() == js.TypeString {
			msg = args[2].String()
		}
		w.last.Write([]byte(last))
		var err error
		switch {
		case msg != "":
			err = errors.New(msg)
		case code != 0:
			err = fmt.Errorf("exit status %d", code)
		}
		w.push("", true, err)
		return nil
	})
	w.funcs = []js.Func{onLine, onExit}
	w.handle = spawn.Invoke(string(b), onLine, onExit)
	go w.read()
	return w, nil
}

func (w *worker) push(line string, end bool, err error) {
	w.mu.Lock()
	if !w.ended {
		if end {
			w.ended, w.endErr = true, err
		} else {
			w.queue = append(w.queue, line)
		}
	}
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

// read passes the worker's messages on, in order, until it ends or the
// run is over.
func (w *worker) read() {
	defer close(w.msgs)
	for {
		select {
		case <-w.ready:
		case <-w.quit:
			return
		}
		w.mu.Lock()
		lines, ended, err := w.queue, w.ended, w.endErr
		w.queue = nil
		w.mu.Unlock()
		for _, l := range lines {
			var m Message
			if json.Unmarshal([]byte(l), &m) != nil {
				continue
			}
			select {
			case w.msgs <- m:
			case <-w.quit:
				return
			}
		}
		if ended {
			w.exited <- err
			return
		}
	}
}

// kill terminates the Web Worker: its compiled work stops at once.
func (w *worker) kill() {
	w.handle.Call("terminate")
	w.push("", true, errTerminated)
}

// wait waits for the worker to end, by itself or terminated.
func (w *worker) wait() error {
	select {
	case err := <-w.exited:
		return err
	case <-w.quit:
		return errTerminated
	}
}

func (w *worker) close() {
	close(w.quit)
	for _, f := range w.funcs {
		f.Release()
	}
}

// killedBySystem reports whether the browser ended the worker for want
// of memory: its error then says so.
func killedBySystem(waitErr error) bool {
	return waitErr != nil && waitErr != errTerminated && strings.Contains(strings.ToLower(waitErr.Error()), "memory")
}
