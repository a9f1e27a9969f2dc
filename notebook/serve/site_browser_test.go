package serve

import (
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
	if as, _ := book.Answers(context.Background(), "Ada Lovelace", "00-notebook-tour"); len(as) != 1 || as[0].Right == nil {
		t.Errorf("after grading, Ada's answer: %+v; want it marked", as)
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
