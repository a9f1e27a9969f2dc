package site

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// counter counts the bytes a handler sends for the runtime (rt/).
type counter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ResponseWriter.Write(p)
}

// BenchmarkSiteInBrowser measures the static site as a student meets it,
// in headless Chromium from a local server (Handler, with the
// precompressed runtime): the bytes of the runtime over the wire, the
// time until the first lesson page is readable (DOMContentLoaded, with
// nothing cached), the time until the runtime is ready to run (compiled,
// a lesson worker waiting), and then, per iteration, a rerun of lesson 00
// after a control change with the runtime cached: from the change to the
// updated page, the page's 400 ms pause for more changes included.
//
//	go test -run X -bench SiteInBrowser -benchtime 5x ./notebook/site/
func BenchmarkSiteInBrowser(b *testing.B) {
	dir := siteDir(b)
	var wire atomic.Int64
	h := Handler(dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/rt/") {
			w = counter{w, &wire}
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx, _ := browser(b, 30*time.Minute)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/00-notebook-tour.html")))
	readable, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd`))
	must(err)
	must(until(ctx, `window.rlhfsimWarm === true`, 5*time.Minute))
	ready := time.Since(start)
	// Reported after the loop: ResetTimer drops metrics reported before.
	wireMB := float64(wire.Load()) / 1e6
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v := []string{"600", "300"}[i%2]
		must(chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(function(){var el=document.getElementById('p-tokens'); el.value='`+v+`'; el.dispatchEvent(new Event('input',{bubbles:true}));})(); undefined`)))
		must(until(ctx, `document.getElementById('status').textContent.includes('ran in this browser') && location.search.includes('tokens=`+v+`')`, 2*time.Minute))
		b.StopTimer()
		must(until(ctx, `window.rlhfsimWarm === true`, time.Minute))
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "rerun-00-ms")
	b.ReportMetric(wireMB, "runtime-MB-over-wire")
	b.ReportMetric(readable, "first-page-ms")
	b.ReportMetric(float64(ready.Milliseconds()), "runtime-ready-ms")
}
