// Package termsafe makes text from lessons safe to print on a terminal.
//
// A lesson's prints, check texts, table cells, panic messages and titles
// reach the student's terminal. Escape sequences in them could move the
// cursor, rewrite a line already printed (a carriage return and a fake
// "checks: 99 passed"), hide text or change the window title. String
// shows every control character except newline and tab as a visible
// escape instead, and so do the bidirectional overrides that can make
// text read in a different order than it runs.
package termsafe
