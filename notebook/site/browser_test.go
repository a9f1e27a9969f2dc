package site

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rlhfsim/rlhfsim/internal/chromium"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// browser returns a headless Chromium tab that ends after timeout, and
// what its pages print to the console.
func browser(t testing.TB, timeout time.Duration) (context.Context, *consoleLog) {
	t.Helper()
	ctx := chromium.Context(t, timeout)
	log := &consoleLog{}
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				log.add(string(a.Value))
			}
		case *runtime.EventExceptionThrown:
			log.add("exception: " + e.ExceptionDetails.Text)
		}
	})
	return ctx, log
}

// consoleLog keeps what the page printed, for a failing test to show.
type consoleLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (c *consoleLog) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.b.Len() < 1<<16 {
		c.b.WriteString(s + "\n")
	}
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// built is a site of lessons 00 and 03, built once for the tests that
// need one (the runtime takes about a minute to compile the first time).
var built struct {
	once sync.Once
	dir  string
	err  error
}

func siteDir(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "rlhfsim-site-")
		if built.err != nil {
			return
		}
		c, err := course.Embedded()
		if err != nil {
			built.err = err
			return
		}
		sel, err := c.Select([]string{"00", "03"})
		if err != nil {
			built.err = err
			return
		}
		// A cell limit of 10 s, for the endless loop's test to wait less
		// than the default minute.
		_, built.err = Build(context.Background(), c, sel, Options{Out: built.dir, Browser: worker.Limits{Cell: 10 * time.Second}})
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

// until polls a JavaScript condition in the page.
func until(ctx context.Context, cond string, d time.Duration) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d)))
	return err
}

// TestSiteRerunsLessonsInTheBrowser builds a site of two lessons, serves
// it from a plain local file server, and moves a control on each page
// as a student would: the lesson reruns in the browser and its cells and
// figures change. Then it edits a lesson's code: an error points at its
// line in the editor, and a panic stops the run with its line.
func TestSiteRerunsLessonsInTheBrowser(t *testing.T) {
	dir := siteDir(t)
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	ctx, log := browser(t, 5*time.Minute)
	defer func() {
		if t.Failed() {
			st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById('status')||{}).textContent + ' | ' + ((document.getElementById('edit-error')||{}).textContent||'')`))
			t.Logf("the page's status: %s\nits console:\n%s", st, log)
		}
	}()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/index.html")))
	must(until(ctx, `document.getElementById('lessons') !== null`, 10*time.Second))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#lessons a')).map(a=>a.getAttribute('href'))`))
	must(err)
	if strings.Join(links, " ") != "00-notebook-tour.html 03-lists-to-pairs.html" {
		t.Errorf("the course map links %v", links)
	}

	// Lesson 00: the page shows the defaults' outputs, then reruns with
	// the tokens slider moved.
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/00-notebook-tour.html")))
	must(until(ctx, `document.getElementById('controls') !== null`, 10*time.Second))
	before, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	if !strings.Contains(before, "passed") {
		t.Fatalf("the page does not show the run at the defaults: %.300q", before)
	}
	must(chromedp.Do(ctx, chromedp.SetValue(`#p-tokens`, "600"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-tokens').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser') && location.search.includes('tokens=600')`, 2*time.Minute))
	after, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	if after == before || !strings.Contains(after, "600") {
		t.Errorf("the page did not change with the slider: %.300q", after)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(`#status`))
	must(err)
	t.Logf("lesson 00: %s", status)
	shot(t, ctx, "00-after-slider")
	// Accessible, as the live notebook's pages are: axe-core (vendored
	// beside the live notebook's tests) finds nothing serious, with the
	// editor open.
	must(chromedp.Do(ctx, click(`edit-open`)))
	must(until(ctx, `document.querySelector('.CodeMirror') !== null`, 10*time.Second))
	axe, err := os.ReadFile(filepath.Join("..", "serve", "testdata", "axe", "axe.min.js"))
	must(err)
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](string(axe)+"; undefined")))
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(function(r){
	  return r.violations.filter(function(v){return v.impact==='serious'||v.impact==='critical';}).map(function(v){
	    return v.impact+' '+v.id+' ('+v.nodes.length+' nodes, e.g. '+v.nodes[0].target.join(' ')+'): '+v.help;}).join('\n');})`, chromedp.EvalAwaitPromise))
	must(err)
	if violations != "" {
		t.Errorf("axe-core on the site's lesson page:\n%s", violations)
	}
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`localStorage.clear(); undefined`)))

	// A quiz answered stays answered after a reload (the reload reruns the
	// lesson with the values in the address), and a lesson whose questions
	// are all answered is marked done on the course map.
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz button').click(); undefined`), chromedp.Reload()))
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser')`, 2*time.Minute))
	answered, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.quiz button[aria-pressed="true"]').length`))
	must(err)
	if answered != 1 {
		t.Errorf("after a reload %d answers are shown, want the 1 given", answered)
	}
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.quiz').forEach(function(q){q.querySelector('button').click();}); undefined`),
		chromedp.Navigate(srv.URL+"/index.html")))
	must(until(ctx, `document.getElementById('lessons') !== null`, 10*time.Second))
	if done, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('li[data-lesson="00-notebook-tour"] .done').hidden`)); !done {
		t.Error("the course map does not mark the answered lesson done")
	}

	// A student's name picks the public variant of the world: the page
	// says which, and a name that cannot be one is refused at its field.
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/00-notebook-tour.html?student=Ada+Lovelace")))
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser')`, 2*time.Minute))
	variant, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.variant`))
	must(err)
	if variant != "3bf4014fad9ba7ce" { // world.PublicCode("Ada Lovelace"), worked in TestStudentVariants
		t.Errorf("the page ran variant %q for Ada Lovelace", variant)
	}
	must(chromedp.Do(ctx, chromedp.SetValue(`#p-student`, "Ada\u200b"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-student').value='Ada\u200b'; document.getElementById('p-student').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	must(until(ctx, `document.getElementById('status').textContent.startsWith('Not run')`, time.Minute))
	if bad, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('p-student').getAttribute('aria-invalid')`)); bad != "true" {
		t.Error("a name with an invisible character is not marked at its field")
	}

	// Lesson 03: a slider that changes a figure. The runtime is cached now.
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/03-lists-to-pairs.html")))
	must(until(ctx, `document.getElementById('controls') !== null`, 10*time.Second))
	figBefore, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('main figure svg')).map(s=>s.outerHTML).join('')`))
	must(err)
	must(chromedp.Do(ctx, chromedp.SetValue(`#p-k`, "7"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-k').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser') && location.search.includes('k=7')`, 2*time.Minute))
	figAfter, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('main figure svg')).map(s=>s.outerHTML).join('')`))
	must(err)
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	if figAfter == "" || figAfter == figBefore {
		t.Error("lesson 03's figures did not change with K")
	}
	if !regexp.MustCompile(`Ranking, best first: \[[A-Z]( [A-Z]){6}\]`).MatchString(text) {
		t.Errorf("with K = 7 the page does not show a ranking of seven answers: %.400q", text)
	}
	if strings.Contains(text, "✗ failed") {
		t.Errorf("a self-check failed in the browser: %.400q", text)
	}
	status, err = chromedp.Run(ctx, chromedp.Text(`#status`))
	must(err)
	t.Logf("lesson 03: %s", status)

	// A newer change cancels the older run: K = 9, then K = 3 while the
	// first is running its cells. The page ends showing K = 3 only.
	setK := func(v string) {
		must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function(){var el=document.getElementById('p-k'); el.value='`+v+`'; el.dispatchEvent(new Event('input',{bubbles:true}));})(); undefined`)))
	}
	setK("9")
	must(until(ctx, `document.getElementById('status').textContent.startsWith('Running cell') && location.search.includes('k=9')`, time.Minute))
	setK("3")
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser') && location.search.includes('k=3')`, 2*time.Minute))
	// The older run did not finish unseen: its lesson worker was
	// terminated.
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.rlhfsimTerminated || 0`)); n != 1 {
		t.Errorf("%d lesson workers terminated, want the K = 9 run's", n)
	}
	text, err = chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	if !regexp.MustCompile(`Ranking, best first: \[[A-Z] [A-Z] [A-Z]\]`).MatchString(text) {
		t.Errorf("after K = 9 then K = 3 the page does not show a ranking of three answers: %.300q", text)
	}

	// The editor: a line that does not compile is pointed at.
	must(chromedp.Do(ctx, click(`edit-open`)))
	must(until(ctx, `document.querySelector('.CodeMirror') !== null`, 10*time.Second))
	line, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(function(){var cm=document.querySelector('.CodeMirror').CodeMirror;
	  var n=cm.lineCount(); for(var i=0;i<n;i++){ if(/^\s*k := nb\.Int/.test(cm.getLine(i))){ cm.replaceRange('\tk := nb.Int("k", 4, 2, 9, "K") +', {line:i,ch:0}, {line:i,ch:cm.getLine(i).length}); return i+1; } } return 0; })()`))
	must(err)
	if line == 0 {
		t.Fatal("no line k := nb.Int in lesson 03's source")
	}
	must(chromedp.Do(ctx, click(`edit-run`)))
	must(until(ctx, `document.getElementById('status').classList.contains('bad')`, time.Minute))
	status, err = chromedp.Run(ctx, chromedp.Text(`#status`))
	must(err)
	// The error is on the line after the edited one, where the dangling
	// + meets the next statement.
	marked, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`(function(){var cm=document.querySelector('.CodeMirror').CodeMirror, out=[];
	  for(var i=0;i<cm.lineCount();i++){var bg=cm.lineInfo(i).bgClass||''; if(bg.indexOf('cm-error-line')>=0){out.push(i+1);}} return out;})()`))
	must(err)
	if !strings.Contains(status, "does not load") || !strings.Contains(status, "main.go:"+itoa(line+1)) || len(marked) != 1 || marked[0] != line+1 {
		t.Errorf("a syntax error after line %d: status %q, lines marked %v", line, status, marked)
	}
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('edit-error').scrollIntoView(); undefined`)))
	shot(t, ctx, "03-syntax-error")

	// A panic in a cell stops the run there, with its line, and the cells
	// before it keep their outputs.
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function(){var cm=document.querySelector('.CodeMirror').CodeMirror;
	  cm.replaceRange('\tk := nb.Int("k", 4, 2, 9, "K"); if k > 0 { panic("boom") }', {line:`+itoa(line-1)+`,ch:0}, {line:`+itoa(line-1)+`,ch:cm.getLine(`+itoa(line-1)+`).length}); })(); undefined`)))
	must(chromedp.Do(ctx, click(`edit-run`)))
	must(until(ctx, `document.getElementById('status').textContent.startsWith('The lesson stopped')`, time.Minute))
	status, err = chromedp.Run(ctx, chromedp.Text(`#status`))
	must(err)
	if !strings.Contains(status, "panic: boom") || !strings.Contains(status, "main.go:"+itoa(line)) {
		t.Errorf("a panic at line %d: status %q", line, status)
	}
	// An endless loop is stopped by the cell's time limit (10 s in this
	// site), which terminates its Web Worker.
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function(){var cm=document.querySelector('.CodeMirror').CodeMirror;
	  cm.replaceRange('\tk := nb.Int("k", 4, 2, 9, "K"); for k > 0 { k = k + 2 - 2 }', {line:`+itoa(line-1)+`,ch:0}, {line:`+itoa(line-1)+`,ch:cm.getLine(`+itoa(line-1)+`).length}); })(); undefined`)))
	must(chromedp.Do(ctx, click(`edit-run`)))
	must(until(ctx, `document.getElementById('status').textContent.startsWith('The lesson stopped')`, 2*time.Minute))
	status, err = chromedp.Run(ctx, chromedp.Text(`#status`))
	must(err)
	if !strings.Contains(status, "did not finish within 10s") || !strings.Contains(status, "main.go:"+itoa(line)) {
		t.Errorf("an endless loop at line %d: status %q", line, status)
	}

	// The course's version comes back.
	must(chromedp.Do(ctx, click(`edit-reset`)))
	must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser')`, 2*time.Minute))
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`localStorage.getItem('rlhfsim:edit:03-lists-to-pairs') !== null`)); kept {
		t.Error("the edit is still kept after putting the course's version back")
	}
}

// click clicks a button as a script would: a pointer's click can land on
// the sticky controls that cover the page's top.
func click(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.getElementById('` + id + `').click(); undefined`)
}

func itoa(n int) string { return strconv.Itoa(n) }

// shot saves a screenshot of the page in $RLHFSIM_SCREENSHOTS, when set,
// for a person to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("RLHFSIM_SCREENSHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

func TestSiteFilesAreComplete(t *testing.T) {
	dir := siteDir(t)
	for _, f := range []string{"index.html", "00-notebook-tour.html", "03-lists-to-pairs.html", "rt/rlhfsim.wasm", "rt/rlhfsim.wasm.gz", "rt/wasm_exec.js", "rt/LICENSE-go",
		"rt/runner.js", "rt/lesson.js", "rt/site.js", "rt/codemirror/codemirror.js", "rt/codemirror/LICENSE"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}
