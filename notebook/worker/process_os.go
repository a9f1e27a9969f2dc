//go:build !js

package worker

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// worker is a running lesson worker: its process, the request pipe it
// exits on when closed, and its messages.
type worker struct {
	cmd  *exec.Cmd
	reqW *os.File
	repR *os.File
	last lastWords // what the process printed: the Go runtime's last words
	msgs chan Message
	quit chan struct{}
}

// startWorker starts this executable again as a worker, sends it req and
// starts reading its messages.
func startWorker(req Request) (*worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	w := &worker{cmd: exec.Command(exe), reqW: reqW, repR: repR, msgs: make(chan Message, 256), quit: make(chan struct{})}
	w.cmd.Env = append(os.Environ(), envWorker+"=1")
	w.cmd.ExtraFiles = []*os.File{reqR, repW}
	w.cmd.Stdout, w.cmd.Stderr = &w.last, &w.last
	err = w.cmd.Start()
	reqR.Close()
	repW.Close()
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, err
	}
	// The request pipe stays open until the run ends: the worker exits
	// when it closes, so it cannot outlive this runner.
	go func() { _ = json.NewEncoder(reqW).Encode(req) }()
	go w.read()
	return w, nil
}

// read passes the worker's messages on until its pipe ends or the run
// is over.
func (w *worker) read() {
	defer close(w.msgs)
	dec := json.NewDecoder(bufio.NewReaderSize(w.repR, 1<<16))
	for {
		var m Message
		if dec.Decode(&m) != nil {
			return
		}
		select {
		case w.msgs <- m:
		case <-w.quit:
			return
		}
	}
}

func (w *worker) close() {
	close(w.quit)
	w.reqW.Close()
	w.repR.Close()
}

// kill stops the worker process at once.
func (w *worker) kill() { _ = w.cmd.Process.Kill() }

// wait waits for the worker process to end.
func (w *worker) wait() error { return w.cmd.Wait() }

// killedBySystem reports whether the process ended on a signal nobody in
// the runner sent: on Linux, the kernel's out-of-memory killer.
func killedBySystem(waitErr error) bool {
	var ee *exec.ExitError
	return errors.As(waitErr, &ee) && ee.ProcessState != nil && strings.Contains(ee.ProcessState.String(), "killed")
}
