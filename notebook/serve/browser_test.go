package serve

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser returns a headless Chromium context, or fails with how to get
// one: the live notebook is only tested for real in a browser.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("RLHFSIM_SKIP_BROWSER") != "" {
			t.Skip("no Chromium, and RLHFSIM_SKIP_BROWSER is set")
		}
		t.Fatal("the browser tests need Chromium: apt-get install chromium (or set RLHFSIM_SKIP_BROWSER=1 to skip them)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	return ctx
}

// TestSliderRerunsTheLessonInTheBrowser opens a lesson as a student
// would, moves a slider, and waits for the page to show the new run; then
// answers a quiz, reloads, and finds the answer kept and the lesson marked
// done on the course map.
func TestSliderRerunsTheLessonInTheBrowser(t *testing.T) {
	s, _ := New(Options{})
	base := start(t, s)
	ctx := browser(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(chromedp.Do(ctx, chromedp.Navigate(base+"/lesson/00-notebook-tour?token="+s.Token()), chromedp.WaitVisible(`#controls`)))
	before, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	// Move the tokens slider as a keyboard user would: set its value and
	// fire the input event a drag or an arrow key fires.
	must(chromedp.Do(ctx,
		chromedp.SetValue(`#p-tokens`, "600"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('p-tokens').dispatchEvent(new Event('input',{bubbles:true})); undefined`)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('status').textContent.startsWith('Up to date') && location.search.includes('tokens=600')`,
		chromedp.WithPollingTimeout(90*time.Second)))
	must(err)
	after, err := chromedp.Run(ctx, chromedp.Text(`main`))
	must(err)
	if before == after || !strings.Contains(after, "600") {
		t.Errorf("the page did not change with the slider: %q", after[:min(300, len(after))])
	}
	// Answer a quiz, reload: the answer is still there.
	here, err := chromedp.Run(ctx, chromedp.Location())
	must(err)
	must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz button').click(); undefined`),
		chromedp.Navigate(here), chromedp.WaitVisible(`#controls`)))
	answered, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('.quiz button[aria-pressed="true"]').length)`))
	must(err)
	if answered != "1" {
		t.Errorf("after a reload %s answers are shown, want the 1 given", answered)
	}
	// Answer every question: the course map marks the lesson done.
	must(chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.quiz').forEach(function(q){q.querySelector('button').click();}); undefined`),
		chromedp.Navigate(base+"/")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('lessons') !== null`, chromedp.WithPollingTimeout(20*time.Second)))
	must(err)
	done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('li[data-lesson="00-notebook-tour"] .done').hidden`))
	must(err)
	if !done {
		t.Error("the course map does not mark the answered lesson done")
	}
}
