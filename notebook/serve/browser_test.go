package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rlhfsim/rlhfsim/internal/chromium"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// browser returns a headless Chromium tab for three minutes.
func browser(t *testing.T) context.Context { return chromium.Context(t, 3*time.Minute) }

// TestSliderRerunsTheLessonInTheBrowser opens a lesson as a student
// would, moves a slider, and waits for the page to show the new run; then
// answers a quiz, reloads, and finds the answer kept and the lesson marked
// done on the course map.
func TestSliderRerunsTheLessonInTheBrowser(t *testing.T) {
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/00-notebook-tour?token="+s.Token()), chromedp.WaitVisible(`#controls`)))
	before, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(t, err)
	// Move the tokens slider as a keyboard user would: set its value and
	// fire the input event a drag or an arrow key fires.
	must(t, chromedp.Do(ctx,
		chromedp.SetValue(`#p-tokens`, "600"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-tokens').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('Up to date') && location.search.includes('tokens=600')`,
		chromedp.WithPollingTimeout(90*time.Second)))
	must(t, err)
	after, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(t, err)
	if before == after || !strings.Contains(after, "600") {
		t.Errorf("the page did not change with the slider: %q", after[:min(300, len(after))])
	}
	// A name typed in: the page reruns in the student's world, and the
	// answers given from now on are saved as theirs (from the body's
	// data, which once kept the first run's).
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function(){var el=document.getElementById('p-student'); el.value='Ada'; el.dispatchEvent(new Event('input',{bubbles:true}));})(); undefined`)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('Up to date') && location.search.includes('student=Ada')`,
		chromedp.WithPollingTimeout(90*time.Second)))
	must(t, err)
	if who, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.student`)); who != "Ada" {
		t.Errorf("after Ada's run the page saves answers for %q", who)
	}
	// Answer a quiz, reload: the answer is still there.
	here, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz button').click(); undefined`),
		chromedp.Navigate(here), chromedp.WaitVisible(`#controls`)))
	answered, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('.quiz button[aria-pressed="true"]').length)`))
	must(t, err)
	if answered != "1" {
		t.Errorf("after a reload %s answers are shown, want the 1 given", answered)
	}
	// Answer every question: the course map marks the lesson done.
	must(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.quiz').forEach(function(q){q.querySelector('button').click();}); undefined`),
		chromedp.Navigate(base+"/")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('lessons') !== null`, chromedp.WithPollingTimeout(20*time.Second)))
	must(t, err)
	done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('li[data-lesson="00-notebook-tour"] .done').hidden`))
	must(t, err)
	if !done {
		t.Error("the course map does not mark the answered lesson done")
	}
}

// TestStaticQuizTakesOneAnswerAndKeepsIt opens a static lesson page as a
// student would: a quiz used to take any number of clicks ("(wrong)
// (wrong) (wrong)") and forget them on reload. It now takes one answer,
// says right or wrong once, and shows the same answer after a reload.
func TestStaticQuizTakesOneAnswerAndKeepsIt(t *testing.T) {
	c, err := course.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	res := worker.Run(context.Background(), c.Lessons[0], worker.Options{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var b bytes.Buffer
	if err := render.HTML(&b, res, nil, nil); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "lesson.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	click := `(function(){var q=document.querySelectorAll('.quiz')[1]; q.querySelectorAll('button').forEach(function(b){b.click();}); return q.textContent;})()`
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(`main`)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](click))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(text, "(right)") + strings.Count(text, "(wrong)"); n != 1 {
		t.Errorf("clicking every option marked %d of them: %q", n, text)
	}
	// An answer saved meanwhile by another binding of the quizzes (a live
	// page binds each output as it arrives) survives this page's next
	// answer: each binding once wrote back its own snapshot.
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var k='rlhfsim:answers:'+document.body.dataset.lesson;
	  var m=JSON.parse(localStorage.getItem(k)||'{}'); m.elsewhere={i:0,kind:'quiz'}; localStorage.setItem(k,JSON.stringify(m));
	  var q=Array.from(document.querySelectorAll('.quiz')).find(function(q){return !q.dataset.chosen&&!q.classList.contains('number');});
	  q.querySelector('button').click();
	  return !!JSON.parse(localStorage.getItem(k)).elsewhere;})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !kept {
		t.Error("answering a quiz wrote away an answer saved since the page was bound")
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`main`)); err != nil {
		t.Fatal(err)
	}
	pressed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('.quiz')[1].querySelectorAll('button[aria-pressed="true"]').length)+' '+String(document.querySelectorAll('.quiz')[1].querySelector('.reveal').hidden)`))
	if err != nil {
		t.Fatal(err)
	}
	if pressed != "1 false" {
		t.Errorf("after a reload: %q pressed and hidden, want the one answer kept and the answer shown", pressed)
	}
}

// axeViolations runs axe-core (vendored in testdata/axe) on the page ctx
// shows and returns its serious and critical violations, one line each.
func axeViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](string(src)+"; undefined")))
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ['violations']}).then(function(r){
	  return r.violations.filter(function(v){return v.impact==='serious'||v.impact==='critical';}).map(function(v){
	    return v.impact+' '+v.id+' ('+v.nodes.length+' nodes, e.g. '+v.nodes[0].target.join(' ')+'): '+v.help;}).join('\n');})`, chromedp.EvalAwaitPromise))
	must(t, err)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// TestPagesPassAxe runs axe-core on the static course map, a static
// lesson page and a live lesson page with the live index: no serious or
// critical accessibility violation.
func TestPagesPassAxe(t *testing.T) {
	c, err := course.Embedded()
	must(t, err)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	sel, err := c.Select([]string{"04"})
	must(t, err)
	_, err = c.Run(context.Background(), sel, nil, course.Options{Out: out, Formats: course.Formats{course.HTML}})
	must(t, err)
	ctx := browser(t)
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	for _, page := range []string{"file://" + filepath.Join(out, "html", "index.html"), "file://" + filepath.Join(out, "html", "04-training-as-ranking.html"),
		base + "/?token=" + s.Token(), base + "/lesson/00-notebook-tour?token=" + s.Token()} {
		must(t, chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady(`body`)))
		for _, v := range axeViolations(t, ctx) {
			t.Errorf("%s: %s", page[strings.LastIndex(page, "/")+1:], v)
		}
	}
}

// TestTwoQuickSavesShowTheLast edits a served lesson twice in quick
// succession, as an instructor saving twice would: the page used to
// reload for the first save, read the second version as its own, and keep
// the first edit for good. It must end on the second.
func TestTwoQuickSavesShowTheLast(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "lessons", "00-notebook-tour", "main.go"))
	must(t, err)
	dir := t.TempDir()
	file := filepath.Join(dir, "00-notebook-tour", "main.go")
	must(t, os.MkdirAll(filepath.Dir(file), 0o755))
	must(t, os.WriteFile(file, src, 0o644))
	s, err := New(Options{Dir: dir})
	must(t, err)
	base := start(t, s)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/00-notebook-tour?token="+s.Token()), chromedp.WaitVisible(`#controls`)))
	edit := func(word string) {
		must(t, os.WriteFile(file, bytes.Replace(src, []byte("// %% [markdown]\n"), []byte("// %% [markdown]\n\t// "+word+"\n\t//\n"), 1), 0o644))
	}
	// shows waits for the page, which reloads in between, to hold word.
	shows := func(word string) bool {
		for range 60 {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.innerText.includes('`+word+`')`))
			if err == nil && ok {
				return true
			}
			time.Sleep(500 * time.Millisecond)
		}
		return false
	}
	edit("FIRST-EDIT")
	if !shows("FIRST-EDIT") {
		t.Fatal("the page did not reload for the first edit")
	}
	// Two saves in quick succession.
	edit("SECOND-EDIT")
	time.Sleep(200 * time.Millisecond)
	edit("THIRD-EDIT")
	if !shows("THIRD-EDIT") {
		t.Error("the page did not reach the last save")
	}
}

// TestABadValueIsNamedOnThePage types a seed out of range into the live
// page: the page used to say only "refused or the connection was lost";
// it now says what is wrong and marks the field. Then it scrolls to the
// bottom, where the controls must still be in view.
func TestABadValueIsNamedOnThePage(t *testing.T) {
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/00-notebook-tour?token="+s.Token()), chromedp.WaitVisible(`#controls`),
		chromedp.SetValue(`#p-seed`, "0"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-seed').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	got, err := chromedp.Run(ctx, chromedp.Poll[string](`(function(){var s=document.getElementById('status');
	  return s.classList.contains('bad') ? s.textContent+'|'+document.getElementById('p-seed').getAttribute('aria-invalid') : null;})()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	must(t, err)
	if !strings.HasPrefix(got, "Not run: seed") || !strings.Contains(got, "1 to 1000000") || !strings.HasSuffix(got, "|true") {
		t.Errorf("the page says %q, want the seed named with its range and the field marked", got)
	}
	// The controls stay in reach at the bottom of the page, beside the
	// figures they change.
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.scrollTo(0, document.body.scrollHeight); document.getElementById('controls').getBoundingClientRect().top`))
	must(t, err)
	if top < -1 || top > 1 {
		t.Errorf("scrolled to the bottom, the controls' top is at %v px, want 0 (sticky)", top)
	}
}

// TestSlidersShowWhatTheLessonRuns renders the live controls of every
// lesson with parameters and asks the browser what each slider holds:
// its value must be the default exactly (lesson 07's length_bias of 1
// once became 0.99, lesson 05's shift of 5 became 6, snapped to the
// step's grid), and both ends must be reachable.
func TestSlidersShowWhatTheLessonRuns(t *testing.T) {
	c, err := course.Embedded()
	must(t, err)
	dir := t.TempDir()
	ctx := browser(t)
	for _, l := range c.Lessons {
		var params []notebook.ParamSpec
		for _, p := range l.Params {
			p.Value = p.Default
			params = append(params, p)
		}
		if len(params) == 0 {
			continue
		}
		res := &notebook.Result{Lesson: l, Cells: make([]notebook.CellResult, len(l.Cells)), Seed: 1}
		var b bytes.Buffer
		must(t, render.HTMLLive(&b, res, nil, nil, &render.Live{Params: params, Seed: 1}))
		page := filepath.Join(dir, l.Meta.ID+".html")
		must(t, os.WriteFile(page, b.Bytes(), 0o644))
		must(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitReady(`#controls`)))
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('input[type=range]')).map(function(i){
		  var out=[], v=i.getAttribute('value');
		  if(i.value!==v && +i.value!==+v){out.push(i.name+' shows '+i.value+' for '+v);}
		  i.value=i.max; if(+i.value!==+i.max){out.push(i.name+' cannot reach '+i.max+' ('+i.value+')');}
		  i.value=i.min; if(+i.value!==+i.min){out.push(i.name+' cannot reach '+i.min);}
		  return out.join('; ');}).filter(String).join('; ')`))
		must(t, err)
		if bad != "" {
			t.Errorf("%s: %s", l.Meta.ID, bad)
		}
	}
}

// TestAPredictionHoldsBackItsAnswer opens lesson 04's static page: the
// figure and table under the prediction, which answer it, are folded and the page's
// text holds no explanation; picking an option unfolds the table and
// shows the right answer with its explanation, as the run computed them.
func TestAPredictionHoldsBackItsAnswer(t *testing.T) {
	c, err := course.Embedded()
	must(t, err)
	sel, err := c.Select([]string{"04"})
	must(t, err)
	res := worker.Run(context.Background(), sel[0], worker.Options{})
	must(t, res.Err)
	pred := res.Events(notebook.Predict)[0]
	var b bytes.Buffer
	must(t, render.HTML(&b, res, nil, nil))
	page := filepath.Join(t.TempDir(), "lesson.html")
	must(t, os.WriteFile(page, b.Bytes(), 0o644))
	ctx := browser(t)
	state := fmt.Sprintf(`(function(){var q=document.querySelector('.quiz.predict'), n=q.nextElementSibling;
	  while(n&&n.classList.contains('quiz')){n=n.nextElementSibling;}
	  return (n?String(!n.hidden):'nothing follows')+'|'+q.querySelector('.reveal').innerText+'|'+document.body.innerText.includes(%s);})()`, jsString(pred.Explanation))
	must(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitReady(`main`)))
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
	must(t, err)
	if before != "false||false" {
		t.Errorf("before answering, want the output after the prediction folded and no explanation on the page (false||false): %q", before)
	}
	wrong := (pred.Answer + 1) % len(pred.Options)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector('.quiz.predict button[data-i="%d"]').click(); undefined`, wrong))))
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
	must(t, err)
	want := fmt.Sprintf("true|Answer: %c) %s. %s|true", 'a'+pred.Answer, pred.Options[pred.Answer], pred.Explanation)
	if after != want {
		t.Errorf("after a wrong answer:\n%q\nwant the output unfolded and the answer revealed:\n%q", after, want)
	}
}

// TestDownloadedAnswersAreASubmission answers lesson 01's questions on
// its static page as a named student in a variant, then downloads the
// answers: the file is a submission grade.Read accepts, with the
// student's name, code, every answer's question and the chosen option's
// text.
func TestDownloadedAnswersAreASubmission(t *testing.T) {
	c, err := course.Embedded()
	must(t, err)
	sel, err := c.Select([]string{"01"})
	must(t, err)
	v, err := world.Student("Ada", "0123456789abcdef")
	must(t, err)
	res := worker.Run(context.Background(), sel[0], worker.Options{Variant: v})
	must(t, res.Err)
	var b bytes.Buffer
	must(t, render.HTML(&b, res, nil, nil))
	page := filepath.Join(t.TempDir(), "lesson.html")
	must(t, os.WriteFile(page, b.Bytes(), 0o644))
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitReady(`main`),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.quiz').forEach(function(q){q.querySelectorAll('button')[1].click();}); undefined`)))
	file, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(function(done){
	  URL.createObjectURL=function(blob){blob.text().then(done); return '#';};
	  HTMLAnchorElement.prototype.click=function(){};
	  document.getElementById('download-answers').click();
	})`, chromedp.EvalAwaitPromise))
	must(t, err)
	sub, err := grade.Read(strings.NewReader(file))
	if err != nil {
		t.Fatalf("the download is not a submission: %v\n%s", err, file)
	}
	qs := append(res.Events(notebook.Predict), res.Events(notebook.Quiz)...)
	if sub.Student != "Ada" || sub.Variant != "0123456789abcdef" || len(sub.Answers) != len(qs) {
		t.Fatalf("the download: %+v", sub)
	}
	for _, e := range qs {
		found := false
		for _, a := range sub.Answers {
			found = found || (a.Lesson == "01-hidden-truth" && a.Kind == string(e.Kind) && a.Question == e.Text && a.Choice == e.Options[1] && a.Seed == 1)
		}
		if !found {
			t.Errorf("no answer %q to %q in %+v", e.Options[1], e.Text, sub.Answers)
		}
	}
}

// TestANewSeedAsksAfresh answers lesson 01's prediction in the live
// notebook, then changes the seed. Answers used to be saved by position,
// so the new run's prediction (other answers, another truth) appeared
// already answered; saved under the question's identity, it is asked
// afresh, and going back to the first seed shows the first answer again.
func TestANewSeedAsksAfresh(t *testing.T) {
	s, _ := New(Options{FirstByte: -1})
	base := start(t, s)
	ctx := browser(t)
	pressed := func() string {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(document.querySelector('.quiz.predict').querySelectorAll('button[aria-pressed="true"]').length)`))
		must(t, err)
		return n
	}
	reseed := func(seed string) {
		t.Helper()
		must(t, chromedp.Do(ctx, chromedp.SetValue(`#p-seed`, seed),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('p-seed').dispatchEvent(new Event('change',{bubbles:true})); undefined`)))
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('Up to date') && location.search.includes('seed=`+seed+`')`,
			chromedp.WithPollingTimeout(90*time.Second)))
		must(t, err)
	}
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/01-hidden-truth?token="+s.Token()), chromedp.WaitVisible(`#controls`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz.predict button').click(); undefined`)))
	if p := pressed(); p != "1" {
		t.Fatalf("after answering, %s options are pressed", p)
	}
	reseed("2")
	if p := pressed(); p != "0" {
		t.Errorf("with a new seed the prediction shows %s answers, want it asked afresh", p)
	}
	reseed("1")
	if p := pressed(); p != "1" {
		t.Errorf("back on the first seed the prediction shows %s answers, want the one given", p)
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// must stops the test at a browser step that failed.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTheEarlyPageFillsIn: a page sent before its run (every run outlasts
// a FirstByte of a nanosecond) runs itself through the stream and ends
// with the lesson's figures and an up-to-date status.
func TestTheEarlyPageFillsIn(t *testing.T) {
	s, _ := New(Options{FirstByte: time.Nanosecond})
	base := start(t, s)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/01-hidden-truth?token="+s.Token()), chromedp.WaitVisible(`#controls`)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('Up to date') && document.querySelectorAll('main figure svg').length > 0 && document.querySelectorAll('.notrun').length === 0`,
		chromedp.WithPollingTimeout(90*time.Second)))
	must(t, err)
}

// TestTheEarlyPageOfABrokenLessonBecomesItsErrorPage: a lesson only the
// interpreter refuses gets the early page, which turns into the page
// that says why it does not load when its stream ends.
func TestTheEarlyPageOfABrokenLessonBecomesItsErrorPage(t *testing.T) {
	dir := lessonDir(t, map[string]string{"compiled": "\tvar x int = \"not a number\"\n\t_ = x"})
	s, _ := New(Options{Dir: dir, FirstByte: time.Nanosecond})
	base := start(t, s)
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/compiled?token="+s.Token())))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(document.querySelector('h1')||{}).textContent === 'compiled does not load' && !!document.querySelector('.error')`,
		chromedp.WithPollingTimeout(60*time.Second)))
	must(t, err)
}
