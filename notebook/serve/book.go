package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// maxAnswerBody bounds an answer's request: a question and a choice are
// at most gradebook.MaxText each.
const maxAnswerBody = 16 << 10

// memberOf returns the class member a request comes from, or nil.
func memberOf(r *http.Request) *member {
	m, _ := r.Context().Value(memberKey{}).(*member)
	return m
}

// recordAsked records in the gradebook the questions of a member's run,
// with that run's truths, so that their answers are marked against their
// own world. A run recorded last time for the same student and lesson is
// not written again: reloading a page costs no write.
func (s *Server) recordAsked(l *notebook.Lesson, r request, res *notebook.Result) {
	if s.opt.Book == nil || !r.member || res == nil || res.Cells == nil {
		return
	}
	key := runKey(l, r)
	who := r.student + "\x00" + l.Meta.ID
	s.mu.Lock()
	if s.recorded[who] == key {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	var qs []gradebook.Question
	n := map[notebook.Kind]int{}
	for _, c := range res.Cells {
		for _, it := range c.Items {
			e := it.Event
			if e == nil || (e.Kind != notebook.Quiz && e.Kind != notebook.Predict && e.Kind != notebook.Number) {
				continue
			}
			n[e.Kind]++
			q := gradebook.Question{Student: r.student, Lesson: l.Meta.ID, Key: render.QuizKey(e), Kind: string(e.Kind), N: n[e.Kind], Text: e.Text, Value: e.Value, Tol: e.Tol}
			switch {
			case e.Kind == notebook.Number:
			case e.Answer == notebook.Graded:
				q.Graded = true
			case e.Answer >= 0 && e.Answer < len(e.Options):
				q.Answer = e.Options[e.Answer]
			}
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return
	}
	if err := s.opt.Book.Ask(context.Background(), qs); err != nil {
		log.Printf("gradebook: recording %s's questions of %s: %v", r.student, l.Meta.ID, err)
		return
	}
	s.mu.Lock()
	if s.recorded == nil || len(s.recorded) > 100000 {
		s.recorded = map[string]string{}
	}
	s.recorded[who] = key
	s.mu.Unlock()
}

// postedAnswer is what a lesson page posts when a student answers: the
// question's key and the choice, with what the page showed. Who answers
// comes from the link, never from the body.
type postedAnswer struct {
	// Student is whose page posts: a page left open by one student in a
	// browser another has since signed into must not save as them.
	Student  string `json:"student"`
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Question string `json:"question"`
	Choice   string `json:"choice"`
	I        *int   `json:"i"`
	Seed     uint64 `json:"seed"`
}

// saveAnswer keeps a class member's answer in the gradebook.
func (s *Server) saveAnswer(w http.ResponseWriter, r *http.Request) {
	m, ok := s.bookFor(w, r)
	if !ok {
		return
	}
	e, _, _, ok := s.found(w, r)
	if !ok {
		return
	}
	var p postedAnswer
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAnswerBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		deny(w, http.StatusBadRequest, "not saved: the answer is not JSON of the expected shape (%v)", err)
		return
	}
	if !samePerson(p.Student, m) {
		otherPerson(w, p.Student, m)
		return
	}
	a := gradebook.Answer{Student: m.name, Lesson: e.ID, Key: p.Key, Kind: p.Kind, Question: p.Question, Choice: p.Choice, Index: -1, Seed: p.Seed}
	if p.I != nil {
		a.Index = *p.I
	}
	kept, fresh, err := s.opt.Book.Save(r.Context(), a)
	if errors.Is(err, gradebook.ErrBadRecord) || errors.Is(err, gradebook.ErrFull) {
		deny(w, http.StatusBadRequest, "not saved: %v", err)
		return
	}
	if err != nil {
		log.Printf("gradebook: saving %s's answer in %s: %v", m.name, e.ID, err)
		deny(w, http.StatusServiceUnavailable, "not saved: the server's gradebook failed (%v); your answer stays in this browser and is sent again", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"saved": true, "first": fresh, "choice": kept.Choice})
}

// samePerson says whether a page's student is the signed-in member: a
// page that names no one (an old page) counts as theirs.
func samePerson(student string, m *member) bool {
	return student == "" || world.NormalName(student) == world.NormalName(m.name)
}

// otherPerson refuses a request from a page of another student than the
// one this browser is now signed in as.
func otherPerson(w http.ResponseWriter, student string, m *member) {
	deny(w, http.StatusConflict, "not saved: this page is %.100s's, and this browser is now signed in as %s: open your own link again (your answers wait in this page until then)", student, m.name)
}

// bookFor checks that a request may use the gradebook: the server keeps
// one and the request is a class member's. It answers the refusal itself.
func (s *Server) bookFor(w http.ResponseWriter, r *http.Request) (*member, bool) {
	if s.opt.Book == nil {
		deny(w, http.StatusNotFound, "this server keeps no answers (no --class): they stay in your browser")
		return nil, false
	}
	m := memberOf(r)
	if m == nil {
		deny(w, http.StatusForbidden, "the instructor's answers are not kept: open a student's link to answer as them")
		return nil, false
	}
	return m, true
}

// savedAnswers returns a member's answers to a lesson, as the page keeps
// them in the browser, so that any browser with their link shows them.
func (s *Server) savedAnswers(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	m := memberOf(r)
	if s.opt.Book != nil && m != nil {
		e, _, _, ok := s.found(w, r)
		if !ok {
			return
		}
		as, err := s.opt.Book.Answers(r.Context(), m.name, e.ID)
		if err != nil {
			deny(w, http.StatusServiceUnavailable, "the server's gradebook failed: %v", err)
			return
		}
		for _, a := range as {
			v := map[string]any{"kind": a.Kind, "question": a.Question, "choice": a.Choice, "seed": a.Seed, "student": m.name, "variant": m.code}
			if a.Index >= 0 {
				v["i"] = a.Index
			}
			out[a.Key] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// handIn keeps the exercises of a submission file (what rlhfsim submit
// writes) as the member's; its answers are not taken, as the server has
// the member's own.
func (s *Server) handIn(w http.ResponseWriter, r *http.Request) {
	m, ok := s.bookFor(w, r)
	if !ok {
		return
	}
	sub, err := grade.Read(http.MaxBytesReader(w, r.Body, grade.MaxBytes))
	if err != nil {
		deny(w, http.StatusBadRequest, "not handed in: %v", err)
		return
	}
	if len(sub.Exercises) == 0 {
		deny(w, http.StatusBadRequest, "not handed in: the file holds no exercise (rlhfsim submit DIR --student NAME --out FILE puts the exercises you wrote in DIR's lessons in it)")
		return
	}
	known := map[string]bool{}
	if ls, err := s.lessons(); err == nil {
		for _, e := range ls {
			known[e.ID] = true
		}
	}
	var names []string
	for _, e := range sub.Exercises {
		if !known[e.Lesson] {
			deny(w, http.StatusBadRequest, "not handed in: exercise %s is of lesson %.60q, which this course has not", e.Name, e.Lesson)
			return
		}
	}
	var es []gradebook.Exercise
	for _, e := range sub.Exercises {
		es = append(es, gradebook.Exercise{Student: m.name, Lesson: e.Lesson, Name: e.Name, Code: e.Code})
		names = append(names, e.Lesson+" "+e.Name)
	}
	// All or nothing: a hand-in is one transaction.
	if err := s.opt.Book.SaveExercises(r.Context(), es); errors.Is(err, gradebook.ErrBadRecord) {
		deny(w, http.StatusBadRequest, "not handed in: %v", err)
		return
	} else if err != nil {
		deny(w, http.StatusServiceUnavailable, "not handed in: the server's gradebook failed (%v); try again", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"saved": names, "message": fmt.Sprintf("Handed in as %s: %s.", m.name, strings.Join(names, ", "))})
}

// visitEvery is how often a student's opening of one lesson is written:
// the dashboard needs to know they opened it, not every reload.
const visitEvery = time.Minute

// visit records that a member opened a lesson, for the dashboard.
func (s *Server) visit(r *http.Request, lesson string) {
	if m := memberOf(r); s.opt.Book != nil && m != nil {
		key := m.name + "\x00" + lesson
		s.mu.Lock()
		last, seen := s.visited[key]
		if s.visited == nil || len(s.visited) > 100000 {
			s.visited = map[string]time.Time{}
		}
		if seen && time.Since(last) < visitEvery {
			s.mu.Unlock()
			return
		}
		s.visited[key] = time.Now()
		s.mu.Unlock()
		// The page does not wait for the disk: a visit is the
		// dashboard's, not the student's.
		go func() {
			if err := s.opt.Book.Visit(context.Background(), m.name, lesson); err != nil {
				log.Printf("gradebook: %s opened %s: %v", m.name, lesson, err)
			}
		}()
	}
}
