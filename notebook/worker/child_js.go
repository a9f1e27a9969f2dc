//go:build js

package worker

import (
	"bufio"
	"encoding/json"
	"syscall/js"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// ServeJS runs one lesson in a Web Worker, as Main does in a process. The
// worker's script provides rlhfsimReport(line), for each line of the
// report, and rlhfsimReady(), which ServeJS calls once it listens; the
// script then calls the function rlhfsimRequest(request) that ServeJS
// defines, with the request as JSON. ServeJS returns when the lesson is
// done; the program should then exit, which ends the Web Worker's run.
//
// A worker can be started ahead and wait here: the runtime and the
// interpreter's symbols are then ready before the request comes.
func ServeJS() {
	requests := make(chan string, 1)
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			select {
			case requests <- args[0].String():
			default: // one request per worker
			}
		}
		return nil
	})
	defer f.Release()
	js.Global().Set("rlhfsimRequest", f)
	js.Global().Call("rlhfsimReady")
	var r Request
	if err := json.Unmarshal([]byte(<-requests), &r); err != nil {
		b, _ := json.Marshal(Message{Type: msgStop, Kind: notebook.StopCrash, Err: &notebook.Error{Line: 1, Msg: "the lesson worker could not read its request: " + err.Error()}})
		js.Global().Call("rlhfsimReport", string(b))
		return
	}
	w := bufio.NewWriterSize(&reportLines{report: js.Global().Get("rlhfsimReport")}, 1<<16)
	serve(&r, w)
	w.Flush()
}

// reportLines hands what the reporter writes to the page's script, one
// line per call: the reporter flushes after every message, but a long
// message can come in pieces.
type reportLines struct {
	report js.Value
	part   []byte
}

func (r *reportLines) Write(p []byte) (int, error) {
	start := 0
	for i, c := range p {
		if c == '\n' {
			r.part = append(r.part, p[start:i]...)
			r.report.Invoke(string(r.part))
			r.part = r.part[:0]
			start = i + 1
		}
	}
	r.part = append(r.part, p[start:]...)
	return len(p), nil
}
