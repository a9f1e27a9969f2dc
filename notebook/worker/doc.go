// Package worker runs one lesson in a process of its own.
//
// Go cannot recover from a stack overflow, an exhausted heap or a crash
// inside the interpreter, and the interpreter cannot stop a compiled call
// that runs too long. So the runner (Run) starts its own executable again
// as a worker, with standard input closed, sends it the lesson on a pipe
// and reads back a stream of messages: compiling, cell started, statement
// started, printed text, events (figures arrive rendered as SVG, and PNG
// when asked), and why the lesson stopped. The runner enforces the limits
// from outside: it kills a worker whose cell or lesson runs past its time
// limit, and turns every way a worker can end into one error that names
// the lesson file, the cell and the line that was running.
//
// Inside the worker (Main), the lesson is checked, instrumented with hooks
// at its cell markers and top-level statements, and interpreted by yaegi
// with the sandbox's symbols; a soft and a hard memory limit and a small
// stack bound it, and each cell's output is capped.
//
// Every binary that runs lessons must call Main first thing in main, and
// every test binary that does in TestMain.
package worker
