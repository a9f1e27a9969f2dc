// Package browser runs lessons inside a web browser, for the static
// website that "rlhfsim site" writes: it is the runner of package worker
// compiled to WebAssembly, with Web Workers in place of processes.
//
// The site's page talks to a runner (Serve) in one Web Worker. For each
// run the runner parses and checks the lesson, starts a lesson worker in a
// Web Worker of its own (worker.ServeJS, the same module), and supervises
// it with worker.Run: the same checker, sandbox, output caps and
// messages as a native run, the time limits enforced by terminating the
// Web Worker, and every way a run can fail turned into one message that
// names the file, the cell and the line. It renders each piece of output
// as the live notebook does and posts it to the page; a newer run
// cancels the older one.
//
// The package builds only for GOOS=js; cmd/rlhfsim-wasm is its program.
package browser
