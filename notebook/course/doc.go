// Package course runs many lessons: it loads the embedded course or an
// edited copy, resolves the lessons a command line names, routes each
// --set to the lessons that declare it, runs every lesson in a worker
// process of its own, and writes each lesson's figures and pages as soon
// as that lesson ends, so that a lesson that crashes or hangs loses
// nothing of the lessons before it.
//
// # A new output format
//
// Run writes the formats through one table (writers, in formats.go). A
// new format is its Format constant, a function that writes one lesson
// run (with its bytes made by a render function in notebook/render), and
// its entry; the command line's --format lists FormatNames, so it
// accepts the new one by name.
package course
