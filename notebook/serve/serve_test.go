package serve

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// start serves s on a free loopback port and returns its base URL.
func start(t testing.TB, s *Server) string {
	t.Helper()
	ln, _, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// client returns an HTTP client holding the token's cookie.
func client(t testing.TB, base, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 2 * time.Minute}
	resp, err := c.Get(base + "/?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with the token: %d", resp.StatusCode)
	}
	return c
}

func get(t testing.TB, c *http.Client, u string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// lessonDir writes lessons (id -> body of main) into a course directory.
func lessonDir(t *testing.T, lessons map[string]string) string {
	dir := t.TempDir()
	for id, body := range lessons {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
			t.Fatal(err)
		}
		src := "// Title: " + id + "\n// Summary: a test lesson.\n// Minutes: 1\npackage main\n\nimport (\n\t\"fmt\"\n\n\t\"github.com/rlhfsim/rlhfsim/nb\"\n)\n\nfunc main() {\n\t// %%\n" + body + "\n\tfmt.Println(nb.Seed())\n}\n"
		if err := os.WriteFile(filepath.Join(dir, id, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTokenHostAndOrigin(t *testing.T) {
	s, err := New(Options{FirstByte: -1})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		name, path string
		header     map[string]string
		want       int
		says       string
	}{
		{"no token", "/", nil, 403, "no token"},
		{"wrong token", "/?token=abc", nil, 403, "wrong token"},
		{"right token", "/?token=" + s.Token(), nil, 303, ""},
		{"a cookie from elsewhere", "/", map[string]string{"Cookie": cookieName + "=nope"}, 403, "no token"},
	} {
		code, body := get(t, plain, base+c.path, c.header)
		if code != c.want || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %q, want %d", c.name, code, body, c.want)
		}
	}
	cl := client(t, base, s.Token())
	u, _ := url.Parse(base)
	for _, c := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"own host", nil, 200},
		{"localhost", map[string]string{"Host": "localhost:" + u.Port(), "Cookie": cookieName + "=" + s.Token()}, 200},
		{"foreign host (DNS rebinding)", map[string]string{"Host": "evil.example:" + u.Port()}, 403},
		{"host on another port", map[string]string{"Host": "127.0.0.1:1"}, 403},
		{"foreign origin", map[string]string{"Origin": "http://evil.example"}, 403},
		{"own origin", map[string]string{"Origin": base}, 200},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch (a page on another local port)", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
		{"typed URL", map[string]string{"Sec-Fetch-Site": "none"}, 200},
	} {
		if code, body := get(t, cl, base+"/", c.header); code != c.want {
			t.Errorf("%s: %d %q, want %d", c.name, code, body, c.want)
		}
	}
	// A form's post (no Origin from a form another page submits through
	// a plain client, not JSON) is refused; other methods are not served.
	resp, err := cl.Post(base+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("PUT", base+"/", strings.NewReader("x"))
	if resp, err = cl.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", resp.StatusCode)
	}
}

func TestParametersAndPaths(t *testing.T) {
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	cl := client(t, base, s.Token())
	long := strings.Repeat("9", 300)
	many := url.Values{}
	for i := 0; i < 70; i++ {
		many.Set("p"+string(rune('a'+i%26))+strings.Repeat("x", i), "1")
	}
	for _, c := range []struct {
		path string
		want int
		says string
	}{
		{"/lesson/00-notebook-tour?nosuch=1", 400, "nosuch"},
		{"/lesson/00-notebook-tour?tokens=abc", 400, "not a number"},
		{"/lesson/00-notebook-tour?tokens=99999999", 400, "tokens"},
		{"/lesson/00-notebook-tour?tokens=" + long, 400, "at most 256 bytes"},
		{"/lesson/00-notebook-tour?seed=0", 400, "seed"},
		{"/lesson/00-notebook-tour?seed=x", 400, "seed"},
		{"/lesson/00-notebook-tour?" + many.Encode(), 400, "too many parameters"},
		{"/api/run/00-notebook-tour?tokens=-5", 400, "tokens"},
		{"/lesson/00-notebook-tour?student=" + strings.Repeat("x", 101), 400, "student"},
		{"/lesson/00-notebook-tour?student=ada&variant=xyz", 400, "16 hex digits"},
		{"/lesson/00-notebook-tour?variant=0123456789abcdef", 400, "fill in student too"},
		{"/lesson/no-such-lesson", 404, "no lesson"},
		{"/lesson/..%2f..%2fgo.mod", 404, "no lesson"},
		{"/lesson/%2fetc%2fpasswd", 404, "no lesson"},
		{"/api/version/..", 404, ""},
		{"/static/../../etc/passwd", 404, ""},
	} {
		code, body := get(t, cl, base+c.path, nil)
		if code != c.want || !strings.Contains(body, c.says) {
			t.Errorf("%s: %d %.200q, want %d and %q", c.path, code, body, c.want, c.says)
		}
	}
	// A student's page shows that student's world.
	_, std := get(t, cl, base+"/lesson/01-hidden-truth", nil)
	_, ada := get(t, cl, base+"/lesson/01-hidden-truth?student=ada", nil)
	if std == ada || !strings.Contains(ada, `id="p-student" name="student" maxlength="100" value="ada"`) {
		t.Error("the student's page is the standard one, or lacks the student's name")
	}
	// A good page carries the controls and the live script.
	code, body := get(t, cl, base+"/lesson/00-notebook-tour?tokens=300&verbose=true&seed=3", nil)
	if code != 200 {
		t.Fatalf("page: %d %.300s", code, body)
	}
	for _, want := range []string{`id="controls"`, `type="range" id="p-tokens"`, `value="300"`, `type="checkbox" id="p-verbose" name="verbose" checked`,
		`<select id="p-category"`, `id="p-seed"`, `value="3"`, "new EventSource", `<label for="p-tokens">`, `aria-label="Figure 1.`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// events reads a server-sent event stream into event names and data.
func events(t *testing.T, c *http.Client, u string) (names []string, data []string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %d %s", u, resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "event: "); ok {
			names = append(names, n)
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, d)
		}
	}
	return names, data
}

func TestRunStreamsCellsAsTheyArrive(t *testing.T) {
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	cl := client(t, base, s.Token())
	names, data := events(t, cl, base+"/api/run/00-notebook-tour?tokens=120&page=p1")
	joined := strings.Join(names, ",")
	if !strings.HasPrefix(joined, "queued,start") || !strings.HasSuffix(joined, "done") || !strings.Contains(joined, "item") {
		t.Fatalf("events %s", joined)
	}
	last := data[len(data)-1]
	if !strings.Contains(last, `value=\"120\"`) || !strings.Contains(last, "self-checks pass") {
		t.Errorf("the final page does not carry the run's value or status: %.300s", last)
	}
}

func TestBadLessonsFailAloneAndTheServerKeepsServing(t *testing.T) {
	dir := lessonDir(t, map[string]string{
		"a-panics": "\tvar m map[string]int\n\tm[\"x\"] = 1",
		"b-loops":  "\tfor {\n\t}",
		"c-good":   "\tfmt.Println(\"fine\")",
		"d-broken": "\tthis is not Go",
	})
	s, err := New(Options{Dir: dir, Limits: worker.Limits{Cell: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	cl := client(t, base, s.Token())
	var wg sync.WaitGroup
	results := map[string][]string{}
	var mu sync.Mutex
	for _, id := range []string{"a-panics", "b-loops", "c-good"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, data := events(t, cl, base+"/api/run/"+id+"?page="+id)
			mu.Lock()
			results[id] = data
			mu.Unlock()
		}()
	}
	wg.Wait()
	for id, want := range map[string]string{"a-panics": "The lesson stopped", "b-loops": "did not finish within 2s", "c-good": "Up to date"} {
		d := results[id]
		if len(d) == 0 || !strings.Contains(d[len(d)-1], want) {
			t.Errorf("%s: last event %.300q, want %q", id, d, want)
		}
	}
	code, body := get(t, cl, base+"/lesson/d-broken", nil)
	if code != 422 || !strings.Contains(body, "main.go") || !strings.Contains(body, "this is not Go") || !strings.Contains(body, `class="here"`) {
		t.Errorf("broken lesson: %d %.500s", code, body)
	}
	if code, body := get(t, cl, base+"/", nil); code != 200 || !strings.Contains(body, "does not load") {
		t.Errorf("course map after the failures: %d", code)
	}
}

func TestANewerRunCancelsTheOlder(t *testing.T) {
	dir := lessonDir(t, map[string]string{"slow": "\tfor i := 0; i < 400; i++ {\n\t\tfmt.Println(i)\n\t\tsum := 0\n\t\tfor j := 0; j < 200000; j++ {\n\t\t\tsum += j\n\t\t}\n\t\t_ = sum\n\t}"})
	s, _ := New(Options{Dir: dir})
	base := start(t, s)
	cl := client(t, base, s.Token())
	first := make(chan []string)
	go func() {
		names, _ := events(t, cl, base+"/api/run/slow?page=same")
		first <- names
	}()
	time.Sleep(1500 * time.Millisecond)
	names, _ := events(t, cl, base+"/api/run/slow?page=same")
	old := <-first
	if n := len(old); n == 0 || old[n-1] == "done" {
		t.Errorf("the older run finished (%v): want it cancelled by the newer one", old[max(0, n-3):])
	}
	if names[len(names)-1] != "done" {
		t.Errorf("the newer run did not finish: %v", names[max(0, len(names)-3):])
	}
}

// TestManyRunsAtOnceAreBounded fires eight runs at a server allowed two:
// all finish, and no more than two workers ever run at once.
func TestManyRunsAtOnceAreBounded(t *testing.T) {
	dir := lessonDir(t, map[string]string{"busy": "\tsum := 0\n\tfor j := 0; j < 3000000; j++ {\n\t\tsum += j\n\t}\n\tfmt.Println(sum)"})
	s, _ := New(Options{Dir: dir, MaxRuns: 2})
	base := start(t, s)
	cl := client(t, base, s.Token())
	var wg sync.WaitGroup
	finished := make(chan bool, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different seeds: identical requests would share one run.
			names, _ := events(t, cl, base+"/api/run/busy?page=p"+strconv.Itoa(i)+"&seed="+strconv.Itoa(i+1))
			finished <- names[len(names)-1] == "done"
		}()
	}
	wg.Wait()
	close(finished)
	for ok := range finished {
		if !ok {
			t.Error("a queued run did not finish")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peak != 2 {
		t.Errorf("at most %d runs at once, want exactly the limit of 2", s.peak)
	}
}

// TestIdenticalRequestsShareOneRun: eight students asking for the same
// run at once cost one run, the next asks are answered from the cache,
// another seed is a run of its own, and a server that keeps no results
// still lets identical requests under way share.
func TestIdenticalRequestsShareOneRun(t *testing.T) {
	// The run lasts a second or so, far longer than the requests of a
	// burst take to arrive, so they find it under way.
	dir := lessonDir(t, map[string]string{"busy": "\tsum := 0\n\tfor j := 0; j < 10000000; j++ {\n\t\tsum += j\n\t}\n\tfmt.Println(sum, nb.Seed())"})
	for _, keep := range []int64{0, -1} {
		s, _ := New(Options{Dir: dir, MaxRuns: 2, CacheBytes: keep})
		base := start(t, s)
		cl := client(t, base, s.Token())
		burst := func(n int, query string) {
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					names, data := events(t, cl, base+"/api/run/busy?page=p"+strconv.Itoa(i)+query)
					if names[len(names)-1] != "done" || !strings.Contains(data[len(data)-1], "49999995000000") {
						t.Errorf("keep %d: a request got %v", keep, names[max(0, len(names)-3):])
					}
				}()
			}
			wg.Wait()
		}
		burst(8, "")
		s.cache.mu.Lock()
		runs, served := s.cache.runs, s.cache.served
		s.cache.mu.Unlock()
		if runs != 1 || served != 7 {
			t.Errorf("keep %d: eight identical requests at once made %d runs and shared %d, want 1 and 7", keep, runs, served)
		}
		burst(3, "")
		burst(1, "&seed=2")
		s.cache.mu.Lock()
		runs = s.cache.runs
		s.cache.mu.Unlock()
		if want := map[int64]int{0: 2, -1: 3}[keep]; runs != want {
			t.Errorf("keep %d: %d runs after three more identical requests and one with another seed, want %d", keep, runs, want)
		}
	}
}

// TestRunKeysTellRunsApart: a cached run is handed only to a request
// that would run the same: same source, parameters (in any order), seed
// and student.
func TestRunKeysTellRunsApart(t *testing.T) {
	l := &notebook.Lesson{File: "a/main.go", Source: []byte("package main")}
	base := request{set: map[string]string{"x": "1", "y": "2"}, seed: 1, variant: world.Variant{Student: "ada", Code: "4e3cf135a77f6953"}}
	same := request{set: map[string]string{"y": "2", "x": "1"}, seed: 1, variant: base.variant, page: "other"}
	if runKey(l, base) != runKey(l, same) {
		t.Error("the same run on another page, parameters listed in another order, has another key")
	}
	other := &notebook.Lesson{File: l.File, Source: []byte("package main // edited")}
	for name, k := range map[string]string{
		"an edited source": runKey(other, base),
		"another value":    runKey(l, request{set: map[string]string{"x": "1", "y": "3"}, seed: 1, variant: base.variant}),
		"another seed":     runKey(l, request{set: base.set, seed: 2, variant: base.variant}),
		"another student":  runKey(l, request{set: base.set, seed: 1, variant: world.Variant{Student: "alan", Code: base.variant.Code}}),
		"another code":     runKey(l, request{set: base.set, seed: 1, variant: world.Variant{Student: "ada"}}),
	} {
		if k == runKey(l, base) {
			t.Errorf("%s has the same key", name)
		}
	}
	// The first load of a page sends no parameters and its stream sends
	// every control's value, written as the browser pleases: both are
	// the defaults, so one run.
	p := &notebook.Lesson{File: "p/main.go", Params: []notebook.ParamSpec{{Name: "tau", Type: notebook.FloatParam, Default: "0.5"}, {Name: "n", Type: notebook.IntParam, Default: "3"}}}
	bare := request{set: map[string]string{}, seed: 1}
	if runKey(p, bare) != runKey(p, request{set: map[string]string{"tau": "0.50", "n": " 3"}, seed: 1}) {
		t.Error("the defaults, given or not, have different keys")
	}
	if runKey(p, bare) == runKey(p, request{set: map[string]string{"tau": "0.6"}, seed: 1}) {
		t.Error("a changed parameter has the defaults' key")
	}
}

// TestPrewarmFillsTheCacheWhenIdle: prewarming runs every lesson's
// defaults so the first student to open one is served from the cache;
// it waits while a student's run is under way.
func TestPrewarmFillsTheCacheWhenIdle(t *testing.T) {
	dir := lessonDir(t, map[string]string{"a": "\tfmt.Println(nb.Seed())", "b": "\tfmt.Println(\"b\")"})
	s, _ := New(Options{Dir: dir, FirstByte: -1})
	s.quiet = 10 * time.Millisecond
	s.users = 1 // a student's run is under way
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if n := s.Prewarm(ctx); n != 0 || s.cache.runs != 0 {
		t.Errorf("prewarming beside a student's run ran %d lessons (%d runs), want none", n, s.cache.runs)
	}
	s.users = 0
	if n := s.Prewarm(context.Background()); n != 2 || s.cache.runs != 2 {
		t.Errorf("prewarming an idle server ran %d lessons in %d runs, want 2 and 2", n, s.cache.runs)
	}
	none, _ := New(Options{Dir: dir, CacheBytes: -1})
	if n := none.Prewarm(context.Background()); n != 0 || none.cache.runs != 0 {
		t.Errorf("a server that keeps nothing prewarmed %d lessons in %d runs", n, none.cache.runs)
	}
	base := start(t, s)
	cl := client(t, base, s.Token())
	if code, body := get(t, cl, base+"/lesson/a", nil); code != 200 || !strings.Contains(body, `<pre class="out">1`) {
		t.Errorf("the prewarmed page: %d %.300s", code, body)
	}
	names, _ := events(t, cl, base+"/api/run/b?page=p&seed=1")
	if names[len(names)-1] != "done" {
		t.Errorf("the prewarmed stream ends %v", names)
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.runs != 2 || s.cache.served != 2 || s.prewarmed != 2 || s.started != 0 {
		t.Errorf("after prewarming, two requests made %d more runs and were served %d from the cache, want 0 and 2", s.cache.runs-2, s.cache.served)
	}
}

// TestAnOldStreamDoesNotUnclaimANewOne: the handler of a page's older
// stream ends after the newer one has claimed the page; the newer claim
// stays, so the next change still cancels it.
func TestAnOldStreamDoesNotUnclaimANewOne(t *testing.T) {
	s, _ := New(Options{})
	oldCtx, oldCancel := context.WithCancel(context.Background())
	newCtx, newCancel := context.WithCancel(context.Background())
	defer newCancel()
	old := s.claim("p", oldCancel)
	cur := s.claim("p", newCancel)
	if oldCtx.Err() == nil {
		t.Error("a newer claim did not cancel the older run")
	}
	s.unclaim("p", old)
	s.claim("p", func() {})
	if newCtx.Err() == nil {
		t.Error("after the older stream let go, the next change did not cancel the newer run")
	}
	s.unclaim("p", cur)
}

func TestRunsAreBounded(t *testing.T) {
	s, _ := New(Options{MaxRuns: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if !s.acquire(context.Background()) {
		t.Fatal("no first slot")
	}
	if s.acquire(ctx) {
		t.Error("a second run started while the only slot was taken")
	}
	s.release()
	if !s.acquire(context.Background()) {
		t.Error("the slot was not given back")
	}
}

func TestServingADirectoryWatchesItsFiles(t *testing.T) {
	dir := lessonDir(t, map[string]string{"edit-me": "\tfmt.Println(1)"})
	s, _ := New(Options{Dir: dir})
	base := start(t, s)
	cl := client(t, base, s.Token())
	_, v1 := get(t, cl, base+"/api/version/edit-me", nil)
	f := filepath.Join(dir, "edit-me", "main.go")
	src, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(src), "Println(1)", "Println(2)", 1)), 0o644)
	_, v2 := get(t, cl, base+"/api/version/edit-me", nil)
	if v1 == v2 || !strings.Contains(v1, "version") {
		t.Errorf("version did not change with the file: %s -> %s", v1, v2)
	}
	if _, err := New(Options{Dir: t.TempDir()}); err == nil {
		t.Error("an empty directory was served")
	}
}

// TestHostileLessonFilesAreBrokenLessons: a lesson file that links to
// /dev/zero or is a FIFO used to kill the server (out of memory) or hang
// every route. Each is now a lesson that does not load, named on the
// course map, and the other lessons keep working, also when the link
// appears while the server runs.
func TestHostileLessonFilesAreBrokenLessons(t *testing.T) {
	dir := lessonDir(t, map[string]string{"a-good": "\tfmt.Println(1)"})
	os.Mkdir(filepath.Join(dir, "b-fifo"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "b-fifo", "main.go"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	cl := client(t, base, s.Token())
	os.Mkdir(filepath.Join(dir, "c-zero"), 0o755)
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "c-zero", "main.go")); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, cl, base+"/", nil)
	if code != 200 || !strings.Contains(body, "b-fifo") || !strings.Contains(body, "c-zero") || !strings.Contains(body, "does not load") {
		t.Errorf("course map: %d %.600s", code, body)
	}
	for id, want := range map[string]string{"b-fifo": "not a regular file", "c-zero": "inside the course"} {
		if code, body := get(t, cl, base+"/lesson/"+id, nil); code != 422 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %.600s", id, code, body)
		}
	}
	if code, _ := get(t, cl, base+"/lesson/a-good", nil); code != 200 {
		t.Errorf("the good lesson: %d", code)
	}
}

// TestClientsThatNeverReadLoseTheirSlots: two clients (one per run slot)
// open a chatty lesson's stream and never read. They used to hold both
// slots for as long as their sockets stayed open, and the runner blocked
// in the live callback, so even the cell limit never fired. Now their
// runs are cancelled once a write waits longer than the stream timeout,
// and a third user's one-line lesson runs.
func TestClientsThatNeverReadLoseTheirSlots(t *testing.T) {
	dir := lessonDir(t, map[string]string{
		"chatty": "\tfor i := 0; ; i++ {\n\t\tfmt.Println(i, \"a line of chatter that fills the socket buffers of a client that never reads\")\n\t}",
		"short":  "\tfmt.Println(\"short\")",
	})
	s, err := New(Options{Dir: dir, MaxRuns: 2, StreamTimeout: time.Second, Limits: worker.Limits{Cell: time.Hour, Lesson: time.Hour, Output: 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	u, _ := url.Parse(base)
	for i := range 2 {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A client that asks and then never reads a byte.
		fmt.Fprintf(c, "GET /api/run/chatty?page=p%d HTTP/1.1\r\nHost: %s\r\nCookie: %s=%s\r\n\r\n", i, u.Host, cookieName, s.Token())
	}
	time.Sleep(500 * time.Millisecond) // both runs hold their slots
	cl := client(t, base, s.Token())
	got := make(chan []string, 1)
	go func() {
		_, data := events(t, cl, base+"/api/run/short?page=q")
		got <- data
	}()
	select {
	case d := <-got:
		if len(d) == 0 || !strings.Contains(d[len(d)-1], "Up to date") {
			t.Errorf("the short lesson: %.300q", d)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the short lesson got no slot in 60 s: clients that never read still hold them")
	}
}

// TestTheServedPageHidesEveryAnswer runs lesson 04 in a student's variant
// on the server and requires the page the browser receives to hold no
// question's explanation (the key text of its answer) and no answer
// label, while it does hold every question.
func TestTheServedPageHidesEveryAnswer(t *testing.T) {
	c, err := course.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select([]string{"04"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := world.Student("ada", "0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	res := worker.Run(context.Background(), sel[0], worker.Options{Variant: v, Seed: 1})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	cl := client(t, base, s.Token())
	code, page := get(t, cl, base+"/lesson/04-training-as-ranking?student=ada&variant=0123456789abcdef", nil)
	if code != 200 {
		t.Fatalf("the page: %d", code)
	}
	qs := append(res.Events(notebook.Quiz), res.Events(notebook.Predict)...)
	if len(qs) < 2 {
		t.Fatalf("lesson 04 asks %d questions", len(qs))
	}
	for _, e := range qs {
		if !strings.Contains(page, html.EscapeString(e.Text)) {
			t.Errorf("the page lacks the question %q", e.Text)
		}
		if strings.Contains(page, html.EscapeString(e.Explanation)) || strings.Contains(page, e.Explanation) {
			t.Errorf("the page shows the answer to %q: %q", e.Text, e.Explanation)
		}
	}
	for _, e := range qs {
		if label := fmt.Sprintf("answer: %c) ", 'a'+e.Answer); strings.Contains(strings.ToLower(page), label) || strings.Contains(page, "data-answer") {
			t.Errorf("the page labels the answer to %q", e.Text)
		}
	}
}

// TestASlowLessonSendsItsPageFirst: a lesson that outlasts FirstByte gets
// its page at once, without outputs and marked pending; the run it
// started goes on, and the page's stream joins it instead of starting
// another (one run in all), seeing the cells finished before it came.
// With no stream to take it over, the run stops after the linger time
// and frees its slot. A fast one, or any with a negative FirstByte, comes
// whole.
func TestASlowLessonSendsItsPageFirst(t *testing.T) {
	dir := lessonDir(t, map[string]string{
		"slow": "\tfmt.Println(\"begun\")\n\tfor i := 0; i < 60; i++ {\n\t\tsum := 0\n\t\tfor j := 0; j < 200000; j++ {\n\t\t\tsum += j\n\t\t}\n\t\t_ = sum\n\t}\n\tfmt.Println(\"finished\")",
	})
	s, _ := New(Options{Dir: dir, FirstByte: 50 * time.Millisecond, Limits: worker.Limits{Cell: time.Minute}})
	base := start(t, s)
	cl := client(t, base, s.Token())
	code, body := get(t, cl, base+"/lesson/slow", nil)
	if code != 200 {
		t.Fatalf("the page: %d %.300s", code, body)
	}
	for _, want := range []string{`data-pending="1"`, "(running…)", "Running…", "<noscript>", "new EventSource", "Self-checks: counted when the run ends."} {
		if !strings.Contains(body, want) {
			t.Errorf("the early page lacks %q", want)
		}
	}
	if strings.Contains(body, `class="out"`) {
		t.Error("the early page shows output")
	}
	names, data := events(t, cl, base+"/api/run/slow?page=p")
	if names[len(names)-1] != "done" || !strings.Contains(data[len(data)-1], "finished") {
		t.Errorf("the stream after the early page ends %v", names[max(0, len(names)-3):])
	}
	s.cache.mu.Lock()
	runs := s.cache.runs
	s.cache.mu.Unlock()
	if runs != 1 {
		t.Errorf("the early page and its stream made %d runs, want 1", runs)
	}

	alone, _ := New(Options{Dir: dir, FirstByte: 50 * time.Millisecond})
	alone.linger = 100 * time.Millisecond
	base = start(t, alone)
	cl = client(t, base, alone.Token())
	if code, body := get(t, cl, base+"/lesson/slow", nil); code != 200 || !strings.Contains(body, `data-pending="1"`) {
		t.Fatalf("the early page: %d %.300s", code, body)
	}
	// A hang, not a speed, is what this catches: the slot frees within
	// a fraction of a second of the linger on an idle machine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		alone.mu.Lock()
		active := alone.active
		alone.mu.Unlock()
		if active == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a run no stream took over still holds its slot 30 s after the early page")
		}
		time.Sleep(20 * time.Millisecond)
	}
	alone.cache.mu.Lock()
	kept := len(alone.cache.byKey)
	alone.cache.mu.Unlock()
	if kept != 0 {
		t.Error("a run stopped when nobody waited for it was kept")
	}

	// A minute per cell: on a loaded machine (CI runs the course beside
	// this) the run that must finish once took more than the default 10 s.
	whole, _ := New(Options{Dir: dir, FirstByte: -1, Limits: worker.Limits{Cell: time.Minute}})
	base = start(t, whole)
	cl = client(t, base, whole.Token())
	code, body = get(t, cl, base+"/lesson/slow", nil)
	if code != 200 || !strings.Contains(body, "begun\nfinished") || strings.Contains(body, "data-pending") {
		t.Errorf("with FirstByte < 0 the page is not the whole run: %d %.300s", code, body)
	}
}

// TestAnEarlyPageLearnsTheLessonIsBroken: a lesson the checker refuses
// gets its "does not load" page at once, even before its run; one that
// only the interpreter refuses (a type error) gets the early page, and
// its stream ends with that page ("broken") instead of live controls.
func TestAnEarlyPageLearnsTheLessonIsBroken(t *testing.T) {
	dir := lessonDir(t, map[string]string{
		"checked":  "\tgo fmt.Println()",
		"compiled": "\tvar x int = \"not a number\"\n\t_ = x",
	})
	s, _ := New(Options{Dir: dir, FirstByte: time.Nanosecond})
	base := start(t, s)
	cl := client(t, base, s.Token())
	if code, body := get(t, cl, base+"/lesson/checked", nil); code != 422 || !strings.Contains(body, "does not load") || !strings.Contains(body, "goroutines") {
		t.Errorf("a lesson the checker refuses: %d %.300s", code, body)
	}
	if code, body := get(t, cl, base+"/lesson/compiled", nil); code != 200 || !strings.Contains(body, `data-pending="1"`) {
		t.Errorf("the early page of a lesson that does not compile: %d %.300s", code, body)
	}
	names, data := events(t, cl, base+"/api/run/compiled?page=p")
	if len(names) == 0 || names[len(names)-1] != "broken" || !strings.Contains(data[len(data)-1], "does not load") {
		t.Errorf("the stream of a lesson that does not compile ends %v %.300q", names, data)
	}
}
