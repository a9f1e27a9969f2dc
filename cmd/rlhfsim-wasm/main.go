//go:build js && wasm

// Command rlhfsim-wasm is the WebAssembly runtime of the static website
// that "rlhfsim site" writes. One module plays two parts, chosen by the
// Web Worker that loads it (the global rlhfsimRole): the runner, which
// supervises runs for the page (package browser), or a lesson worker,
// which interprets one lesson (worker.ServeJS). "rlhfsim site" builds it
// with GOOS=js GOARCH=wasm; it is not meant to be run by hand.
package main

import (
	"syscall/js"

	"github.com/rlhfsim/rlhfsim/notebook/browser"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

func main() {
	if js.Global().Get("rlhfsimRole").String() == "runner" {
		browser.Serve()
		return
	}
	worker.ServeJS()
}
