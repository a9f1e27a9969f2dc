package site

import (
	"mime"
	"net/http"
	"path"
	"strings"
)

// Handler serves a site's directory as a plain static host would, and
// serves name.gz for name, with Content-Encoding: gzip, to a browser that
// accepts it: the runtime crosses the wire at about a quarter of its
// size. WebAssembly goes out as application/wasm, which lets the browser
// compile it while it downloads.
func Handler(dir string) http.Handler {
	root := http.Dir(dir)
	files := http.FileServer(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Clean("/" + r.URL.Path)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && !strings.HasSuffix(name, "/") {
			if f, err := root.Open(name + ".gz"); err == nil {
				defer f.Close()
				if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
					h := w.Header()
					h.Set("Content-Encoding", "gzip")
					h.Add("Vary", "Accept-Encoding")
					if t := mime.TypeByExtension(path.Ext(name)); t != "" {
						h.Set("Content-Type", t)
					}
					http.ServeContent(w, r, name, st.ModTime(), f)
					return
				}
			}
		}
		files.ServeHTTP(w, r)
	})
}
