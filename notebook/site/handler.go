package site

import (
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Handler serves a site's directory as a plain static host would, and
// serves name.gz for name, with Content-Encoding: gzip, to a browser that
// accepts it: the runtime crosses the wire at about a quarter of its
// size. WebAssembly goes out as application/wasm, which lets the browser
// compile it while it downloads. Folders are not listed.
func Handler(dir string) http.Handler {
	root := http.Dir(dir)
	files := http.FileServer(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		if strings.HasSuffix(r.URL.Path, "/") && name != "/" {
			// A folder: only the site's root has a page.
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			if f, err := root.Open(name + ".gz"); err == nil {
				defer f.Close()
				if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
					h.Set("Content-Encoding", "gzip")
					if t := mime.TypeByExtension(path.Ext(name)); t != "" {
						h.Set("Content-Type", t)
					}
					if r.Header.Get("Range") == "" {
						// ServeContent leaves the length out of an encoded
						// body; the browser's download progress needs it.
						h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
					}
					http.ServeContent(w, r, name, st.ModTime(), f)
					return
				}
			}
		}
		files.ServeHTTP(w, r)
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without
// q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		enc := strings.TrimSpace(fields[0])
		if enc != "gzip" && enc != "*" {
			continue
		}
		ok := true
		for _, p := range fields[1:] {
			if q, found := strings.CutPrefix(strings.TrimSpace(p), "q="); found {
				if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
					ok = false
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}
