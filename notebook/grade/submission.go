package grade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Format names the submission file format.
const Format = "rlhfsim-submission/1"

// Limits of a submission, checked before anything runs.
const (
	MaxBytes     = 1 << 20 // the file
	MaxAnswers   = 2000
	MaxExercises = 200
	MaxCode      = 64 << 10 // one exercise's code
	MaxText      = 2000     // a question or a choice
)

// Submission is what one student hands in.
type Submission struct {
	Format    string     `json:"format"`
	Student   string     `json:"student"`
	Variant   string     `json:"variant,omitempty"` // the code the student ran with
	Answers   []Answer   `json:"answers,omitempty"`
	Exercises []Exercise `json:"exercises,omitempty"`
}

// Answer is one answer to a quiz, a prediction or a number.
type Answer struct {
	Lesson   string `json:"lesson"`
	Kind     string `json:"kind"` // quiz, predict or number
	Question string `json:"question"`
	// Choice is the chosen option's text, or the number as typed.
	Choice string `json:"choice"`
	// Seed is the seed of the run the question came from; 0 means 1.
	Seed uint64 `json:"seed,omitempty"`
}

// Exercise is the code of one exercise cell.
type Exercise struct {
	Lesson string `json:"lesson"`
	Name   string `json:"name"`
	Code   string `json:"code"`
}

// ErrMalformed is wrapped by Read's errors about the file's content.
var ErrMalformed = errors.New("malformed submission")

// Read reads and checks a submission: JSON of this format, at most
// MaxBytes, a valid name, and entries within their limits.
func Read(r io.Reader) (*Submission, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Submission
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: not JSON of an rlhfsim submission: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrMalformed)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Check reports the first problem of a submission's content.
func (s *Submission) Check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Format != Format:
		return bad("format %.40q, want %q", s.Format, Format)
	case len(s.Answers) > MaxAnswers:
		return bad("%d answers (at most %d)", len(s.Answers), MaxAnswers)
	case len(s.Exercises) > MaxExercises:
		return bad("%d exercises (at most %d)", len(s.Exercises), MaxExercises)
	}
	if _, err := world.Student(s.Student, ""); err != nil {
		return bad("student: %v", err)
	}
	if s.Variant != "" {
		if _, err := world.Student(s.Student, s.Variant); err != nil {
			return bad("variant: %v", err)
		}
	}
	for i, a := range s.Answers {
		switch {
		case a.Kind != "quiz" && a.Kind != "predict" && a.Kind != "number":
			return bad("answer %d: kind %.20q is not quiz, predict or number", i+1, a.Kind)
		case len(a.Lesson) > 100 || len(a.Question) > MaxText || len(a.Choice) > MaxText:
			return bad("answer %d: longer than %d bytes", i+1, MaxText)
		case a.Seed > 1_000_000:
			return bad("answer %d: seed %d is above 1000000", i+1, a.Seed)
		}
		if a.Kind == "number" {
			if x, err := strconv.ParseFloat(strings.TrimSpace(a.Choice), 64); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return bad("answer %d: %.40q is not a number", i+1, a.Choice)
			}
		}
	}
	for i, e := range s.Exercises {
		if len(e.Code) > MaxCode || len(e.Lesson) > 100 || len(e.Name) > 100 {
			return bad("exercise %d: its code is longer than %d bytes", i+1, MaxCode)
		}
	}
	return nil
}

// seed is an answer's seed, 1 if unset.
func (a Answer) seed() uint64 { return max(a.Seed, 1) }

// Add records an answer unless the same question of the same run already
// has one: the first answer stands, as on the pages, which take one.
func (s *Submission) Add(a Answer) bool {
	for _, b := range s.Answers {
		if b.Lesson == a.Lesson && b.Kind == a.Kind && b.Question == a.Question && b.seed() == a.seed() {
			return false
		}
	}
	s.Answers = append(s.Answers, a)
	return true
}

// SetExercise records an exercise's code, replacing any earlier one.
func (s *Submission) SetExercise(e Exercise) {
	for i, f := range s.Exercises {
		if f.Lesson == e.Lesson && f.Name == e.Name {
			s.Exercises[i] = e
			return
		}
	}
	s.Exercises = append(s.Exercises, e)
}

// Write writes the submission as indented JSON.
func (s *Submission) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
