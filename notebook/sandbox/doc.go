// Package sandbox says what a lesson may reach: the packages it may
// import, the functions and methods of those packages that are withheld
// from it because they touch files, the environment or state outside the
// lesson, and how package variables are exposed (as read-only copies).
//
// It holds decisions, not machinery: the lesson checker reads them to
// reject a forbidden call with a clear message before anything runs, and
// the worker applies them to the interpreter's symbol maps, so a call the
// checker missed fails to compile instead of reaching a file. A test walks
// the static call graph of every exposed function and fails when one that
// reaches a file, the environment or a package variable has no decision
// here.
//
// The lesson's worker process is the outer wall; this is the inner one. A
// lesson runs in its own process, so even a decision missed here cannot
// change what another lesson or the runner sees.
package sandbox
