// Package notebook is the lesson model: it parses a lesson (a Go package
// main cut into cells by "// %%" markers, with a metadata block), checks it
// for what a lesson may not do and for the constructs the embedded
// interpreter mishandles, and defines the parameters, events and results a
// run produces.
//
// Running lessons is the business of package notebook/worker (one lesson
// in a process of its own) and notebook/course (many lessons, their
// parameters and their pages); drawing a run is notebook/render's. The
// lessons' own API is package nb.
//
// A new check of lessons is a rule in rules.go (a function added to
// fileRules or nodeRules), with a case in the worker's checker test.
package notebook
