package serve

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
)

// post sends JSON to the server as its pages do (Origin and type), or
// as told by header.
func post(t testing.TB, c *http.Client, base, path, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Origin", base)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// signIn follows a personal link and returns a browser holding it.
func signIn(t testing.TB, link string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 2 * time.Minute}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", link, resp.StatusCode)
	}
	return c
}

var quizRe = regexp.MustCompile(`(?s)<div class="quiz[^"]*" data-key="([^"]+)">.*?class="reveal"`)
var optionRe = regexp.MustCompile(`data-i="(\d+)" data-o="([^"]*)"`)

// pageQuestions returns the key and the options of each choice question
// on a page.
func pageQuestions(page string) (keys []string, options [][]string) {
	for _, m := range quizRe.FindAllStringSubmatch(page, -1) {
		var opts []string
		for _, o := range optionRe.FindAllStringSubmatch(m[0], -1) {
			opts = append(opts, html.UnescapeString(o[2]))
		}
		if len(opts) > 0 {
			keys = append(keys, html.UnescapeString(m[1]))
			options = append(options, opts)
		}
	}
	return keys, options
}

// TestClassGradebook follows two students and the instructor through a
// lesson: answers are saved as each student gives them, marked against
// that student's own run, shown again in another browser with the same
// link and never to another student, refused from other sites and from
// the instructor, summed up on the dashboard and in its CSV, and still
// there after the server stops and starts again on the same file.
func TestClassGradebook(t *testing.T) {
	secret := []byte("a course secret of some length")
	class := &Class{Secret: secret, Students: []string{"Ada Lovelace", "Alan Turing", "=cmd|calc"}}
	path := filepath.Join(t.TempDir(), "class.db")
	book, err := gradebook.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{FirstByte: -1, Class: class, Book: book})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	ada, alan := signIn(t, links[0].URL), signIn(t, links[1].URL)
	const lesson = "01-hidden-truth"
	code, page := get(t, ada, base+"/lesson/"+lesson, nil)
	keys, opts := pageQuestions(page)
	if code != 200 || len(keys) < 2 || !strings.Contains(page, `data-class="1"`) {
		t.Fatalf("Ada's page: %d, %d questions", code, len(keys))
	}
	asked, err := book.Asked(context.Background(), "Ada Lovelace")
	if err != nil || len(asked) < len(keys) {
		t.Fatalf("recorded for Ada: %d questions, %v; the page has %d", len(asked), err, len(keys))
	}
	truth := map[string]string{}
	for _, q := range asked {
		truth[q.Key] = q.Answer
	}
	// Ada answers the first question rightly and the second wrongly.
	answer := func(c *http.Client, key, choice string, i int) (int, string) {
		b, _ := json.Marshal(map[string]any{"key": key, "kind": "quiz", "question": "as the page shows it", "choice": choice, "i": i, "seed": 1})
		return post(t, c, base, "/api/answer/"+lesson, string(b), nil)
	}
	wrong := ""
	for _, o := range opts[1] {
		if o != truth[keys[1]] {
			wrong = o
		}
	}
	if truth[keys[0]] == "" || wrong == "" {
		t.Fatalf("no truth recorded for the page's questions: %q", truth)
	}
	for _, a := range [][2]string{{keys[0], truth[keys[0]]}, {keys[1], wrong}} {
		if code, body := answer(ada, a[0], a[1], 0); code != 200 || !strings.Contains(body, `"saved":true`) {
			t.Fatalf("Ada's answer: %d %s", code, body)
		}
	}
	// A second answer to one question does not replace the first.
	if code, body := answer(ada, keys[0], wrong, 1); code != 200 || !strings.Contains(body, `"first":false`) {
		t.Errorf("Ada's second answer to one question: %d %s", code, body)
	}
	saved, err := book.Answers(context.Background(), "Ada Lovelace", lesson)
	if err != nil || len(saved) != 2 || saved[0].Right == nil || saved[1].Right == nil {
		t.Fatalf("Ada's saved answers: %+v, %v", saved, err)
	}
	marks := map[string]bool{saved[0].Key: *saved[0].Right, saved[1].Key: *saved[1].Right}
	if !marks[keys[0]] || marks[keys[1]] {
		t.Errorf("Ada's marks %v: want the first right, the second wrong", marks)
	}
	// Another browser with Ada's link sees her answers; Alan sees none.
	_, mine := get(t, signIn(t, links[0].URL), base+"/api/answers/"+lesson, nil)
	_, his := get(t, alan, base+"/api/answers/"+lesson, nil)
	if !strings.Contains(mine, keys[0]) || !strings.Contains(mine, truth[keys[0]]) || strings.Contains(his, keys[0]) || strings.TrimSpace(his) != "{}" {
		t.Errorf("Ada's answers from another browser: %s; from Alan's: %s", mine, his)
	}
	// Posts that are not this server's pages', or the instructor's, are
	// refused and change nothing.
	inst := client(t, base, s.Token())
	b, _ := json.Marshal(map[string]any{"key": keys[2%len(keys)], "kind": "quiz", "question": "q", "choice": "c", "i": 0, "seed": 1})
	for _, c := range []struct {
		who    *http.Client
		header map[string]string
		want   int
	}{
		{ada, map[string]string{"Origin": ""}, 403},
		{ada, map[string]string{"Origin": "http://evil.example"}, 403},
		{ada, map[string]string{"Content-Type": "text/plain"}, 403},
		{ada, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{inst, nil, 403},
		{http.DefaultClient, nil, 403},
	} {
		if code, body := post(t, c.who, base, "/api/answer/"+lesson, string(b), c.header); code != c.want {
			t.Errorf("a post with %v: %d %s, want %d", c.header, code, body, c.want)
		}
	}
	// A page of Alan's, open in a browser Ada has since signed into.
	if code, body := post(t, ada, base, "/api/answer/"+lesson, `{"student":"Alan Turing","key":"k","kind":"quiz","question":"q","choice":"c"}`, nil); code != 409 || !strings.Contains(body, "signed in as Ada Lovelace") {
		t.Errorf("an answer from Alan's page with Ada's cookie: %d %s, want 409", code, body)
	}
	// A hand-in with one bad exercise keeps none; a good one is kept.
	if code, body := post(t, ada, base, "/api/hand-in", `{"format":"rlhfsim-submission/1","student":"x","exercises":[{"lesson":"03-lists-to-pairs","name":"ranking-to-pairs","code":"a := 1"},{"lesson":"03-lists-to-pairs","name":" ","code":"b"}]}`, nil); code != 400 {
		t.Errorf("a hand-in with a nameless exercise: %d %s, want 400", code, body)
	}
	if es, _ := book.Exercises(context.Background(), ""); len(es) != 0 {
		t.Errorf("a refused hand-in kept %d exercises", len(es))
	}
	if code, body := post(t, ada, base, "/api/hand-in", `{"format":"rlhfsim-submission/1","student":"x","exercises":[{"lesson":"03-lists-to-pairs","name":"ranking-to-pairs","code":"a := 1"}]}`, nil); code != 200 || !strings.Contains(body, "Handed in as Ada Lovelace") {
		t.Errorf("a hand-in: %d %s", code, body)
	}
	if code, _ := post(t, ada, base, "/api/answer/"+lesson, `{"key":"k","kind":"essay","question":"q","choice":"c"}`, nil); code != 400 {
		t.Errorf("an answer of no kind: %d, want 400", code)
	}
	if code, _ := post(t, ada, base, "/api/answer/no-such-lesson", string(b), nil); code != 404 {
		t.Errorf("an answer to no lesson: %d, want 404", code)
	}
	if saved, _ := book.Answers(context.Background(), "", ""); len(saved) != 2 {
		t.Errorf("after the refused posts: %d answers saved, want 2", len(saved))
	}
	// The dashboard is the instructor's: it shows Ada's progress and the
	// wrong answer she gave; students get 403.
	if code, _ := get(t, ada, base+"/class", nil); code != 403 {
		t.Errorf("Ada asking for the dashboard: %d", code)
	}
	code, dash := get(t, inst, base+"/class", nil)
	if code != 200 || !strings.Contains(dash, "2/") || !strings.Contains(dash, html.EscapeString(wrong)) || !strings.Contains(dash, `class="w"`) {
		t.Errorf("the dashboard: %d, Ada's progress or wrong answer missing", code)
	}
	code, csv := get(t, inst, base+"/class/answers.csv", nil)
	if code != 200 || strings.Count(csv, "Ada Lovelace") != 2 || !strings.Contains(csv, ",true,") || !strings.Contains(csv, ",false,") {
		t.Errorf("answers.csv: %d\n%s", code, csv)
	}
	if _, csv := get(t, inst, base+"/class/progress.csv", nil); !strings.Contains(csv, "'=cmd|calc") || strings.Contains(csv, "\n=cmd") {
		t.Errorf("progress.csv does not defuse a name a spreadsheet would run:\n%s", csv)
	}
	// A second server cannot take the file; after a restart on it the
	// answers are all there.
	if _, err := gradebook.Open(path); err == nil {
		t.Error("a second server opened the gradebook in use")
	}
	book.Close()
	book, err = gradebook.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	s2, err := New(Options{FirstByte: -1, Class: class, Book: book})
	if err != nil {
		t.Fatal(err)
	}
	base2 := start(t, s2)
	_, again := get(t, signIn(t, s2.Links(base2)[0].URL), base2+"/api/answers/"+lesson, nil)
	if again != mine {
		t.Errorf("after a restart Ada's answers are %s, were %s", again, mine)
	}
}

// TestGradeTheClass answers a lesson's quiz rightly as one student and
// wrongly as another, presses the dashboard's grade button, and finds
// the grader's points for each in the gradebook and on the dashboard.
func TestGradeTheClass(t *testing.T) {
	dir := lessonDir(t, map[string]string{"quiz": "\tnb.Quiz(\"Which is first?\", []string{\"a\", \"b\", \"c\"}, 0, \"a comes first.\")"})
	book, err := gradebook.Open(filepath.Join(t.TempDir(), "class.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	class := &Class{Secret: []byte("a course secret of some length"), Students: []string{"Ada", "Alan", "Absent"}}
	s, err := New(Options{Dir: dir, FirstByte: -1, Class: class, Book: book})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	for i, choice := range []string{"a", "b"} {
		c := signIn(t, links[i].URL)
		_, page := get(t, c, base+"/lesson/quiz", nil)
		keys, _ := pageQuestions(page)
		if len(keys) != 1 {
			t.Fatalf("the quiz page has %d questions", len(keys))
		}
		b, _ := json.Marshal(map[string]any{"key": keys[0], "kind": "quiz", "question": "Which is first?", "choice": choice, "i": 0, "seed": 1})
		if code, body := post(t, c, base, "/api/answer/quiz", string(b), nil); code != 200 {
			t.Fatalf("%s's answer: %d %s", class.Students[i], code, body)
		}
	}
	inst := client(t, base, s.Token())
	gradeNow(t, s, inst, base)
	gs, err := book.Grades(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	points := map[string]float64{}
	for _, g := range gs {
		if g.Kind == "quiz" {
			points[g.Student] += g.Points
		}
	}
	if points["Ada"] != 1 || points["Alan"] != 0 || len(points) != 2 {
		t.Errorf("the grader's quiz points: %v, want Ada 1, Alan 0, Absent none (nothing to grade)", points)
	}
	if _, dash := get(t, inst, base+"/class", nil); !strings.Contains(dash, "1 of 1") || !strings.Contains(dash, "Graded 3 students") {
		t.Errorf("the dashboard does not show the grades")
	}
}

// gradeNow presses the dashboard's grade button as the instructor and
// waits for the grader to finish.
func gradeNow(t *testing.T, s *Server, inst *http.Client, base string) {
	t.Helper()
	if code, body := post(t, inst, base, "/class/grade", "{}", nil); code != 200 {
		t.Fatalf("the grade button: %d %s", code, body)
	}
	waitFor(t, func() bool {
		s.mu.Lock()
		j := s.grading
		s.mu.Unlock()
		j.mu.Lock()
		defer j.mu.Unlock()
		return j.finished
	})
}
