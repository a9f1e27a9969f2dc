package serve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rlhfsim/rlhfsim/internal/chromium"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
	"github.com/rlhfsim/rlhfsim/notebook/site"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// TestAClassRunsInTheBrowsers serves a class from a site of the students'
// version: Ada's lesson runs in her browser, in her own variant (which
// the server gives the page), her answer is saved on the server, and
// grading from the dashboard marks it. A site of the whole course is
// refused: its source holds the answers.
func TestAClassRunsInTheBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly runtime")
	}
	ctx := chromium.Context(t, 5*time.Minute) // skips without Chromium, before the build
	dir := releaseSite(t, "00")
	secret := []byte("a course secret of some length")
	class := &Class{Secret: secret, Students: []string{"Ada Lovelace", "Alan Turing"}}
	book, err := gradebook.Open(filepath.Join(t.TempDir(), "class.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	s, err := New(Options{Class: class, Book: book, Site: dir})
	if err != nil {
		t.Fatal(err)
	}
	base := start(t, s)
	links := s.Links(base)
	ada, _ := world.Code(secret, "Ada Lovelace")

	must(t, chromedp.Do(ctx, chromedp.Navigate(links[0].URL), chromedp.Navigate(base+"/lesson/00-notebook-tour")))
	// Until her own run replaces them, the standard world's questions
	// take no answer.
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var up=document.getElementById('status').textContent.startsWith('Up to date'); return up || Array.prototype.every.call(document.querySelectorAll('main .quiz button'), function(b){return b.disabled;});})()`)); !ok {
		t.Error("the standard world's quizzes take answers before Ada's own run")
	}
	// The simulator loads, and the lesson runs here in Ada's world.
	if err := until(ctx, `document.body.dataset.variant===`+jsString(ada)+` && document.getElementById('status').textContent.startsWith('Up to date') && !!document.querySelector('.quiz button')`, 3*time.Minute); err != nil {
		st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent+' | '+location.href+' | '+document.body.dataset.variant`))
		t.Fatalf("Ada's lesson did not run in her browser in her world: %v (%s)", err, st)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var p=document.getElementById('p-student'); return !!p && p.readOnly && p.value==='Ada Lovelace' && !document.querySelector('.download:not([hidden])');})()`)); !ok {
		t.Error("Ada's page lets her change her name, or offers a download")
	}
	if st := s.Stats(); st.Runs != 0 {
		t.Errorf("the server ran %d lessons for Ada; her browser should have", st.Runs)
	}
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.quiz button').click(); undefined`)))
	if err := until(ctx, `document.getElementById('saved').textContent.includes('saved on the class')`, 20*time.Second); err != nil {
		t.Fatalf("Ada's answer was not saved: %v", err)
	}
	as, err := book.Answers(context.Background(), "Ada Lovelace", "00-notebook-tour")
	if err != nil || len(as) != 1 || as[0].Right != nil {
		t.Fatalf("Ada's saved answers: %+v, %v; want one, not marked yet", as, err)
	}
	if os.Getenv("RLHFSIM_SHOTS") != "" {
		shot(t, ctx, filepath.Join(os.Getenv("RLHFSIM_SHOTS"), "class-site.png"))
	}
	// Grading marks it.
	inst := client(t, base, s.Token())
	gradeNow(t, s, inst, base)
	as, _ = book.Answers(context.Background(), "Ada Lovelace", "00-notebook-tour")
	if len(as) != 1 || as[0].Right == nil {
		t.Fatalf("after grading, Ada's answer: %+v; want it marked", as)
	}
	// Marked as her world's truth has it: the instructor's lesson, run
	// here in her variant.
	c, _ := course.Embedded()
	sel, _ := c.Select([]string{"00"})
	v, _ := world.Student("Ada Lovelace", ada)
	res := worker.Run(context.Background(), sel[0], worker.Options{Variant: v})
	found := false
	for _, cr := range res.Cells {
		for _, it := range cr.Items {
			if e := it.Event; e != nil && e.Text == as[0].Question && e.Answer >= 0 {
				found = true
				if want := as[0].Choice == e.Options[e.Answer]; *as[0].Right != want {
					t.Errorf("Ada chose %q; marked right=%v, her world's answer is %q", as[0].Choice, *as[0].Right, e.Options[e.Answer])
				}
			}
		}
	}
	if !found {
		t.Errorf("no question %q in the instructor's lesson", as[0].Question)
	}
	// Only the site's pages and runtime are served, a member's runs are
	// the browser's, and a page not of the students' version is sent to
	// no one.
	adaC := signIn(t, links[0].URL)
	for _, c := range []struct {
		path string
		want int
	}{
		{"/site/" + site.ManifestFile, 404},
		{"/site/rt/site.js", 200},
		{"/api/run/00-notebook-tour?page=x", 403},
	} {
		if code, body := get(t, adaC, base+c.path, nil); code != c.want {
			t.Errorf("Ada asking for %s: %d %.100s, want %d", c.path, code, body, c.want)
		}
	}
	page := filepath.Join(dir, "00-notebook-tour.html")
	b, _ := os.ReadFile(page)
	os.WriteFile(page, bytes.Replace(b, []byte(`"release":true`), []byte(`"release":false`), 1), 0o644)
	if code, _ := get(t, adaC, base+"/site/00-notebook-tour.html", nil); code != 500 {
		t.Errorf("a page of the whole course served to Ada: %d", code)
	}

	// A site of the whole course is not served to a class.
	whole := t.TempDir()
	os.WriteFile(filepath.Join(whole, site.ManifestFile), []byte(`{"format":"`+site.ManifestFormat+`","release":false,"lessons":["00-notebook-tour"]}`), 0o644)
	if _, err := New(Options{Class: class, Site: whole}); err == nil {
		t.Error("a site of the whole course was accepted for a class")
	}
}

// releaseSite builds a site of the students' version of the lessons
// ids, as rlhfsim site --release does, in a temporary folder.
func releaseSite(t testing.TB, ids ...string) string {
	t.Helper()
	c, err := course.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(ids)
	if err != nil {
		t.Fatal(err)
	}
	var students []*notebook.Lesson
	for _, l := range sel {
		src, err := l.StudentSource()
		if err != nil {
			t.Fatal(err)
		}
		sl, err := notebook.Parse(l.Meta.ID, l.File, src)
		if err != nil {
			t.Fatal(err)
		}
		students = append(students, sl)
	}
	dir := t.TempDir()
	if _, err := site.Build(context.Background(), &course.Course{Lessons: students}, students, site.Options{Out: dir, Release: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}
