package serve

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
)

// instructor answers a class member's request for the instructor's pages
// with a refusal, and reports whether the request is the instructor's.
func (s *Server) instructor(w http.ResponseWriter, r *http.Request) bool {
	if memberOf(r) != nil {
		deny(w, http.StatusForbidden, "forbidden: the class's dashboard is the instructor's")
		return false
	}
	if s.opt.Book == nil {
		deny(w, http.StatusNotFound, "this server keeps no class's work: start it with rlhfsim serve --class ROSTER")
		return false
	}
	return true
}

// progress is one student's work in one lesson: in the latest run of it
// the server recorded for them, how many questions it asked and how many
// they answered, and rightly.
type progress struct {
	Opened                 bool
	Asked, Answered, Right int
}

func (p progress) Done() bool { return p.Asked > 0 && p.Answered >= p.Asked }

// choiceCount is how many students chose one option.
type choiceCount struct {
	Text  string
	N     int
	Right bool
	Pct   float64
}

// mark is one student's answer to one question, for the heatmap.
type mark struct {
	Student, Choice string
	State           string // "r" right, "w" wrong, "u" unmarked, "" not answered
}

// questionRow is one question of the course across the class: the same
// question (lesson, kind and number) whatever its text in each world.
type questionRow struct {
	Lesson, Label, Text string
	Answered, Right     int
	Wrong, Unmarked     int
	Choices             []choiceCount
	Common              string // the most common wrong choice
	CommonN             int
	WrongPct            float64
	Marks               []mark
}

type studentRow struct {
	Name         string
	Cells        []progress
	Points, Max  float64
	Graded       bool
	Answered, Of int
}

type boardData struct {
	Lessons   []*notebook.Meta
	Students  []studentRow
	Questions []questionRow
	Grading   string
	Updated   string
	Saved     int
}

// gradeJob is a run of the grader over the class's gradebook.
type gradeJob struct {
	mu          sync.Mutex
	done, total int
	finished    bool
	err         error
	at          time.Time
}

// boardOf sums up the gradebook.
func (s *Server) boardOf(ctx context.Context) (*boardData, error) {
	b := s.opt.Book
	ls, err := s.lessons()
	if err != nil {
		return nil, err
	}
	asked, err := b.Asked(ctx, "")
	if err != nil {
		return nil, err
	}
	answers, err := b.Answers(ctx, "", "")
	if err != nil {
		return nil, err
	}
	visits, err := b.Visits(ctx)
	if err != nil {
		return nil, err
	}
	grades, err := b.Grades(ctx)
	if err != nil {
		return nil, err
	}
	d := &boardData{Updated: time.Now().Format("15:04:05"), Saved: len(answers)}
	col := map[string]int{}
	for _, e := range ls {
		if e.Lesson != nil {
			col[e.ID] = len(d.Lessons)
			d.Lessons = append(d.Lessons, &e.Lesson.Meta)
		}
	}
	type sk struct{ student, lesson, key string }
	byKey := map[sk]gradebook.Question{}
	for _, q := range asked {
		byKey[sk{q.Student, q.Lesson, q.Key}] = q
	}
	row := map[string]int{}
	for _, name := range s.roster() {
		row[name] = len(d.Students)
		d.Students = append(d.Students, studentRow{Name: name, Cells: make([]progress, len(d.Lessons))})
	}
	for k, p := range progressOf(asked, answers, visits) {
		i, ok1 := row[k[0]]
		j, ok2 := col[k[1]]
		if ok1 && ok2 {
			d.Students[i].Cells[j] = p
		}
	}
	for i := range d.Students {
		for _, c := range d.Students[i].Cells {
			d.Students[i].Answered += c.Answered
			d.Students[i].Of += c.Asked
		}
	}
	for _, g := range grades {
		if i, ok := row[g.Student]; ok {
			d.Students[i].Points += g.Points
			d.Students[i].Max += g.Max
			d.Students[i].Graded = true
		}
	}

	// Questions: one row per lesson, kind and number, whatever the text
	// in each student's world.
	type qid struct {
		lesson, kind string
		n            int
		text         string // only for answers to questions never recorded
	}
	rows := map[qid]*questionRow{}
	var order []qid
	for _, a := range answers {
		q, ok := byKey[sk{a.Student, a.Lesson, a.Key}]
		id := qid{a.Lesson, a.Kind, 0, a.Question}
		if ok {
			id = qid{q.Lesson, q.Kind, q.N, ""}
		}
		r := rows[id]
		if r == nil {
			label := map[string]string{"quiz": "Quiz", "predict": "Predict", "number": "Number"}[id.kind]
			if id.n > 0 {
				label += " " + strconv.Itoa(id.n)
			}
			r = &questionRow{Lesson: id.lesson, Label: label, Text: a.Question}
			rows[id] = r
			order = append(order, id)
		}
		r.Answered++
		st := "u"
		switch {
		case a.Right == nil:
			r.Unmarked++
		case *a.Right:
			r.Right++
			st = "r"
		default:
			r.Wrong++
			st = "w"
		}
		r.Marks = append(r.Marks, mark{Student: a.Student, Choice: a.Choice, State: st})
		found := false
		for i := range r.Choices {
			if r.Choices[i].Text == a.Choice {
				r.Choices[i].N++
				found = true
			}
		}
		if !found {
			r.Choices = append(r.Choices, choiceCount{Text: a.Choice, N: 1, Right: st == "r"})
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.lesson != b.lesson {
			ci, oki := col[a.lesson]
			cj, okj := col[b.lesson]
			if oki != okj {
				return oki
			}
			if ci != cj {
				return ci < cj
			}
			return a.lesson < b.lesson
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.n < b.n
	})
	for _, id := range order {
		r := rows[id]
		sort.SliceStable(r.Choices, func(i, j int) bool { return r.Choices[i].N > r.Choices[j].N })
		for i := range r.Choices {
			c := &r.Choices[i]
			c.Pct = 100 * float64(c.N) / float64(r.Answered)
			if !c.Right && r.CommonN == 0 && r.Wrong > 0 {
				// The most chosen option that was wrong for someone.
				for _, m := range r.Marks {
					if m.Choice == c.Text && m.State == "w" {
						r.Common, r.CommonN = c.Text, c.N
						break
					}
				}
			}
		}
		if marked := r.Right + r.Wrong; marked > 0 {
			r.WrongPct = 100 * float64(r.Wrong) / float64(marked)
		}
		// The heatmap's columns are the roster's.
		by := map[string]mark{}
		for _, m := range r.Marks {
			by[m.Student] = m
		}
		r.Marks = r.Marks[:0]
		for _, st := range d.Students {
			m := by[st.Name]
			m.Student = st.Name
			r.Marks = append(r.Marks, m)
		}
		d.Questions = append(d.Questions, *r)
	}
	s.mu.Lock()
	j := s.grading
	s.mu.Unlock()
	if j != nil {
		j.mu.Lock()
		switch {
		case !j.finished:
			d.Grading = fmt.Sprintf("Grading: %d of %d students done…", j.done, j.total)
		case j.err != nil:
			d.Grading = "Grading failed: " + j.err.Error()
		default:
			d.Grading = fmt.Sprintf("Graded %d students at %s.", j.total, j.at.Format("15:04:05"))
		}
		j.mu.Unlock()
	}
	return d, nil
}

// progressOf sums up each student's work in each lesson, by [student,
// lesson]: the questions of the latest run the server recorded for them
// (those stamped with its latest time), and their answers to those.
func progressOf(asked []gradebook.Question, answers []gradebook.Answer, visits []gradebook.Visit) map[[2]string]progress {
	out := map[[2]string]progress{}
	latest := map[[2]string]string{}
	for _, q := range asked {
		k := [2]string{q.Student, q.Lesson}
		latest[k] = max(latest[k], q.At)
	}
	answered := map[[3]string]gradebook.Answer{}
	for _, a := range answers {
		answered[[3]string{a.Student, a.Lesson, a.Key}] = a
	}
	for _, v := range visits {
		k := [2]string{v.Student, v.Lesson}
		p := out[k]
		p.Opened = true
		out[k] = p
	}
	// Answers to questions the server never recorded (runs in the
	// browsers, or given before their run was recorded) count as
	// answered where no run was recorded: how many of how many is then
	// unknown.
	for _, a := range answers {
		k := [2]string{a.Student, a.Lesson}
		if _, ok := latest[k]; !ok {
			p := out[k]
			p.Answered++
			if a.Right != nil && *a.Right {
				p.Right++
			}
			out[k] = p
		}
	}
	for _, q := range asked {
		k := [2]string{q.Student, q.Lesson}
		if q.At != latest[k] {
			continue
		}
		p := out[k]
		p.Asked++
		if a, ok := answered[[3]string{q.Student, q.Lesson, q.Key}]; ok {
			p.Answered++
			if a.Right != nil && *a.Right {
				p.Right++
			}
		}
		out[k] = p
	}
	return out
}

// roster is the class's names, in roster order.
func (s *Server) roster() []string {
	if s.opt.Class == nil {
		return nil
	}
	var out []string
	for _, name := range s.opt.Class.Students {
		out = append(out, strings.TrimSpace(name))
	}
	return out
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) { s.serveBoard(w, r, true) }

// board is the dashboard's board alone, which the page fetches every few
// seconds to show the class's work as it comes in.
func (s *Server) board(w http.ResponseWriter, r *http.Request) { s.serveBoard(w, r, false) }

// serveBoard answers with the board, in its page or alone.
func (s *Server) serveBoard(w http.ResponseWriter, r *http.Request, page bool) {
	if !s.instructor(w, r) {
		return
	}
	var b bytes.Buffer
	if err := s.renderBoard(r.Context(), &b); err != nil {
		deny(w, http.StatusServiceUnavailable, "the class's gradebook: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if !page {
		w.Write(b.Bytes())
		return
	}
	dashTmpl.Execute(w, map[string]any{"Board": template.HTML(b.String()), "Book": s.opt.Book.Path()})
}

func (s *Server) renderBoard(ctx context.Context, w *bytes.Buffer) error {
	d, err := s.boardOf(ctx)
	if err != nil {
		return err
	}
	return boardTmpl.Execute(w, d)
}

// export writes one of the gradebook's tables as CSV.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	if !s.instructor(w, r) {
		return
	}
	name := r.PathValue("table")
	rows, known, err := s.table(r.Context(), name)
	switch {
	case !known:
		deny(w, http.StatusNotFound, "no table %.40q: answers.csv, progress.csv, grades.csv or exercises.csv", name)
		return
	case err != nil:
		deny(w, http.StatusServiceUnavailable, "the class's gradebook: %v", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	csv.NewWriter(w).WriteAll(rows)
}

// table returns the rows, header first, of the CSV table name; known is
// false for a name that is none of them.
func (s *Server) table(ctx context.Context, name string) (rows [][]string, known bool, err error) {
	c := grade.SafeCell
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch name {
	case "answers.csv":
		as, err := s.opt.Book.Answers(ctx, "", "")
		rows = append(rows, []string{"student", "lesson", "kind", "question", "choice", "right", "seed", "saved"})
		for _, a := range as {
			right := ""
			if a.Right != nil {
				right = strconv.FormatBool(*a.Right)
			}
			rows = append(rows, []string{c(a.Student), c(a.Lesson), a.Kind, c(a.Question), c(a.Choice), right, strconv.FormatUint(a.Seed, 10), a.At})
		}
		return rows, true, err
	case "progress.csv":
		d, err := s.boardOf(ctx)
		if err != nil {
			return nil, true, err
		}
		rows = append(rows, []string{"student", "lesson", "opened", "asked", "answered", "right"})
		for _, st := range d.Students {
			for j, p := range st.Cells {
				rows = append(rows, []string{c(st.Name), c(d.Lessons[j].ID), strconv.FormatBool(p.Opened), strconv.Itoa(p.Asked), strconv.Itoa(p.Answered), strconv.Itoa(p.Right)})
			}
		}
		return rows, true, nil
	case "grades.csv":
		gs, err := s.opt.Book.Grades(ctx)
		rows = append(rows, []string{"student", "lesson", "item", "kind", "points", "max", "feedback", "graded"})
		for _, g := range gs {
			rows = append(rows, []string{c(g.Student), c(g.Lesson), c(g.Item), g.Kind, f(g.Points), f(g.Max), c(g.Feedback), g.At})
		}
		return rows, true, err
	case "exercises.csv":
		es, err := s.opt.Book.Exercises(ctx, "")
		rows = append(rows, []string{"student", "lesson", "exercise", "code", "handed in"})
		for _, e := range es {
			rows = append(rows, []string{c(e.Student), c(e.Lesson), c(e.Name), c(e.Code), e.At})
		}
		return rows, true, err
	}
	return nil, false, nil
}

// startGrading runs the grader over every student's saved answers and
// handed-in exercises, in the background, one student at a time so that
// the class's own runs keep most of the machine.
func (s *Server) startGrading(w http.ResponseWriter, r *http.Request) {
	if !s.instructor(w, r) {
		return
	}
	s.mu.Lock()
	if j := s.grading; j != nil {
		j.mu.Lock()
		busy := !j.finished
		j.mu.Unlock()
		if busy {
			s.mu.Unlock()
			deny(w, http.StatusConflict, "the grader is already running")
			return
		}
	}
	j := &gradeJob{total: len(s.members)}
	s.grading = j
	s.mu.Unlock()
	go s.grade(j)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"started\":%d}\n", j.total)
}

func (s *Server) grade(j *gradeJob) {
	ctx := context.Background()
	finish := func(err error) {
		j.mu.Lock()
		j.finished, j.err, j.at = true, err, time.Now()
		j.mu.Unlock()
	}
	ls, err := s.lessons()
	if err != nil {
		finish(err)
		return
	}
	// The lessons the class has worked in: grading reruns each of them
	// for every student, and the others would only add "not answered".
	worked := map[string]bool{}
	as, err := s.opt.Book.Answers(ctx, "", "")
	if err != nil {
		finish(err)
		return
	}
	for _, a := range as {
		worked[a.Lesson] = true
	}
	es, err := s.opt.Book.Exercises(ctx, "")
	if err != nil {
		finish(err)
		return
	}
	for _, e := range es {
		worked[e.Lesson] = true
	}
	g := &grade.Grader{Secret: s.opt.Class.Secret, Limits: s.opt.Limits, Parallel: 1}
	for _, e := range ls {
		if e.Lesson != nil && worked[e.ID] {
			g.Lessons = append(g.Lessons, e.Lesson)
		}
	}
	for _, name := range s.roster() {
		var m *member
		for _, x := range s.members {
			if x.name == name {
				m = x
			}
		}
		if m == nil {
			continue
		}
		sub := &grade.Submission{Format: grade.Format, Student: m.name, Variant: m.code}
		as, err := s.opt.Book.Answers(ctx, m.name, "")
		if err != nil {
			finish(err)
			return
		}
		var from []gradebook.Answer // sub.Answers' records
		for _, a := range as {
			if sub.Add(grade.Answer{Lesson: a.Lesson, Kind: a.Kind, Question: a.Question, Choice: a.Choice, Seed: a.Seed}) {
				from = append(from, a)
			}
		}
		es, err := s.opt.Book.Exercises(ctx, m.name)
		if err != nil {
			finish(err)
			return
		}
		for _, e := range es {
			sub.SetExercise(grade.Exercise{Lesson: e.Lesson, Name: e.Name, Code: e.Code})
		}
		var gs []gradebook.Grade
		if len(sub.Answers)+len(sub.Exercises) > 0 {
			// One run slot while a student is graded, taking turns with
			// the students' own runs like a student would.
			for s.runs.acquireAs(ctx, "grader", nil) != nil {
				time.Sleep(time.Second) // the queue is full: the class first
			}
			items := g.Grade(ctx, sub)
			s.runs.release()
			var marks []gradebook.Mark
			for _, it := range items {
				gs = append(gs, gradebook.Grade{Lesson: it.Lesson, Item: it.Item, Kind: it.Kind, Points: it.Points, Max: it.Max, Feedback: it.Feedback})
				// An answer the server could not mark (run in the
				// browser) takes the grader's mark.
				if it.Answer > 0 && it.Answer <= len(from) && it.Max > 0 {
					a := from[it.Answer-1]
					marks = append(marks, gradebook.Mark{Lesson: a.Lesson, Key: a.Key, Right: it.Points >= it.Max})
				}
			}
			if err := s.opt.Book.SetRights(ctx, m.name, marks); err != nil {
				finish(err)
				return
			}
		}
		if err := s.opt.Book.SetGrades(ctx, m.name, gs); err != nil {
			log.Printf("gradebook: %s's grades: %v", m.name, err)
			finish(err)
			return
		}
		j.mu.Lock()
		j.done++
		j.mu.Unlock()
	}
	finish(nil)
}

var dashTmpl = template.Must(template.New("dash").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>The class · rlhfsim</title>
<style>body{font-family:"Liberation Sans",Arial,sans-serif;line-height:1.45;margin:0 auto;padding:1rem 1.5rem;max-width:90rem}
h1{border-bottom:2px solid #0072B2}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #d0d7de;padding:.2rem .45rem;font-size:.9rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.done{background:#e6f5ef}.part{background:#fff8e6}.meta{color:#555;font-size:.9rem}
.bar{display:inline-block;height:.7rem;background:#0072B2;vertical-align:middle;margin-right:.3rem}.bar.w{background:#D55E00}
.heat td{width:1.1rem;height:1.1rem;padding:0;text-align:center;font-size:.75rem}.heat td.r{background:#009E73;color:#fff}.heat td.w{background:#D55E00;color:#fff}.heat td.u{background:#bbb}
.heat th.q{white-space:nowrap;max-width:28rem;overflow:hidden;text-overflow:ellipsis;font-weight:normal}
button{font:inherit;padding:.3rem .8rem}</style></head>
<body><nav><a href="/">← course map</a></nav>
<h1>The class</h1>
<p class="meta">Saved in {{.Book}}. This page updates by itself every few seconds. Download: <a href="/class/answers.csv">answers</a> · <a href="/class/progress.csv">progress</a> · <a href="/class/exercises.csv">exercises</a> · <a href="/class/grades.csv">grades</a> (CSV).</p>
<p><button type="button" id="grade">Grade the class now</button> <span class="meta">reruns, for each student in their own world, every lesson the class has answered in or handed an exercise for, marks their answers and runs the hidden tests on their exercises, as rlhfsim grade does; it takes as long as running those lessons once a student, one run at a time, in turn with the class's runs.</span></p>
<div id="board" aria-live="off">{{.Board}}</div>
<script>
(function(){
  var box=document.getElementById('board');
  setInterval(function(){
    fetch('/class/board').then(function(r){return r.ok?r.text():null;}).then(function(t){if(t!==null&&t!==box.innerHTML){box.innerHTML=t;}}).catch(function(){});
  },3000);
  document.getElementById('grade').addEventListener('click',function(){
    fetch('/class/grade',{method:'POST',headers:{'Content-Type':'application/json'},body:'{}'}).then(function(r){return r.text();}).then(function(){}).catch(function(){});
  });
})();
</script></body></html>`))

var boardTmpl = template.Must(template.New("board").Funcs(template.FuncMap{
	"pct": func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) },
	// initials are a student's column head: "AL" for Ada Lovelace.
	"initials": func(s string) string {
		out := ""
		for _, w := range strings.Fields(s) {
			for _, r := range w {
				out += string(r)
				break
			}
		}
		if len([]rune(out)) > 3 {
			out = string([]rune(out)[:3])
		}
		return out
	},
	// number is a lesson's column head: "07" for 07-length-hacking.
	"number": func(id string) string {
		n, _, _ := strings.Cut(id, "-")
		return n
	},
}).Parse(`{{with .Grading}}<p role="status">{{.}}</p>{{end}}
<p class="meta">Answers saved: {{.Saved}}; updated {{.Updated}}.</p>
<h2>Progress</h2>
<p class="meta">Columns are the lessons (hover for the title). Each cell: questions answered of those asked in the student's latest run of the lesson (green: all); “N answered” where the run was the student's browser's, which the server does not see; “opened” if the lesson has been opened and nothing answered yet.</p>
<table><thead><tr><th scope="col">student</th>{{range .Lessons}}<th scope="col" title="{{.ID}}: {{.Title}}"><a href="/lesson/{{.ID}}">{{number .ID}}</a></th>{{end}}<th scope="col">answered</th><th scope="col">grade</th></tr></thead><tbody>
{{range .Students}}<tr><th scope="row">{{.Name}}</th>{{range .Cells}}<td class="{{if .Done}}done{{else if .Answered}}part{{end}}">{{if .Asked}}{{.Answered}}/{{.Asked}}{{else if .Answered}}{{.Answered}} answered{{else if .Opened}}opened{{end}}</td>{{end}}<td>{{.Answered}}/{{.Of}}</td><td>{{if .Graded}}{{.Points}} of {{.Max}}{{end}}</td></tr>
{{end}}</tbody></table>
<h2>Misconceptions</h2>
{{if not .Questions}}<p>No answers yet.</p>{{else}}
<p class="meta">Each question, over the students who answered it: the share wrong, the most common wrong answer, and what everyone chose. Each student's answer is marked in their own world, so one option may be right for one student and wrong for another.</p>
<table><thead><tr><th scope="col">lesson</th><th scope="col">question</th><th scope="col">answered</th><th scope="col">wrong</th><th scope="col">most common wrong answer</th><th scope="col">choices</th></tr></thead><tbody>
{{range .Questions}}<tr><td>{{.Lesson}}</td><td><b>{{.Label}}</b> {{.Text}}</td><td>{{.Answered}}</td><td><span class="bar w" style="width:{{pct .WrongPct}}px"></span>{{pct .WrongPct}}%{{if .Unmarked}} ({{.Unmarked}} unmarked){{end}}</td><td>{{if .CommonN}}{{.Common}} ({{.CommonN}}){{end}}</td>
<td>{{range .Choices}}<div><span class="bar" style="width:{{pct .Pct}}px"></span>{{pct .Pct}}% {{.Text}}</div>{{end}}</td></tr>
{{end}}</tbody></table>
<h2>Heatmap</h2>
<p class="meta">Rows are questions, columns students (in roster order): ✓ right, ✗ wrong, ? graded later, blank not answered. Hover a cell for the name and the choice.</p>
<table class="heat"><thead><tr><th scope="col">question</th>{{range .Students}}<th scope="col" title="{{.Name}}">{{initials .Name}}</th>{{end}}</tr></thead><tbody>
{{range .Questions}}<tr><th scope="row" class="q" title="{{.Text}}">{{.Lesson}} {{.Label}}</th>{{range .Marks}}<td class="{{.State}}" title="{{.Student}}{{if .Choice}}: {{.Choice}}{{end}}">{{if eq .State "r"}}✓{{else if eq .State "w"}}✗{{else if eq .State "u"}}?{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}`))
