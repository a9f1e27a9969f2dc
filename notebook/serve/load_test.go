package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
)

// session is what a class load run measured.
type session struct {
	students           int
	pages, saves, runs []time.Duration // page loads, answer saves, runs to their last cell
	runtimes           []time.Duration // downloads of the WebAssembly runtime (site mode)
	failed             []string        // requests that did not succeed, and why
	posted             map[[3]string]bool
	lost               int // answers acknowledged and not in the gradebook
	boards             int // the instructor's dashboard refreshes
	wall               time.Duration
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*95+99)/100-1]
}

// classSession runs a scripted class against one server on this machine:
// each student opens the course map, opens two lessons, moves a control
// in the first (its page's stream runs the lesson again), answers every
// question of both as a student clicks (the page's POST), hands in an
// exercise file, and opens the course map again; meanwhile the
// instructor's dashboard refreshes every 3 s, as its page does.
// Afterwards every answer the server acknowledged is looked up in the
// gradebook.
//
// With a site (siteDir), the class is served from it (Options.Site): the
// lessons run in the students' browsers, so the simulated students load
// the pages and download the runtime (compressed, as a browser asks for
// it) instead of streaming runs, and moving a control costs the server
// nothing.
func classSession(t testing.TB, students int, siteDir string) *session {
	dir := t.TempDir()
	book, err := gradebook.Open(filepath.Join(dir, "class.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	var names []string
	for i := range students {
		names = append(names, fmt.Sprintf("Student %03d", i+1))
	}
	class := &Class{Secret: []byte("a course secret of some length"), Students: names}
	s, err := New(Options{Class: class, Book: book, Site: siteDir})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	out := &session{students: students, posted: map[[3]string]bool{}}
	var mu sync.Mutex
	fail := func(format string, args ...any) {
		mu.Lock()
		out.failed = append(out.failed, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4 * students, MaxConnsPerHost: 0, DisableCompression: true}
	defer tr.CloseIdleConnections()
	do := func(c *http.Client, method, u, body string) (int, string, time.Duration) {
		req, _ := http.NewRequest(method, base+u, strings.NewReader(body))
		if method == "POST" {
			req.Header.Set("Origin", base)
			req.Header.Set("Content-Type", "application/json")
		}
		t0 := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error(), time.Since(t0)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), time.Since(t0)
	}
	// stream follows a run to its end as the page does, and returns the
	// finished page.
	stream := func(c *http.Client, u string) (string, bool) {
		t0 := time.Now()
		for e := range sse(t, c, base+u) {
			switch e[0] {
			case "done":
				var v struct{ HTML string }
				json.Unmarshal([]byte(e[1]), &v)
				mu.Lock()
				out.runs = append(out.runs, time.Since(t0))
				mu.Unlock()
				return v.HTML, true
			case "failure", "broken", "error":
				fail("%s: %s %.200s", u, e[0], e[1])
				return "", false
			}
		}
		fail("%s: the stream ended without its page", u)
		return "", false
	}
	answerAll := func(c *http.Client, name, lesson, page string) {
		keys, opts := pageQuestions(page)
		for i, k := range keys {
			b, _ := json.Marshal(map[string]any{"key": k, "kind": "quiz", "question": "as shown", "choice": opts[i][i%len(opts[i])], "i": i % len(opts[i]), "seed": 1})
			code, body, d := do(c, "POST", "/api/answer/"+lesson, string(b))
			if code != 200 {
				fail("%s's answer in %s: %d %.200s", name, lesson, code, body)
				continue
			}
			mu.Lock()
			out.saves = append(out.saves, d)
			out.posted[[3]string{name, lesson, k}] = true
			mu.Unlock()
		}
	}
	open := func(c *http.Client, name, lesson string, query url.Values) string {
		code, page, d := do(c, "GET", "/lesson/"+lesson+"?"+query.Encode(), "")
		if code != 200 {
			fail("%s opening %s: %d %.200s", name, lesson, code, page)
			return ""
		}
		mu.Lock()
		out.pages = append(out.pages, d)
		mu.Unlock()
		if strings.Contains(page, `data-pending="1"`) {
			// The page came before its run: its script streams it.
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("page", name+lesson)
			full, ok := stream(c, "/api/run/"+lesson+"?"+q.Encode())
			if !ok {
				return ""
			}
			return full
		}
		return page
	}
	page := func(c *http.Client, name, u string) {
		code, body, d := do(c, "GET", u, "")
		if code != 200 {
			fail("%s opening %s: %d %.200s", name, u, code, body)
			return
		}
		mu.Lock()
		out.pages = append(out.pages, d)
		mu.Unlock()
	}
	const first, second = "00-notebook-tour", "01-hidden-truth"
	sub := `{"format":"rlhfsim-submission/1","student":"x","exercises":[{"lesson":"03-lists-to-pairs","name":"ranking-to-pairs","code":"pairs := 1"}]}`
	done := make(chan struct{})
	var wg sync.WaitGroup
	inst := &http.Client{Transport: tr}
	jarred(t, inst, base+"/?token="+s.Token())
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Second):
			}
			if code, body, _ := do(inst, "GET", "/class/board", ""); code != 200 {
				fail("the dashboard: %d %.200s", code, body)
			}
			mu.Lock()
			out.boards++
			mu.Unlock()
		}
	}()
	t0 := time.Now()
	var students_ sync.WaitGroup
	for i, l := range links {
		students_.Add(1)
		go func() {
			defer students_.Done()
			// Students arrive over the first seconds, not all in one
			// millisecond.
			time.Sleep(time.Duration(i%10) * 100 * time.Millisecond)
			c := &http.Client{Transport: tr}
			jarred(t, c, l.URL)
			page(c, l.Name, "/")
			p := open(c, l.Name, first, url.Values{})
			if siteDir != "" && os.Getenv("RLHFSIM_SKIP_RUNTIME") == "" {
				// The browser downloads the runtime once; the run and
				// a moved control are its own. (RLHFSIM_SKIP_RUNTIME=1
				// leaves the downloads out, to see what they cost.)
				req, _ := http.NewRequest("GET", base+"/site/rt/rlhfsim.wasm", nil)
				req.Header.Set("Accept-Encoding", "gzip")
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
					fail("%s downloading the runtime: %v %v", l.Name, err, resp)
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					out.runtimes = append(out.runtimes, time.Since(t0))
					mu.Unlock()
				}
			} else if siteDir != "" {
				// The runtime skipped: nothing more for the server.
			} else if moved, ok := stream(c, "/api/run/"+first+"?"+url.Values{"tokens": {"600"}, "page": {l.Name}}.Encode()); ok {
				// A moved control: the page's stream runs the lesson again.
				p = moved
			}
			answerAll(c, l.Name, first, p)
			answerAll(c, l.Name, second, open(c, l.Name, second, url.Values{}))
			if code, body, _ := do(c, "POST", "/api/hand-in", sub); code != 200 {
				fail("%s handing in: %d %.200s", l.Name, code, body)
			}
			page(c, l.Name, "/")
		}()
	}
	students_.Wait()
	out.wall = time.Since(t0)
	close(done)
	wg.Wait()
	saved, err := book.Answers(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	have := map[[3]string]bool{}
	for _, a := range saved {
		have[[3]string{a.Student, a.Lesson, a.Key}] = true
	}
	for k := range out.posted {
		if !have[k] {
			out.lost++
		}
	}
	return out
}

// jarred signs a client in through a link, keeping its cookie.
func jarred(t testing.TB, c *http.Client, link string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", link, resp.StatusCode)
	}
}

func (s *session) report() string {
	return fmt.Sprintf("%d students on %d cores (%s): %d page loads p95 %v, %d answers saved p95 %v, %d runs to their last cell p95 %v, %d runtime downloads p95 %v, %d dashboard refreshes, %d failed requests, %d answers lost, %v in all",
		s.students, runtime.NumCPU(), runtime.GOARCH, len(s.pages), p95(s.pages).Round(time.Millisecond), len(s.saves), p95(s.saves).Round(time.Millisecond),
		len(s.runs), p95(s.runs).Round(time.Millisecond), len(s.runtimes), p95(s.runtimes).Round(time.Millisecond), s.boards, len(s.failed), s.lost, s.wall.Round(time.Second))
}

// TestAClassOfThirty runs the scripted session for 30 students: no
// request fails and every answer the server acknowledged is in the
// gradebook. Its times are BenchmarkClassSession's to report.
func TestAClassOfThirty(t *testing.T) {
	if testing.Short() {
		t.Skip("a class's session takes a while")
	}
	s := classSession(t, 30, "")
	t.Log(s.report())
	for _, f := range s.failed[:min(len(s.failed), 10)] {
		t.Error(f)
	}
	if s.lost > 0 {
		t.Errorf("%d answers acknowledged and not in the gradebook", s.lost)
	}
	if want := 30 * 4; len(s.saves) < want {
		t.Errorf("%d answers saved, want at least %d (two questions in each of two lessons per student)", len(s.saves), want)
	}
}

// BenchmarkClassSession reports the scripted session's times for 30 and
// 300 students (-bench ClassSession -benchtime 1x): p95 of page loads,
// answer saves and runs to their last cell, in ms.
func BenchmarkClassSession(b *testing.B) { benchSession(b, "") }

// BenchmarkClassSiteSession is BenchmarkClassSession for a class served
// from a site of the students' version (lessons 00 and 01): the server
// serves pages and the runtime and keeps answers; the runs are the
// browsers'.
func BenchmarkClassSiteSession(b *testing.B) { benchSession(b, releaseSite(b, "00", "01")) }

// benchSession runs the class session for 30 and 300 students (or
// RLHFSIM_CLASS), served from siteDir if set, and reports its p95s.
func benchSession(b *testing.B, siteDir string) {
	sizes := []int{30, 300}
	if n, err := strconv.Atoi(os.Getenv("RLHFSIM_CLASS")); err == nil {
		sizes = []int{n}
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var s *session
			for b.Loop() {
				s = classSession(b, n, siteDir)
			}
			ms := func(ds []time.Duration) float64 { return float64(p95(ds).Microseconds()) / 1000 }
			b.ReportMetric(ms(s.pages), "page-p95-ms")
			b.ReportMetric(ms(s.saves), "save-p95-ms")
			if siteDir == "" {
				b.ReportMetric(ms(s.runs), "run-p95-ms")
			} else {
				b.ReportMetric(ms(s.runtimes), "runtime-p95-ms")
			}
			b.ReportMetric(float64(len(s.failed)), "failed")
			b.ReportMetric(float64(s.lost), "lost")
			b.Log(s.report())
			for _, f := range s.failed[:min(len(s.failed), 5)] {
				b.Log(f)
			}
		})
	}
}
