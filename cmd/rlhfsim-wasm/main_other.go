//go:build !(js && wasm)

// Command rlhfsim-wasm is the WebAssembly runtime of the static website
// that "rlhfsim site" writes; built for any other platform it only says
// so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "rlhfsim-wasm runs in a browser: build it with GOOS=js GOARCH=wasm (rlhfsim site does)")
	os.Exit(2)
}
