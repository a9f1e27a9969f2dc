// Package notebook runs the course's lessons: it parses a lesson (a Go
// package main cut into cells by "// %%" markers, with a metadata block),
// checks it for the constructs the embedded interpreter mishandles, runs
// it under yaegi with an allowlist of packages and a time limit per cell,
// and renders the run to the terminal, to self-contained HTML and to
// Markdown.
//
// A lesson runs as one program: hooks planted at the cell markers and
// before each top-level statement of main, on the same lines so no line
// number moves, tell the runner which cell is running and where a panic
// started. Nothing a lesson does can crash the host: goroutines are
// rejected before the interpreter sees the source, and every other failure
// comes back as an error that names the file and line.
package notebook
