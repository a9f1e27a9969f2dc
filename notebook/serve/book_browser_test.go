package serve

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
)

// TestClassAnswersFollowTheStudent answers a quiz in Chromium as a
// student of a class: the page says the answer is saved on the server,
// the gradebook has it, a second browser with the same link shows it
// answered, and on the first browser, shared with another student who
// signs in there next, that student's page shows nothing answered.
func TestClassAnswersFollowTheStudent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "class.db")
	book, err := gradebook.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	class := &Class{Secret: []byte("a course secret of some length"), Students: []string{"Ada Lovelace", "Alan Turing"}}
	s, err := New(Options{FirstByte: -1, Class: class, Book: book})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	const lesson = "/lesson/00-notebook-tour"
	pressed := `String(document.querySelectorAll('.quiz button[aria-pressed="true"]').length)`
	ctx := browser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(links[0].URL), chromedp.Navigate(base+lesson)))
	err = until(ctx, `!!document.querySelector('.quiz button')`, 60*time.Second)
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz button').click(); undefined`)))
	err = until(ctx, `document.getElementById('saved').textContent.includes('saved on the class')`, 20*time.Second)
	must(t, err)
	as, err := book.Answers(context.Background(), "Ada Lovelace", "00-notebook-tour")
	if err != nil || len(as) != 1 {
		t.Fatalf("the gradebook holds %d answers of Ada's, %v; want 1", len(as), err)
	}
	if os.Getenv("RLHFSIM_SHOTS") != "" {
		chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz').scrollIntoView(); undefined`))
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err == nil {
			os.WriteFile(filepath.Join(os.Getenv("RLHFSIM_SHOTS"), "class-lesson.png"), b, 0o644)
		}
	}

	// Another browser, Ada's link: her answer is there.
	other := browser(t)
	must(t, chromedp.Do(other, chromedp.Navigate(links[0].URL), chromedp.Navigate(base+lesson)))
	err = until(other, `!!document.querySelector('.quiz button')`, 60*time.Second)
	must(t, err)
	err = until(other, pressed+`==='1'`, 30*time.Second)
	if err != nil {
		t.Errorf("Ada's answer does not show in her second browser: %v", err)
	}

	// Alan signs in on the browser Ada used, in another tab, while her
	// page stays open: what she answers there next is not saved as his.
	tab, closeTab := chromedp.NewContext(ctx)
	defer closeTab()
	must(t, chromedp.Do(tab, chromedp.Navigate(links[1].URL+"&switch=1")))
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.quiz')[1].querySelector('button').click(); undefined`)))
	if err := until(ctx, `document.getElementById('saved').textContent.includes('signed in as Alan Turing')`, 20*time.Second); err != nil {
		t.Errorf("Ada's page, after Alan signed in on its browser, does not say her answer waits: %v", err)
	}
	if as, _ := book.Answers(context.Background(), "Alan Turing", ""); len(as) != 0 {
		t.Errorf("Ada's answer from her open page was saved as Alan's: %+v", as)
	}

	// The first browser, now Alan's: nothing of Ada's shows.
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+lesson)))
	err = until(ctx, `document.body.dataset.student==='Alan Turing' && !!document.querySelector('.quiz button')`, 60*time.Second)
	must(t, err)
	time.Sleep(time.Second) // the page's fetch of saved answers
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[string](pressed)); n != "0" {
		t.Errorf("Alan, on the browser Ada used, sees %s answers", n)
	}
	if as, _ := book.Answers(context.Background(), "Alan Turing", ""); len(as) != 0 {
		t.Errorf("Alan has %d answers saved; he gave none", len(as))
	}

	// The instructor's dashboard shows Ada's answer.
	inst := browser(t)
	must(t, chromedp.Do(inst, chromedp.Navigate(base+"/?token="+s.Token()), chromedp.Navigate(base+"/class")))
	err = until(inst, `document.body.textContent.includes('Answers saved: 1')`, 20*time.Second)
	if err != nil {
		t.Errorf("the dashboard does not show Ada's answer: %v", err)
	}
	if os.Getenv("RLHFSIM_SHOTS") != "" {
		shot(t, inst, filepath.Join(os.Getenv("RLHFSIM_SHOTS"), "class-dashboard.png"))
	}
	// The dashboard, a class's lesson page and its course map pass axe.
	for _, v := range axeViolations(t, inst) {
		t.Errorf("the dashboard: %s", v)
	}
	for _, v := range axeViolations(t, ctx) {
		t.Errorf("Alan's lesson page: %s", v)
	}
	must(t, chromedp.Do(ctx, chromedp.Navigate(base+"/")))
	if err := until(ctx, `!!document.getElementById('hand-in')`, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, v := range axeViolations(t, ctx) {
		t.Errorf("Alan's course map: %s", v)
	}
	if os.Getenv("RLHFSIM_SHOTS") != "" {
		shot(t, ctx, filepath.Join(os.Getenv("RLHFSIM_SHOTS"), "class-map.png"))
	}
}

func shot(t *testing.T, ctx context.Context, file string) {
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		t.Log(err)
	}
}

// until evaluates js every 100 ms until it is true or timeout passes: a
// page that navigates meanwhile only delays it.
func until(ctx context.Context, js string, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return nil
		}
		if time.Now().After(end) {
			if err == nil {
				err = fmt.Errorf("still false after %v: %s", timeout, js)
			}
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
