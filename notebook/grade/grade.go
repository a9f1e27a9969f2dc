package grade

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Item is one graded thing of one student: an answer, an exercise, or a
// note about the submission (Max 0).
type Item struct {
	Student, Variant string
	Lesson           string
	Item             string // "quiz 2: question…", "exercise bt-loss"
	Kind             string // quiz, predict, number, exercise or submission
	Points, Max      float64
	Feedback         string // one line
	// Answer is the place of the graded answer in the submission's
	// Answers, counted from 1; 0 when no answer was graded.
	Answer int
}

// MaxSeeds is how many seeds of one submission are graded.
const MaxSeeds = 3

// Grader grades submissions against the instructor's lessons.
type Grader struct {
	// Lessons are the instructor's copies, with solutions and tests.
	Lessons []*notebook.Lesson
	// Secret is the course secret the students' variants are drawn with.
	Secret []byte
	// Limits bound every lesson run; the zero value is the default.
	Limits worker.Limits
	// Parallel is how many submissions are graded at once; zero means 1.
	Parallel int
}

// Graded is one submission's grade, or why it could not be graded.
type Graded struct {
	// Name names the submission (its file), for the rows of one that
	// could not be read.
	Name  string
	Items []Item
}

// Total returns the points and the maximum of the items.
func (g Graded) Total() (points, max float64) {
	for _, it := range g.Items {
		points += it.Points
		max += it.Max
	}
	return points, max
}

// Input is one submission to grade: a name for messages and either the
// submission or why it could not be read.
type Input struct {
	Name string
	Sub  *Submission
	Err  error
}

// GradeAll grades every input, Parallel at a time, and returns the grades
// in input order. An input that could not be read gets one row that says
// why; it never stops the others.
func (g *Grader) GradeAll(ctx context.Context, in []Input, progress func(done, total int)) []Graded {
	out := make([]Graded, len(in))
	sem := make(chan struct{}, max(g.Parallel, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, x := range in {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = Graded{Name: x.Name}
			if x.Err != nil {
				out[i].Items = []Item{{Student: x.Name, Kind: "submission", Item: "submission", Feedback: oneLine("not graded: " + x.Err.Error())}}
			} else {
				out[i].Items = g.Grade(ctx, x.Sub)
			}
			if progress != nil {
				mu.Lock()
				done++
				progress(done, len(in))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// Grade grades one submission: every question and exercise of the
// lessons, in the student's variant.
func (g *Grader) Grade(ctx context.Context, s *Submission) []Item {
	var items []Item
	code, err := world.Code(g.Secret, s.Student)
	if err != nil {
		return []Item{{Student: s.Student, Kind: "submission", Item: "submission", Feedback: oneLine("not graded: " + err.Error())}}
	}
	v, _ := world.Student(s.Student, code)
	note := func(lesson, text string) {
		items = append(items, Item{Student: v.Student, Variant: code, Lesson: lesson, Kind: "submission", Item: "submission", Feedback: oneLine(text)})
	}
	switch s.Variant {
	case code:
	case "":
		note("", "the submission names no variant code: answers given in the standard world do not match your own world's")
	default:
		note("", "the submission's variant code is not this name's: graded in the name's own variant")
	}
	used := make([]bool, len(s.Answers))
	usedEx := make([]bool, len(s.Exercises))
	// Each seed an answer names costs a rerun of its lesson: grade the
	// answers of seed 1 and of at most MaxSeeds-1 others, in the order
	// they first appear, so a submission cannot make grading run for
	// hours.
	seeds, skipped := map[uint64]bool{1: true}, 0
	for i, a := range s.Answers {
		if !seeds[a.seed()] && len(seeds) < MaxSeeds {
			seeds[a.seed()] = true
		}
		if !seeds[a.seed()] {
			used[i] = true
			skipped++
		}
	}
	if skipped > 0 {
		note("", fmt.Sprintf("%d answers were given at more than %d seeds: only seed 1 and the first %d others are graded", skipped, MaxSeeds, MaxSeeds-1))
	}
	for _, l := range g.Lessons {
		items = append(items, g.lesson(ctx, l, v, s, used, usedEx)...)
	}
	unmatched := 0
	for _, u := range used {
		if !u {
			unmatched++
		}
	}
	if unmatched > 0 {
		note("", fmt.Sprintf("%d answers match no question of these lessons in your variant (given in another world, with another seed, or for a lesson not graded)", unmatched))
	}
	for i, u := range usedEx {
		if !u {
			note(s.Exercises[i].Lesson, fmt.Sprintf("exercise %.40q of lesson %.60q is not one of these lessons' exercises", s.Exercises[i].Name, s.Exercises[i].Lesson))
		}
	}
	for i := range items {
		items[i].Student, items[i].Variant = v.Student, code
	}
	return items
}

// lesson grades one lesson's questions and exercises.
func (g *Grader) lesson(ctx context.Context, l *notebook.Lesson, v world.Variant, s *Submission, used, usedEx []bool) []Item {
	id := l.Meta.ID
	runs := map[uint64]*notebook.Result{}
	run := func(seed uint64) *notebook.Result {
		if r, ok := runs[seed]; ok {
			return r
		}
		r := worker.Run(ctx, l, worker.Options{Seed: seed, Variant: v, Limits: g.Limits})
		runs[seed] = r
		return r
	}
	var items []Item
	base := run(1)
	if base.Err != nil {
		return []Item{{Lesson: id, Kind: "submission", Item: "lesson", Feedback: oneLine("not graded: the instructor's lesson stopped in this variant: " + base.Err.Error())}}
	}
	// The questions are those of the seed-1 run; an answer given at
	// another seed is graded by that seed's run of the same question.
	for _, e := range questions(base) {
		it := Item{Lesson: id, Kind: string(e.Kind), Item: fmt.Sprintf("%s %d: %s", e.Kind, e.N, clip(e.Text, 60)), Max: 1}
		ai := -1
		for i, a := range s.Answers {
			if !used[i] && a.Lesson == id && sameKind(a.Kind, e.Kind) && a.Question == e.Text {
				ai = i
				break
			}
		}
		var truth *notebook.Event
		if ai < 0 {
			// An answer at another seed names that run's question,
			// which may differ from the seed-1 text (predictions).
			for i, a := range s.Answers {
				if used[i] || a.Lesson != id || !sameKind(a.Kind, e.Kind) || a.seed() == 1 {
					continue
				}
				if t := sameQuestion(run(a.seed()), e); t != nil && t.Text == a.Question {
					ai, truth = i, t
					break
				}
			}
		} else if s.Answers[ai].seed() != 1 {
			truth = sameQuestion(run(s.Answers[ai].seed()), e)
		} else {
			truth = e
		}
		if ai < 0 || truth == nil {
			it.Feedback = "not answered in your variant"
			items = append(items, it)
			continue
		}
		used[ai] = true
		it.Answer = ai + 1
		it.Points, it.Feedback = mark(truth, s.Answers[ai].Choice)
		items = append(items, it)
	}
	for _, name := range l.Exercises() {
		items = append(items, g.exercise(ctx, l, name, v, s, usedEx, base))
	}
	return items
}

// sameKind reports whether an answer of kind a can answer question k: a
// quiz and a prediction are both a choice among options (a student's copy
// asks some predictions as quizzes), a number is a number.
func sameKind(a string, k notebook.Kind) bool {
	if k == notebook.Number {
		return a == string(notebook.Number)
	}
	return a == string(notebook.Quiz) || a == string(notebook.Predict)
}

// questions are a run's quizzes, predictions and numbers, in order.
func questions(r *notebook.Result) []*notebook.Event {
	var out []*notebook.Event
	for _, c := range r.Cells {
		for _, it := range c.Items {
			if e := it.Event; e != nil && (e.Kind == notebook.Quiz || e.Kind == notebook.Predict || e.Kind == notebook.Number) {
				out = append(out, e)
			}
		}
	}
	return out
}

// sameQuestion is the event of run r in e's place: same kind and number.
func sameQuestion(r *notebook.Result, e *notebook.Event) *notebook.Event {
	if r.Err != nil {
		return nil
	}
	for _, q := range questions(r) {
		if q.Kind == e.Kind && q.N == e.N {
			return q
		}
	}
	return nil
}

// mark grades a choice against a question of the instructor's run.
func mark(e *notebook.Event, choice string) (float64, string) {
	if e.Kind == notebook.Number {
		x, err := strconv.ParseFloat(strings.TrimSpace(choice), 64)
		if err == nil && e.Right(x) {
			return 1, fmt.Sprintf("right: %s, within %g%% of %.4g", choice, 100*e.Tol, e.Value)
		}
		return 0, fmt.Sprintf("wrong: %.30s is not within %g%% of %.4g, what your world gives", choice, 100*e.Tol, e.Value)
	}
	right := e.Options[e.Answer]
	if choice == right {
		return 1, "right"
	}
	return 0, fmt.Sprintf("wrong: you chose %q; the answer is %q. %s", clip(choice, 80), clip(right, 80), clip(e.Explanation, 200))
}

// exercise runs an exercise's hidden tests on the student's code.
func (g *Grader) exercise(ctx context.Context, l *notebook.Lesson, name string, v world.Variant, s *Submission, usedEx []bool, base *notebook.Result) Item {
	id := l.Meta.ID
	it := Item{Lesson: id, Kind: "exercise", Item: "exercise " + name}
	tests := -1
	for i, c := range l.Cells {
		if c.Kind == notebook.Tests && c.Name == name {
			tests = i
		}
	}
	_, total, _ := checksOf(base, tests, "")
	it.Max = float64(max(total, 1))
	if total == 0 {
		it.Max = 0
		it.Feedback = "this exercise has no hidden tests: the instructor grades it by hand"
	}
	code := ""
	found := false
	for i, e := range s.Exercises {
		if e.Lesson == id && e.Name == name {
			code, found = e.Code, true
			usedEx[i] = true
		}
	}
	if !found {
		if total > 0 {
			it.Feedback = "not submitted"
		}
		return it
	}
	if total == 0 {
		return it
	}
	sl, nonce, err := sealed(l, name, code)
	if err != nil {
		it.Feedback = oneLine(err.Error())
		return it
	}
	r := worker.Run(ctx, sl, worker.Options{Seed: 1, Variant: v, Limits: g.Limits})
	pass, got, first := checksOf(r, tests, nonce)
	pass = min(pass, total)
	it.Points = float64(pass)
	switch {
	case r.Err != nil && (got < total || pass < total):
		it.Feedback = oneLine(strings.ReplaceAll(fmt.Sprintf("%d of %d hidden tests pass; the lesson stopped: %v", pass, total, r.Err), nonce, ""))
	case pass == total && got == total:
		it.Feedback = fmt.Sprintf("all %d hidden tests pass", total)
	case first != nil:
		it.Feedback = oneLine(fmt.Sprintf("%d of %d hidden tests pass; failed: %s (hint: %s)", pass, total, first.Text, first.Hint))
	default:
		it.Points = 0
		it.Feedback = fmt.Sprintf("the hidden tests ran %d times, not %d: graded 0; keep the exercise to computing its answer", got, total)
	}
	return it
}

// sealed is the lesson with the student's code in the named exercise and
// its hidden tests sealed with a fresh nonce (SealTests), which it also
// returns; its error is the feedback when the code cannot go in.
func sealed(l *notebook.Lesson, name, code string) (*notebook.Lesson, string, error) {
	src, err := l.WithExercise(name, code)
	if err != nil {
		return nil, "", err
	}
	sl, err := notebook.Parse(l.Meta.ID, l.File, src)
	if err != nil {
		return nil, "", err
	}
	var raw [16]byte
	rand.Read(raw[:])
	nonce := hex.EncodeToString(raw[:]) + ": "
	if src, err = notebook.SealTests(sl, name, nonce); err == nil {
		sl, err = notebook.Parse(l.Meta.ID, l.File, src)
	}
	if err != nil {
		return nil, "", fmt.Errorf("not graded: %w", err)
	}
	return sl, nonce, nil
}

// checksOf counts the checks of cell tests whose name starts with
// prefix: in a graded run, the sealed ones only, so checks the student's
// code makes count for nothing. first is the first that failed, its
// prefix removed.
func checksOf(r *notebook.Result, tests int, prefix string) (pass, total int, first *notebook.Event) {
	if tests < 0 || tests >= len(r.Cells) {
		return 0, 0, nil
	}
	for _, x := range r.Cells[tests].Items {
		if e := x.Event; e != nil && e.Kind == notebook.Check && strings.HasPrefix(e.Text, prefix) {
			total++
			if e.Pass {
				pass++
			} else if first == nil {
				c := *e
				c.Text = strings.TrimPrefix(c.Text, prefix)
				first = &c
			}
		}
	}
	return pass, total, first
}

// Sort orders items by student, then keeps each student's order.
func Sort(gs []Graded) {
	sort.SliceStable(gs, func(i, j int) bool { return student(gs[i]) < student(gs[j]) })
}

func student(g Graded) string {
	if len(g.Items) > 0 {
		return world.NormalName(g.Items[0].Student)
	}
	return g.Name
}

// oneLine makes text one printable line of at most 400 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(termsafe.String(s)), " ")
	return clip(s, 400)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
