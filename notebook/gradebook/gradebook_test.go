package gradebook

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestMain makes the test binary a child that saves answers when asked
// (TestKillLosesNothing kills it).
func TestMain(m *testing.M) {
	if path := os.Getenv("GRADEBOOK_CHILD"); path != "" {
		child(path)
		return
	}
	os.Exit(m.Run())
}

// child saves answers as fast as it can, printing each one's number once
// Save has returned, until it is killed.
func child(path string) {
	b, err := Open(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		a := Answer{Student: "Ada", Lesson: "01", Key: "q" + strconv.Itoa(i), Kind: "quiz", Question: "Which?", Choice: "this"}
		if _, _, err := b.Save(ctx, a); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

func open(t *testing.T, path string) *Book {
	t.Helper()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestSaveMarks marks answers against what the student was asked: the
// expected marks follow from the recorded truths by hand.
func TestSaveMarks(t *testing.T) {
	ctx := context.Background()
	b := open(t, filepath.Join(t.TempDir(), "class.db"))
	asked := []Question{
		{Student: "Ada", Lesson: "01", Key: "k1", Kind: "quiz", Text: "Which loss?", Answer: "the logistic loss"},
		{Student: "Ada", Lesson: "01", Key: "k2", Kind: "number", Text: "How far?", Value: 0.5, Tol: 0.1},
		{Student: "Ada", Lesson: "01", Key: "k3", Kind: "predict", Text: "Guess?", Graded: true},
		{Student: "Alan", Lesson: "01", Key: "k1", Kind: "quiz", Text: "Which loss?", Answer: "the hinge loss"},
	}
	if err := b.Ask(ctx, asked); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	for _, c := range []struct {
		a     Answer
		right *bool
	}{
		{Answer{Student: "Ada", Lesson: "01", Key: "k1", Kind: "quiz", Question: "x", Choice: "the logistic loss"}, &yes},
		{Answer{Student: "Alan", Lesson: "01", Key: "k1", Kind: "quiz", Question: "x", Choice: "the logistic loss"}, &no}, // Alan's world says hinge
		{Answer{Student: "Ada", Lesson: "01", Key: "k2", Kind: "number", Question: "x", Choice: "0.54"}, &yes},            // within 10% of 0.5
		{Answer{Student: "Alan", Lesson: "02", Key: "k2", Kind: "number", Question: "x", Choice: "0.56"}, nil},            // never asked: unmarked
		{Answer{Student: "Ada", Lesson: "01", Key: "k3", Kind: "predict", Question: "x", Choice: "up"}, nil},              // graded later
	} {
		got, fresh, err := b.Save(ctx, c.a)
		if err != nil || !fresh {
			t.Fatalf("Save(%+v) = %v, %v", c.a, fresh, err)
		}
		if (got.Right == nil) != (c.right == nil) || (got.Right != nil && *got.Right != *c.right) {
			t.Errorf("%s's answer %q to %s: right = %v, want %v", c.a.Student, c.a.Choice, c.a.Key, show(got.Right), show(c.right))
		}
	}
	// The first answer stays: a second browser cannot change it.
	got, fresh, err := b.Save(ctx, Answer{Student: "Ada", Lesson: "01", Key: "k1", Kind: "quiz", Question: "x", Choice: "the hinge loss"})
	if err != nil || fresh || got.Choice != "the logistic loss" {
		t.Errorf("a second answer: %+v fresh=%v err=%v; want the first kept", got, fresh, err)
	}
	as, err := b.Answers(ctx, "Ada", "01")
	if err != nil || len(as) != 3 {
		t.Fatalf("Ada's answers to 01: %d, %v; want 3", len(as), err)
	}
	if as[0].Question != "Which loss?" {
		t.Errorf("the kept question is %q, want the recorded one", as[0].Question)
	}
	// An answer given before its question is recorded is marked when it
	// is, and takes the recorded text.
	b.Save(ctx, Answer{Student: "Ada", Lesson: "02", Key: "early", Kind: "quiz", Question: "as the page said", Choice: "yes"})
	if err := b.Ask(ctx, []Question{{Student: "Ada", Lesson: "02", Key: "early", Kind: "quiz", Text: "Is it?", Answer: "yes"}}); err != nil {
		t.Fatal(err)
	}
	if as, _ := b.Answers(ctx, "Ada", "02"); len(as) != 1 || as[0].Right == nil || !*as[0].Right || as[0].Question != "Is it?" {
		t.Errorf("an early answer after its question was recorded: %+v", as)
	}
	for _, bad := range []Answer{
		{Student: "", Lesson: "01", Key: "k", Kind: "quiz", Question: "q", Choice: "c"},
		{Student: "Ada", Lesson: "01", Key: "k", Kind: "essay", Question: "q", Choice: "c"},
		{Student: "Ada", Lesson: "01", Key: "k", Kind: "quiz", Question: "q", Choice: strings.Repeat("c", MaxText+1)},
		{Student: "Ada", Lesson: "01", Key: "k", Kind: "quiz", Question: "q", Choice: "\xff"},
	} {
		if _, _, err := b.Save(ctx, bad); !errors.Is(err, ErrBadRecord) {
			t.Errorf("Save(%.60q...) = %v, want ErrBadRecord", bad.Student+"|"+bad.Kind+"|"+bad.Choice, err)
		}
	}
}

func show(b *bool) string {
	if b == nil {
		return "unmarked"
	}
	return strconv.FormatBool(*b)
}

// TestReopenKeepsEverything closes and reopens a gradebook: every kind of
// record is still there, and the schema is at Version.
func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "class.db")
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.Visit(ctx, "Ada", "01"))
	must(b.Visit(ctx, "Ada", "01"))
	_, _, err = b.Save(ctx, Answer{Student: "Ada", Lesson: "01", Key: "k", Kind: "quiz", Question: "q", Choice: "c"})
	must(err)
	must(b.SaveExercises(ctx, []Exercise{{Student: "Ada", Lesson: "03", Name: "bt-loss", Code: "x := 1"}}))
	must(b.SaveExercises(ctx, []Exercise{{Student: "Ada", Lesson: "03", Name: "bt-loss", Code: "x := 2"}}))
	// A hand-in with one bad exercise keeps none of it.
	if err := b.SaveExercises(ctx, []Exercise{{Student: "Ada", Lesson: "04", Name: "grad", Code: "y := 1"}, {Student: "Ada", Lesson: "04", Name: " ", Code: "z"}}); !errors.Is(err, ErrBadRecord) {
		t.Errorf("a hand-in with a nameless exercise: %v, want ErrBadRecord", err)
	}
	must(b.SetGrades(ctx, "Ada", []Grade{{Lesson: "01", Item: "quiz 1", Kind: "quiz", Points: 1, Max: 1, Feedback: "right"}}))
	must(b.Close())
	os.Chmod(path, 0o644) // as a careless copy leaves it
	b = open(t, path)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the gradebook's permissions after opening: %v, want 0600 (students' answers)", st.Mode().Perm())
	}
	vs, err := b.Visits(ctx)
	must(err)
	as, err := b.Answers(ctx, "", "")
	must(err)
	es, err := b.Exercises(ctx, "")
	must(err)
	gs, err := b.Grades(ctx)
	must(err)
	if len(vs) != 1 || vs[0].Loads != 2 || len(as) != 1 || len(es) != 1 || es[0].Code != "x := 2" || len(gs) != 1 || gs[0].Student != "Ada" {
		t.Errorf("after reopening: visits %+v, answers %d, exercises %+v, grades %+v", vs, len(as), es, gs)
	}
	var v int
	must(b.db.QueryRow("PRAGMA user_version").Scan(&v))
	if v != Version {
		t.Errorf("schema version %d, want %d", v, Version)
	}
}

// TestRefusesWithoutChanging opens files that are not gradebooks, or are
// in use: each is refused with a message that says what to do, and its
// bytes are as they were.
func TestRefusesWithoutChanging(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.db")
	os.WriteFile(notes, []byte("my lecture notes, not a database\n"), 0o644)

	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE marks (name TEXT, mark REAL); INSERT INTO marks VALUES ('Ada', 19)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Another program's database caught mid-write: its tables are still
	// in the WAL beside it (the files copied while it ran).
	live := filepath.Join(dir, "live.db")
	db, err = sql.Open("sqlite", live+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE marks (name TEXT, mark REAL); INSERT INTO marks VALUES ('Ada', 19)"); err != nil {
		t.Fatal(err)
	}
	walled := filepath.Join(dir, "walled.db")
	for _, side := range []string{"", "-wal"} {
		b, err := os.ReadFile(live + side)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(walled+side, b, 0o644)
	}
	db.Close()

	newer := filepath.Join(dir, "newer.db")
	b, err := Open(newer)
	if err != nil {
		t.Fatal(err)
	}
	b.db.Exec("PRAGMA user_version = 99")
	b.Close()

	damaged := filepath.Join(dir, "damaged.db")
	b, err = Open(damaged)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		b.Save(context.Background(), Answer{Student: "Ada", Lesson: "01", Key: strconv.Itoa(i), Kind: "quiz", Question: strings.Repeat("q", 500), Choice: "c"})
	}
	b.Close()
	raw, _ := os.ReadFile(damaged)
	for i := 4096 + 100; i < len(raw) && i < 4096*6; i++ {
		raw[i] ^= 0x5a // scramble pages 2 to 6, keep the header
	}
	os.WriteFile(damaged, raw, 0o644)

	inUse := filepath.Join(dir, "in-use.db")
	holder := open(t, inUse)
	_ = holder

	wal, _ := os.ReadFile(walled + "-wal")
	if len(wal) == 0 {
		t.Fatal("the copied database has no WAL: the case is not made")
	}
	for _, c := range []struct {
		path string
		want error
		says string
	}{
		{notes, ErrNotGradebook, "not an SQLite database"},
		{other, ErrNotGradebook, "another program's"},
		{walled, ErrNotGradebook, "another program"},
		{newer, ErrNotGradebook, "newer rlhfsim"},
		{damaged, ErrNotGradebook, "damaged"},
		{inUse, ErrInUse, "another rlhfsim serve"},
		{dir, nil, "is a directory"},
	} {
		before, _ := os.ReadFile(c.path)
		b, err := Open(c.path)
		if err == nil {
			b.Close()
			t.Errorf("Open(%s) worked; want it refused", filepath.Base(c.path))
			continue
		}
		if (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Open(%s) = %v; want %v saying %q", filepath.Base(c.path), err, c.want, c.says)
		}
		if after, _ := os.ReadFile(c.path); !bytes.Equal(before, after) {
			t.Errorf("Open(%s) changed the file", filepath.Base(c.path))
		}
		if c.path == walled {
			if after, _ := os.ReadFile(walled + "-wal"); !bytes.Equal(wal, after) {
				t.Errorf("Open(%s) changed its WAL (%d bytes, were %d)", filepath.Base(c.path), len(after), len(wal))
			}
		}
	}
}

// TestKillLosesNothing kills a process that saves answers as fast as it
// can: every answer it reported saved is in the gradebook afterwards.
func TestKillLosesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "class.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GRADEBOOK_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := -1
		for sc.Scan() {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				t.Fatalf("the child: %s", sc.Text())
			}
			last = n
			if n == 50 {
				cmd.Process.Signal(syscall.SIGKILL) // mid-save, most likely
			}
		}
		cmd.Wait()
		if last < 50 {
			t.Fatalf("round %d: the child saved %d answers before it died", round, last+1)
		}
		b, err := Open(path) // also: the dead process's lock is gone
		if err != nil {
			t.Fatal(err)
		}
		as, err := b.Answers(context.Background(), "Ada", "01")
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, a := range as {
			have[a.Key] = true
		}
		for i := 0; i <= last; i++ {
			if !have["q"+strconv.Itoa(i)] {
				t.Fatalf("round %d: answer %d was reported saved and is lost (the child reported %d)", round, i, last+1)
			}
		}
		// Each round starts from the numbers again: they are kept, not
		// duplicated.
		if len(as) < last+1 {
			t.Fatalf("round %d: %d answers for %d saved", round, len(as), last+1)
		}
	}
}

func ExampleBook_Save() {
	dir, _ := os.MkdirTemp("", "gradebook")
	defer os.RemoveAll(dir)
	b, err := Open(filepath.Join(dir, "class.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	ctx := context.Background()
	// The server records what Ada was asked in her run...
	b.Ask(ctx, []Question{{Student: "Ada", Lesson: "01-pairs", Key: "q1", Kind: "quiz", Text: "Which pair is easier?", Answer: "the far one"}})
	// ...and marks her answer against it.
	a, fresh, _ := b.Save(ctx, Answer{Student: "Ada", Lesson: "01-pairs", Key: "q1", Kind: "quiz", Question: "Which pair is easier?", Choice: "the near one", Index: 0})
	fmt.Println(a.Choice, fresh, *a.Right)
	// Output: the near one true false
}

// TestMigratesAnOlderGradebook opens a gradebook of schema 1, as the
// first release wrote it: it is brought to Version, and its answers are
// kept.
func TestMigratesAnOlderGradebook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{fmt.Sprintf("PRAGMA application_id = %d", applicationID), migrations[0], "PRAGMA user_version = 1",
		`INSERT INTO answers (student, lesson, qkey, kind, question, choice, at) VALUES ('Ada', '01', 'k', 'quiz', 'q', 'c', '2026-12-01T10:00:00Z')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b := open(t, path)
	var v int
	if err := b.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != Version || Version < 2 {
		t.Fatalf("schema %d after opening, want %d (%v)", v, Version, err)
	}
	as, err := b.Answers(context.Background(), "Ada", "")
	if err != nil || len(as) != 1 || as[0].Choice != "c" {
		t.Errorf("Ada's answer after the migration: %+v, %v", as, err)
	}
	// What migration 2 added works.
	if e, err := b.Revoke(context.Background(), "ada"); err != nil || e != 1 {
		t.Errorf("Revoke: %d, %v", e, err)
	}
	if e, _ := b.Revoke(context.Background(), "ada"); e != 2 {
		t.Errorf("a second Revoke: epoch %d, want 2", e)
	}
	if es, err := b.Epochs(context.Background()); err != nil || es["ada"] != 2 {
		t.Errorf("Epochs: %v, %v", es, err)
	}
}

// TestWritesCommittedTogetherStayApart saves answers from many goroutines
// at once, with writes that fail among them: the writes are committed in
// batches, and every good one is kept while each failed one leaves
// nothing.
func TestWritesCommittedTogetherStayApart(t *testing.T) {
	ctx := context.Background()
	b := open(t, filepath.Join(t.TempDir(), "class.db"))
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%50 == 5 {
				// A write that panics is its own failure.
				if err := b.write(ctx, func(tx *sql.Tx) error { panic("a bug") }); err == nil {
					t.Error("a panicking write reported no error")
				}
				return
			}
			if i%10 == 0 {
				// A write that inserts, then fails: its insert must go.
				err := b.write(ctx, func(tx *sql.Tx) error {
					tx.Exec(`INSERT INTO visits (student, lesson, first, last) VALUES ('ghost', ?, 'x', 'x')`, strconv.Itoa(i))
					return errors.New("fails")
				})
				if err == nil {
					t.Error("a failing write reported no error")
				}
				return
			}
			if _, _, err := b.Save(ctx, Answer{Student: "Ada", Lesson: "01", Key: strconv.Itoa(i), Kind: "quiz", Question: "q", Choice: "c"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	as, _ := b.Answers(ctx, "Ada", "01")
	vs, _ := b.Visits(ctx)
	// 300 writes: 30 fail (i%10 == 0) and 6 panic (i%50 == 5).
	if len(as) != 264 || len(vs) != 0 {
		t.Errorf("%d answers kept (want 264) and %d visits of failed writes (want 0)", len(as), len(vs))
	}
	b.Close()
	if err := b.Visit(ctx, "Ada", "01"); err == nil {
		t.Error("a write after Close reported no error")
	}
}
