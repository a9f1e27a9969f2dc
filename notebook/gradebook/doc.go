// Package gradebook keeps a class's work in one SQLite file: what each
// student was asked (with the truth of their own run), what they
// answered, the lessons they opened, the exercises they handed in and
// the grader's results. The live notebook's classroom server writes it;
// its dashboard and CSV export read it.
//
// The file is opened by one server at a time (SQLite's exclusive lock),
// every write is one transaction that is on disk before it returns
// (WAL, synchronous FULL), so a crash or a power cut loses at most the
// write under way, and its schema carries a version that Open migrates
// forward. A file that is not a gradebook, one made by a newer rlhfsim
// or one another process holds is refused with a message and left as it
// was.
//
// The driver is modernc.org/sqlite, SQLite translated to Go, so the
// server needs no C compiler and no database to install.
package gradebook
