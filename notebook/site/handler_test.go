package site

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// TestHandlerServesPrecompressed serves a folder with a file and its .gz:
// a browser that accepts gzip gets the compressed bytes with their type
// and length, one that refuses it (q=0) or says nothing gets the
// original, folders are not listed, and paths cannot leave the folder.
func TestHandlerServesPrecompressed(t *testing.T) {
	dir := t.TempDir()
	body := strings.Repeat("wasm ", 1000)
	if err := os.MkdirAll(filepath.Join(dir, "rt"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "rt", "x.wasm"), []byte(body), 0o644)
	f, _ := os.Create(filepath.Join(dir, "rt", "x.wasm.gz"))
	zw := gzip.NewWriter(f)
	zw.Write([]byte(body))
	zw.Close()
	f.Close()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>map</p>"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.txt"), []byte("no"), 0o644)
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	get := func(path, enc string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", enc)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get("/rt/x.wasm", "gzip, br")
	gz, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Content-Type") != "application/wasm" || res.ContentLength != int64(len(gz)) || len(gz) >= len(body) {
		t.Errorf("gzip: %v, %d bytes", res.Header, len(gz))
	}
	for _, enc := range []string{"", "gzip;q=0", "br"} {
		res := get("/rt/x.wasm", enc)
		b, _ := io.ReadAll(res.Body)
		if res.Header.Get("Content-Encoding") != "" || string(b) != body {
			t.Errorf("Accept-Encoding %q: %v, %d bytes", enc, res.Header, len(b))
		}
	}
	for path, want := range map[string]int{"/": 200, "/rt/": 404, "/../secret.txt": 404, "/rt/../../secret.txt": 404} {
		if res := get(path, "gzip"); res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

// TestBrowserLimits: the browser's time limits are the native defaults
// (10 s a cell, 5 minutes a lesson) times BrowserSlowdown, unless given.
func TestBrowserLimits(t *testing.T) {
	got := BrowserLimits(worker.Limits{})
	if got.Cell != time.Minute || got.Lesson != 30*time.Minute {
		t.Errorf("defaults: %+v", got)
	}
	if got := BrowserLimits(worker.Limits{Cell: time.Second}); got.Cell != time.Second || got.Lesson != 30*time.Minute {
		t.Errorf("a cell limit given: %+v", got)
	}
}

// TestNoHalfSiteWithoutTheSource: outside the rlhfsim source, building a
// site's runtime cannot work, and the site's folder is not even made.
func TestNoHalfSiteWithoutTheSource(t *testing.T) {
	t.Chdir(t.TempDir())
	out := filepath.Join(t.TempDir(), "site")
	_, err := Build(t.Context(), &course.Course{}, nil, Options{Out: out})
	if err == nil || !strings.Contains(err.Error(), "needs the rlhfsim source") {
		t.Fatalf("Build outside the source: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the failed build left the site's folder behind")
	}
}
