package gradebook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// Limits on what one record holds, checked before anything is written.
const (
	MaxText = 2000     // a question, a choice or a name
	MaxCode = 64 << 10 // an exercise's code
)

// ErrBadRecord is wrapped by the errors about a record that cannot be
// kept as it is (empty, too long, not UTF-8, an unknown kind).
var ErrBadRecord = errors.New("bad record")

// Question is what one student was asked in one run, with the truth of
// that run: the server records it when it runs a lesson for a student,
// so an answer is marked against the student's own world.
type Question struct {
	Student, Lesson string
	// Key names the question in its run (render.QuizKey).
	Key  string
	Kind string // quiz, predict or number
	// N is the question's number among the lesson's of its kind (Quiz 2):
	// the same question in every student's run, whatever its text.
	N    int
	Text string
	// Answer is the right option's text; Value and Tol a number's truth.
	Answer     string
	Value, Tol float64
	// Graded marks a question whose answer is not in the lesson: it is
	// graded later, by hand or by the grader.
	Graded bool
	At     string // when it was last asked (RFC 3339, UTC), as read
}

// Answer is one student's answer to one question, the first they gave.
type Answer struct {
	Student, Lesson, Key, Kind, Question string
	// Choice is the chosen option's text, or the number as typed; Index
	// the option's place on the page (-1 for a number).
	Choice string
	Index  int
	Seed   uint64
	// Right is whether the answer is right in the student's run; nil
	// when it could not be marked (graded later, or asked in a run the
	// server did not record).
	Right *bool
	At    string // RFC 3339, UTC
}

// Visit is a student's opening of a lesson.
type Visit struct {
	Student, Lesson string
	First, Last     string // RFC 3339, UTC
	Loads           int
}

// Exercise is the code a student handed in for one exercise: the latest.
type Exercise struct {
	Student, Lesson, Name, Code string
	At                          string
}

// Grade is one line of the grader's results for a student.
type Grade struct {
	Student, Lesson, Item, Kind string
	Points, Max                 float64
	Feedback                    string
	At                          string
}

func text(what, s string, limit int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: %s is empty", ErrBadRecord, what)
	case len(s) > limit:
		return fmt.Errorf("%w: %s is %d bytes (at most %d)", ErrBadRecord, what, len(s), limit)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8 text", ErrBadRecord, what)
	}
	return nil
}

func kindOK(k string) error {
	switch k {
	case string(notebook.Quiz), string(notebook.Predict), string(notebook.Number):
		return nil
	}
	return fmt.Errorf("%w: kind %q is none of quiz, predict, number", ErrBadRecord, k)
}

// MaxAnswers is the most answers one student keeps: a page that posts
// made-up questions cannot fill the disk.
const MaxAnswers = 5000

// ErrFull is wrapped by Save's error for a student who has MaxAnswers.
var ErrFull = errors.New("too many answers")

// Ask records the questions of one run, all stamped with one time: the
// latest run of a lesson is the questions with its latest time. A
// question recorded before keeps its truth and takes the new time.
func (b *Book) Ask(ctx context.Context, qs []Question) error {
	for _, q := range qs {
		for _, f := range [][2]string{{"student", q.Student}, {"lesson", q.Lesson}, {"key", q.Key}, {"question", q.Text}} {
			if err := text(f[0], f[1], MaxText); err != nil {
				return err
			}
		}
		if err := kindOK(q.Kind); err != nil {
			return err
		}
	}
	at := b.now()
	return b.write(ctx, func(tx *sql.Tx) error {
		// An answer given before its question was recorded (a page
		// answers as its run streams; the run is recorded when it ends)
		// is marked now, and takes the recorded question's text.
		mark, err := tx.Prepare(`SELECT choice FROM answers WHERE student=? AND lesson=? AND qkey=? AND right IS NULL`)
		if err != nil {
			return err
		}
		defer mark.Close()
		for _, q := range qs {
			var choice string
			err := mark.QueryRow(q.Student, q.Lesson, q.Key).Scan(&choice)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			var r *bool
			if !q.Graded {
				v := right(q, choice)
				r = &v
			}
			if _, err := tx.Exec(`UPDATE answers SET right=?, kind=?, question=? WHERE student=? AND lesson=? AND qkey=?`, r, q.Kind, q.Text, q.Student, q.Lesson, q.Key); err != nil {
				return err
			}
		}
		st, err := tx.Prepare(`INSERT INTO asked (student, lesson, qkey, kind, n, question, answer, value, tol, graded, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (student, lesson, qkey) DO UPDATE SET at=excluded.at`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, q := range qs {
			if _, err := st.Exec(q.Student, q.Lesson, q.Key, q.Kind, q.N, q.Text, q.Answer, q.Value, q.Tol, q.Graded, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// Save keeps a's answer unless the student answered that question
// before, marked against what the student was asked (Ask), and returns
// the answer kept (the earlier one if there was one) and whether it is
// a's. The question's text and kind are the recorded ones when the
// question was recorded: an answer says what was chosen, not what was
// asked.
func (b *Book) Save(ctx context.Context, a Answer) (Answer, bool, error) {
	for _, f := range [][2]string{{"student", a.Student}, {"lesson", a.Lesson}, {"key", a.Key}, {"question", a.Question}, {"choice", a.Choice}} {
		if err := text(f[0], f[1], MaxText); err != nil {
			return a, false, err
		}
	}
	if err := kindOK(a.Kind); err != nil {
		return a, false, err
	}
	a.Seed = max(a.Seed, 1)
	if a.Seed > 1<<62 {
		return a, false, fmt.Errorf("%w: seed %d is out of range", ErrBadRecord, a.Seed)
	}
	a.At = b.now()
	a.Right = nil
	fresh := false
	err := b.write(ctx, func(tx *sql.Tx) error {
		var q Question
		var graded bool
		err := tx.QueryRow(`SELECT kind, question, answer, value, tol, graded FROM asked WHERE student=? AND lesson=? AND qkey=?`, a.Student, a.Lesson, a.Key).
			Scan(&q.Kind, &q.Text, &q.Answer, &q.Value, &q.Tol, &graded)
		switch {
		case err == nil:
			a.Kind, a.Question = q.Kind, q.Text
			if !graded {
				r := right(q, a.Choice)
				a.Right = &r
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM answers WHERE student=?`, a.Student).Scan(&n); err != nil {
			return err
		}
		if n >= MaxAnswers {
			return fmt.Errorf("%w: %s has %d answers saved, the most kept", ErrFull, a.Student, n)
		}
		res, err := tx.Exec(`INSERT OR IGNORE INTO answers (student, lesson, qkey, kind, question, choice, idx, seed, right, at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			a.Student, a.Lesson, a.Key, a.Kind, a.Question, a.Choice, a.Index, int64(a.Seed), a.Right, a.At)
		if err != nil {
			return err
		}
		added, _ := res.RowsAffected()
		fresh = added == 1
		return nil
	})
	if err != nil {
		return a, false, err
	}
	if !fresh {
		as, err := b.answers(ctx, `WHERE student=? AND lesson=? AND qkey=?`, a.Student, a.Lesson, a.Key)
		if err != nil || len(as) == 0 {
			return a, false, err
		}
		return as[0], false, nil
	}
	return a, true, nil
}

// right marks a choice against a recorded question, as the grader marks
// it: a number within the question's tolerance, an option by its text.
func right(q Question, choice string) bool {
	if q.Kind == string(notebook.Number) {
		x, err := strconv.ParseFloat(strings.TrimSpace(choice), 64)
		e := notebook.Event{Value: q.Value, Tol: q.Tol}
		return err == nil && e.Right(x)
	}
	return choice == q.Answer
}

// Answers returns a student's answers to a lesson's questions; an empty
// student or lesson means every one. They come ordered by student,
// lesson and time.
func (b *Book) Answers(ctx context.Context, student, lesson string) ([]Answer, error) {
	return b.answers(ctx, `WHERE (?1='' OR student=?1) AND (?2='' OR lesson=?2)`, student, lesson)
}

func (b *Book) answers(ctx context.Context, where string, args ...any) ([]Answer, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, lesson, qkey, kind, question, choice, idx, seed, right, at FROM answers `+where+` ORDER BY student, lesson, at, qkey`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Answer
	for rows.Next() {
		var a Answer
		var seed int64
		var r sql.NullBool
		if err := rows.Scan(&a.Student, &a.Lesson, &a.Key, &a.Kind, &a.Question, &a.Choice, &a.Index, &seed, &r, &a.At); err != nil {
			return nil, err
		}
		a.Seed = uint64(seed)
		if r.Valid {
			v := r.Bool
			a.Right = &v
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Asked returns the questions recorded for a student (every student's
// when empty), ordered by student, lesson and key.
func (b *Book) Asked(ctx context.Context, student string) ([]Question, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, lesson, qkey, kind, n, question, answer, value, tol, graded, at FROM asked WHERE (?1='' OR student=?1) ORDER BY student, lesson, qkey`, student)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		var q Question
		if err := rows.Scan(&q.Student, &q.Lesson, &q.Key, &q.Kind, &q.N, &q.Text, &q.Answer, &q.Value, &q.Tol, &q.Graded, &q.At); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Visit records that a student opened a lesson.
func (b *Book) Visit(ctx context.Context, student, lesson string) error {
	if err := text("student", student, MaxText); err != nil {
		return err
	}
	if err := text("lesson", lesson, MaxText); err != nil {
		return err
	}
	at := b.now()
	return b.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO visits (student, lesson, first, last) VALUES (?1,?2,?3,?3)
			ON CONFLICT (student, lesson) DO UPDATE SET last=?3, loads=loads+1`, student, lesson, at)
		return err
	})
}

// Visits returns every student's visits, ordered by student and lesson.
func (b *Book) Visits(ctx context.Context) ([]Visit, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, lesson, first, last, loads FROM visits ORDER BY student, lesson`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Visit
	for rows.Next() {
		var v Visit
		if err := rows.Scan(&v.Student, &v.Lesson, &v.First, &v.Last, &v.Loads); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SaveExercises keeps students' code for exercises, each replacing what
// its student handed in before for that exercise: all of them, or, when
// one is bad, none.
func (b *Book) SaveExercises(ctx context.Context, es []Exercise) error {
	for _, e := range es {
		for _, f := range [][2]string{{"student", e.Student}, {"lesson", e.Lesson}, {"exercise name", e.Name}} {
			if err := text(f[0], f[1], MaxText); err != nil {
				return err
			}
		}
		if len(e.Code) > MaxCode || !utf8.ValidString(e.Code) {
			return fmt.Errorf("%w: the code of exercise %s is not UTF-8 text of at most %d bytes", ErrBadRecord, e.Name, MaxCode)
		}
	}
	at := b.now()
	return b.write(ctx, func(tx *sql.Tx) error {
		for _, e := range es {
			if _, err := tx.Exec(`INSERT INTO exercises (student, lesson, name, code, at) VALUES (?1,?2,?3,?4,?5)
				ON CONFLICT (student, lesson, name) DO UPDATE SET code=?4, at=?5`, e.Student, e.Lesson, e.Name, e.Code, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// Exercises returns a student's exercises (everyone's when empty),
// ordered by student, lesson and name.
func (b *Book) Exercises(ctx context.Context, student string) ([]Exercise, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, lesson, name, code, at FROM exercises WHERE (?1='' OR student=?1) ORDER BY student, lesson, name`, student)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Exercise
	for rows.Next() {
		var e Exercise
		if err := rows.Scan(&e.Student, &e.Lesson, &e.Name, &e.Code, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetGrades replaces a student's grades with gs, in one transaction.
func (b *Book) SetGrades(ctx context.Context, student string, gs []Grade) error {
	at := b.now()
	return b.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM grades WHERE student=?`, student); err != nil {
			return err
		}
		for _, g := range gs {
			if _, err := tx.Exec(`INSERT INTO grades (student, lesson, item, kind, points, max, feedback, at) VALUES (?,?,?,?,?,?,?,?)`,
				student, g.Lesson, g.Item, g.Kind, g.Points, g.Max, g.Feedback, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// Grades returns every grade line, ordered by student, then as written.
func (b *Book) Grades(ctx context.Context) ([]Grade, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, lesson, item, kind, points, max, feedback, at FROM grades ORDER BY student, rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Grade
	for rows.Next() {
		var g Grade
		if err := rows.Scan(&g.Student, &g.Lesson, &g.Item, &g.Kind, &g.Points, &g.Max, &g.Feedback, &g.At); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Epochs returns the epoch of every student whose link was revoked, by
// the name as Revoke was given it; the others' epoch is 0.
func (b *Book) Epochs(ctx context.Context) (map[string]int, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT student, epoch FROM links`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name string
		var e int
		if err := rows.Scan(&name, &e); err != nil {
			return nil, err
		}
		out[name] = e
	}
	return out, rows.Err()
}

// Revoke moves a student's epoch on, so that their link stops working
// and a new one is made, and returns the new epoch. The student is named
// as the caller keys them (the server uses world.NormalName).
func (b *Book) Revoke(ctx context.Context, student string) (int, error) {
	if err := text("student", student, MaxText); err != nil {
		return 0, err
	}
	at := b.now()
	var e int
	err := b.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`INSERT INTO links (student, epoch, at) VALUES (?1, 1, ?2)
			ON CONFLICT (student) DO UPDATE SET epoch=epoch+1, at=?2 RETURNING epoch`, student, at).Scan(&e)
	})
	return e, err
}

// Mark is the grader's mark of one answer.
type Mark struct {
	Lesson, Key string
	Right       bool
}

// SetRights marks a student's answers the server could not mark when
// they were given (a run in the student's browser, of the students'
// version, which holds no answers), as the grader found them, in one
// write; an answer already marked keeps its mark.
func (b *Book) SetRights(ctx context.Context, student string, marks []Mark) error {
	if len(marks) == 0 {
		return nil
	}
	return b.write(ctx, func(tx *sql.Tx) error {
		for _, m := range marks {
			if _, err := tx.Exec(`UPDATE answers SET right=? WHERE student=? AND lesson=? AND qkey=? AND right IS NULL`, m.Right, student, m.Lesson, m.Key); err != nil {
				return err
			}
		}
		return nil
	})
}
