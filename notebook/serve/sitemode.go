package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook/site"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// siteCSP is the policy of a class's pages in the browser runtime: the
// site's own scripts and styles, its Web Workers, and WebAssembly.
const siteCSP = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// openSite reads the manifest of Options.Site: a class is served the
// students' version only, whose source (which the browser runs, and the
// page's editor shows) holds no answer and no solution.
func openSite(dir string) (map[string]bool, error) {
	m, err := site.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if !m.Release {
		return nil, fmt.Errorf("%s is the whole course, answers and solutions in its source: a class's browsers run what they are sent, so build the students' version for them (rlhfsim site --out %s --release)", dir, dir)
	}
	for _, f := range []string{"rt/rlhfsim.wasm", "rt/site.js", "rt/runner.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("%s has no %s: build the site again (rlhfsim site --out %s --release)", dir, f, dir)
		}
	}
	ids := map[string]bool{}
	for _, id := range m.Lessons {
		ids[id] = true
	}
	return ids, nil
}

// releaseRe finds the students' version's mark in a site page's lesson
// settings (site.page writes them as JSON).
var releaseRe = regexp.MustCompile(`<script>var rlhfsimLesson=\{[^\n]*"release":true`)

// siteFile serves the class's site: a lesson page made the member's (their
// name and variant, their answers saved here), the runtime and the
// scripts as files.
func (s *Server) siteFile(w http.ResponseWriter, r *http.Request) {
	if s.siteLessons == nil {
		deny(w, http.StatusNotFound, "this server serves no site (rlhfsim serve --class ROSTER --site DIR)")
		return
	}
	name := r.PathValue("file")
	if name == "" || name == "index.html" {
		http.Redirect(w, r, "/", http.StatusSeeOther) // the server's map shows progress
		return
	}
	w.Header().Set("Content-Security-Policy", siteCSP)
	id, page := strings.CutSuffix(name, ".html")
	page = page && s.siteLessons[id]
	if !page && !strings.HasPrefix(name, "rt/") {
		// Only the site's pages and runtime: the folder may hold other
		// files (a gradebook, a links file) that are no student's.
		deny(w, http.StatusNotFound, "no %.80q in this course's site", name)
		return
	}
	if page {
		b, err := os.ReadFile(filepath.Join(s.opt.Site, name))
		if err == nil {
			b, err = classPage(b, memberOf(r))
		}
		if err != nil {
			deny(w, http.StatusInternalServerError, "the site's page %s: %v", name, err)
			return
		}
		s.visit(r, id)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
		return
	}
	// Kept, but asked again each time: the runtime is 15 MB, and a site
	// built again must not be served stale.
	w.Header().Set("Cache-Control", "private, no-cache")
	http.StripPrefix("/site", site.Handler(s.opt.Site)).ServeHTTP(w, r)
}

// classPage makes a site's lesson page a class member's: their name and
// variant for the runs in their browser, the page marked as a class's
// (answers kept per student), a line for the saving's status, and the
// script that saves answers here. The instructor's page is the site's.
func classPage(page []byte, m *member) ([]byte, error) {
	// The site is read at every request: one rebuilt since the server
	// started, or half rebuilt, may hold the whole course. A page whose
	// lesson is not the students' version is sent to no one.
	if !releaseRe.Match(page) {
		return nil, fmt.Errorf("the page is not of the students' version (rebuilt without --release?): build the site again with rlhfsim site --release")
	}
	if m == nil {
		return page, nil
	}
	// The name as the runs spell it (NFC), so that the page's keys for
	// this student's answers are the same before and after a run.
	name := m.name
	if v, err := world.Student(m.name, m.code); err == nil {
		name = v.Student
	}
	cfg, _ := json.Marshal(map[string]string{"student": name, "variant": m.code}) // escapes <, > and &
	for _, e := range []struct{ old, new string }{
		{`data-student=""`, `data-student="` + html.EscapeString(name) + `" data-class="1"`},
		{`<script>var rlhfsimLesson=`, `<script>window.rlhfsimClass=` + string(cfg) + `;</script>` + "\n" + `<script>var rlhfsimLesson=`},
		{`<p id="status"`, `<p id="saved" class="help" role="status"></p>` + "\n" + `<p id="status"`},
	} {
		if !bytes.Contains(page, []byte(e.old)) {
			return nil, fmt.Errorf("not a page this rlhfsim's site builds (no %s): build the site again", e.old)
		}
		page = bytes.Replace(page, []byte(e.old), []byte(e.new), 1)
	}
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		return nil, fmt.Errorf("not an HTML page")
	}
	return append(page[:i:i], []byte("<script>"+classJS+"</script>\n"+string(page[i:]))...), nil
}
