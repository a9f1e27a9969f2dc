// Package course runs many lessons: it loads the embedded course or an
// edited copy, resolves the lessons a command line names, routes each
// --set to the lessons that declare it, runs every lesson in a worker
// process of its own, and writes each lesson's figures and pages as soon
// as that lesson ends, so that a lesson that crashes or hangs loses
// nothing of the lessons before it.
package course
