package gradebook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// applicationID marks an SQLite file as a gradebook ("RLHF"), so that
// Open never adds its tables to another program's database.
const applicationID = 0x524c4846

// migrations are the schema's versions: migrations[i] takes a gradebook
// from version i to i+1. A released migration is never edited; a change
// is a new one at the end.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE asked (
		student  TEXT NOT NULL,
		lesson   TEXT NOT NULL,
		qkey     TEXT NOT NULL,
		kind     TEXT NOT NULL,
		n        INTEGER NOT NULL DEFAULT 0, -- the question's number of its kind in the lesson
		question TEXT NOT NULL,
		answer   TEXT NOT NULL, -- the right option's text; '' for a number or one graded later
		value    REAL,          -- a number's truth
		tol      REAL,
		graded   INTEGER NOT NULL DEFAULT 0, -- the answer is not in the lesson
		at       TEXT NOT NULL,
		PRIMARY KEY (student, lesson, qkey)
	) WITHOUT ROWID;
	CREATE TABLE answers (
		student  TEXT NOT NULL,
		lesson   TEXT NOT NULL,
		qkey     TEXT NOT NULL,
		kind     TEXT NOT NULL,
		question TEXT NOT NULL,
		choice   TEXT NOT NULL,
		idx      INTEGER NOT NULL DEFAULT -1, -- the option's place on the page
		seed     INTEGER NOT NULL DEFAULT 1,
		right    INTEGER,                     -- 1 or 0; NULL when not marked
		at       TEXT NOT NULL,
		PRIMARY KEY (student, lesson, qkey)
	) WITHOUT ROWID;
	CREATE TABLE visits (
		student TEXT NOT NULL,
		lesson  TEXT NOT NULL,
		first   TEXT NOT NULL,
		last    TEXT NOT NULL,
		loads   INTEGER NOT NULL DEFAULT 1,
		PRIMARY KEY (student, lesson)
	) WITHOUT ROWID;
	CREATE TABLE exercises (
		student TEXT NOT NULL,
		lesson  TEXT NOT NULL,
		name    TEXT NOT NULL,
		code    TEXT NOT NULL,
		at      TEXT NOT NULL,
		PRIMARY KEY (student, lesson, name)
	) WITHOUT ROWID;
	CREATE TABLE grades (
		student  TEXT NOT NULL,
		lesson   TEXT NOT NULL,
		item     TEXT NOT NULL,
		kind     TEXT NOT NULL,
		points   REAL NOT NULL,
		max      REAL NOT NULL,
		feedback TEXT NOT NULL,
		at       TEXT NOT NULL
	);
	CREATE INDEX grades_student ON grades (student);`,
	// 2: revoked links. A student's link is made from their name and
	// their epoch; revoking it moves the epoch on.
	`CREATE TABLE links (
		student TEXT PRIMARY KEY, -- world.NormalName of the roster's name
		epoch   INTEGER NOT NULL,
		at      TEXT NOT NULL
	) WITHOUT ROWID;`,
}

// Version is the schema version this package writes.
var Version = len(migrations)

// Book is an open gradebook. Its methods may be called at once from many
// goroutines.
type Book struct {
	db   *sql.DB
	path string
	// Now stamps the records; nil means time.Now. The tests set it.
	Now func() time.Time

	jobs    chan job      // writes waiting for the writer
	stopped chan struct{} // closed when the writer has committed the last
	closing sync.RWMutex  // held to send on jobs, and to close it
	closed  bool
}

// ErrNotGradebook is wrapped by Open's error for a file that is not a
// gradebook: not SQLite, damaged, another program's database, or one
// made by a newer rlhfsim.
var ErrNotGradebook = errors.New("not an rlhfsim gradebook")

// ErrInUse is wrapped by Open's error for a gradebook another process
// has open.
var ErrInUse = errors.New("gradebook in use")

// Open opens the gradebook at path, making it if there is none, and
// migrates its schema to Version. It refuses a file another process has
// open (ErrInUse) or that is not a gradebook (ErrNotGradebook), without
// changing it.
func Open(path string) (*Book, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("gradebook %s: is a directory; give a file name", path)
	}
	// Before anything can write to it, a file there is looked at read
	// only: another program's database, or one made by a newer rlhfsim,
	// is refused untouched (opening it for writing would already roll
	// back its journal or fold in its WAL).
	if err := probe(path); err != nil {
		return nil, err
	}
	// Students' answers are the instructor's to read: the file is
	// owner-only (SQLite gives its WAL the file's permissions).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("gradebook %s: making it readable by you only: %w", path, err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		os.Chmod(path+side, 0o600) // absent, mostly
	}
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(200)",       // a second server gives up at once, clearly
		"locking_mode(EXCLUSIVE)", // one server per gradebook
		"synchronous(FULL)",       // a commit is on disk before Save returns
		"foreign_keys(ON)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("gradebook %s: %w", path, err)
	}
	// One connection: the exclusive lock is the connection's, and one
	// writer at a time is what SQLite does anyway.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	b := &Book{db: db, path: path, jobs: make(chan job, 4096), stopped: make(chan struct{})}
	if err := b.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	go b.writer()
	return b, nil
}

// probe refuses a file at path that is not a gradebook, reading it
// without writing anything (SQLite's immutable mode reads the file alone:
// no lock, no journal). No file, or an empty one, is a new gradebook.
func probe(path string) error {
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+escapePath(path)+"?mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("gradebook %s: %w", path, err)
	}
	defer db.Close()
	var app, ver, tables int
	err = db.QueryRow("PRAGMA application_id").Scan(&app)
	if err == nil {
		err = db.QueryRow("PRAGMA user_version").Scan(&ver)
	}
	if err == nil {
		err = db.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&tables)
	}
	b := &Book{path: path}
	switch {
	case err != nil:
		return b.explain(err)
	case app == applicationID && ver > len(migrations):
		return fmt.Errorf("gradebook %s: %w of this version: a newer rlhfsim made it (schema %d; this one knows up to %d): run that rlhfsim, or give another --db (the file was not changed)", path, ErrNotGradebook, ver, len(migrations))
	case app == applicationID:
		return nil
	case app != 0 || tables > 0:
		return fmt.Errorf("gradebook %s: %w: it is another program's SQLite database; give another --db (the file was not changed)", path, ErrNotGradebook)
	}
	// An empty SQLite file: new, unless a journal beside it says another
	// program is in the middle of writing it.
	for _, side := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(path + side); err == nil {
			return fmt.Errorf("gradebook %s: %w: it is an empty SQLite database with a %s file beside it, which another program may be writing; give another --db (nothing was changed)", path, ErrNotGradebook, side)
		}
	}
	return nil
}

// escapePath keeps a file name with '?' or '#' one name in the DSN.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// migrate checks the file is a gradebook (or empty) and brings its
// schema to Version, one transaction per step.
func (b *Book) migrate() error {
	ctx := context.Background()
	// The first statement takes the exclusive lock: another server
	// holding the file fails here.
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return b.explain(err)
	}
	defer tx.Rollback()
	var app, ver, tables int
	if err := tx.QueryRow("PRAGMA application_id").Scan(&app); err != nil {
		return b.explain(err)
	}
	if err := tx.QueryRow("PRAGMA user_version").Scan(&ver); err != nil {
		return b.explain(err)
	}
	if err := tx.QueryRow("SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return b.explain(err)
	}
	switch {
	case app == 0 && tables == 0:
		// A new file: make it a gradebook.
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return b.explain(err)
		}
	case app != applicationID:
		return fmt.Errorf("gradebook %s: %w: it is another program's SQLite database; give another --db (the file was not changed)", b.path, ErrNotGradebook)
	case ver > len(migrations):
		return fmt.Errorf("gradebook %s: %w of this version: a newer rlhfsim made it (schema %d; this one knows up to %d): run that rlhfsim, or give another --db (the file was not changed)", b.path, ErrNotGradebook, ver, len(migrations))
	}
	for v := ver; v < len(migrations); v++ {
		if _, err := tx.Exec(migrations[v]); err != nil {
			return fmt.Errorf("gradebook %s: migrating the schema to version %d: %w", b.path, v+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return b.explain(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return b.explain(err)
	}
	// WAL only once the file is known to be a gradebook: the journal
	// mode is written into the file.
	if _, err := b.db.Exec("PRAGMA journal_mode=WAL"); err != nil {
		return b.explain(err)
	}
	var ok string
	if err := b.db.QueryRow("PRAGMA quick_check").Scan(&ok); err != nil || ok != "ok" {
		if err == nil {
			err = errors.New(ok)
		}
		return fmt.Errorf("gradebook %s: %w: it is damaged (%v); keep it for recovery (sqlite3 .recover) and give another --db", b.path, ErrNotGradebook, err)
	}
	return nil
}

// explain turns SQLite's errors on opening into what to do.
func (b *Book) explain(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("gradebook %s: %w: another rlhfsim serve (or another program) has it open; stop that one, or give this server another --db", b.path, ErrInUse)
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("gradebook %s: %w: the file is not an SQLite database or is damaged; keep it, and give another --db (the file was not changed)", b.path, ErrNotGradebook)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("gradebook %s: cannot open it for writing (%v): check the folder exists and is writable, or give another --db", b.path, err)
		}
	}
	return fmt.Errorf("gradebook %s: %w", b.path, err)
}

// Close closes the gradebook, releasing its lock.
func (b *Book) Close() error {
	b.closing.Lock()
	if !b.closed {
		b.closed = true
		close(b.jobs)
	}
	b.closing.Unlock()
	<-b.stopped
	return b.db.Close()
}

// Path returns the gradebook's file.
func (b *Book) Path() string { return b.path }

func (b *Book) now() string {
	t := time.Now()
	if b.Now != nil {
		t = b.Now()
	}
	// Fixed width, so that the text's order is the time's (RFC3339Nano
	// drops trailing zeros: "30.9Z" sorted after "30.97Z").
	return t.UTC().Format(stamp)
}

// stamp is how records are timed: RFC 3339 in UTC, to the nanosecond,
// fixed width.
const stamp = "2006-01-02T15:04:05.000000000Z"

// job is one write waiting for the writer.
type job struct {
	f    func(tx *sql.Tx) error
	done chan error
}

// maxBatch is the most writes committed together.
const maxBatch = 256

// write runs f as one all-or-nothing write, committed (and on disk)
// before it returns. Writes that arrive while one commits are committed
// together (group commit): each is still all or nothing, in a savepoint
// of its own, but they share one transaction and one flush to disk, so a
// class answering at once waits for a few flushes, not one per answer.
func (b *Book) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	j := job{f: f, done: make(chan error, 1)}
	b.closing.RLock()
	if b.closed {
		b.closing.RUnlock()
		return errors.New("gradebook: closed")
	}
	select {
	case b.jobs <- j:
	case <-ctx.Done():
		b.closing.RUnlock()
		return ctx.Err()
	}
	b.closing.RUnlock()
	// Once handed over, the write happens: wait for it, whatever ctx
	// says, so that "saved" is never said of a write not on disk, nor
	// "not saved" of one that is.
	return <-j.done
}

// writer commits the waiting writes, in batches, until the book closes.
func (b *Book) writer() {
	defer close(b.stopped)
	for j := range b.jobs {
		batch := []job{j}
	more:
		for len(batch) < maxBatch {
			select {
			case j, ok := <-b.jobs:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		b.commit(batch)
	}
}

// run runs one job's function, a panic in it being its error, not the
// server's end.
func run(j job, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("gradebook: a write panicked: %v", p)
		}
	}()
	return j.f(tx)
}

// commit runs a batch of writes in one transaction, each in a savepoint
// so that one that fails leaves the others, and tells each how it went.
// When the batch itself fails (the transaction cannot go on: a full
// disk, an I/O error), nothing of it is kept, and each write is tried
// again alone, so that one write's trouble is not the others'.
func (b *Book) commit(batch []job) {
	if len(batch) > 1 {
		if errs, ok := b.together(batch); ok {
			for i, j := range batch {
				j.done <- errs[i]
			}
			return
		}
	}
	for _, j := range batch {
		errs, _ := b.together([]job{j})
		j.done <- errs[0]
	}
}

// together runs jobs in one transaction; ok is false when the
// transaction itself failed, and then nothing of it was kept.
func (b *Book) together(batch []job) (errs []error, ok bool) {
	errs = make([]error, len(batch))
	fail := func(err error) ([]error, bool) {
		for i := range errs {
			errs[i] = err
		}
		return errs, false
	}
	tx, err := b.db.Begin()
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	for i, j := range batch {
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			return fail(err)
		}
		if errs[i] = run(j, tx); errs[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
				return fail(err)
			}
		}
		if _, err := tx.Exec("RELEASE w"); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return errs, true
}
