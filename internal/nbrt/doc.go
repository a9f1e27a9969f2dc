// Package nbrt connects the lesson API (package nb) to whatever runs the
// lesson: the notebook runtime sets Current before it runs a lesson under
// the interpreter; a lesson compiled with "go run" has no Current and nb
// prints to standard output instead.
//
// It is internal so that lessons, which see only an allowlist of packages,
// can never reach it.
package nbrt
