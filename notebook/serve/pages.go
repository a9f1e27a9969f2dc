package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
)

// skeleton renders a lesson page before its run: prose, code and
// controls, with every cell waiting for the stream the page starts.
func (s *Server) skeleton(l *notebook.Lesson, prev, next *notebook.Meta, r request) ([]byte, error) {
	res := &notebook.Result{Lesson: l, Cells: make([]notebook.CellResult, len(l.Cells)), Seed: r.seed, Student: r.student, Code: r.code}
	return s.livePage(res, prev, next, r, true)
}

// page renders a finished run as the live page.
func (s *Server) page(res *notebook.Result, prev, next *notebook.Meta, r request) ([]byte, error) {
	around := r.student + "\x00" + r.code + "\x00" + fmt.Sprint(r.member) + "|"
	for _, m := range []*notebook.Meta{prev, next} {
		if m != nil {
			around += m.ID + "\x00" + m.Title + "\x00"
		}
		around += "|"
	}
	return s.cache.page(runKey(res.Lesson, r), res, around, func() ([]byte, error) {
		return s.livePage(res, prev, next, r, false)
	})
}

// livePage writes the live page of a run, or of a run still to come
// (pending).
func (s *Server) livePage(res *notebook.Result, prev, next *notebook.Meta, r request, pending bool) ([]byte, error) {
	params := res.Params
	if len(params) == 0 {
		// The run stopped before its parameters ran.
		params = res.Lesson.Declared(r.set)
	}
	var b bytes.Buffer
	err := render.HTMLLive(&b, res, prev, next, &render.Live{Params: params, Seed: r.seed, Student: r.student, Code: r.code, Fixed: r.member,
		Script: liveScript(s.opt.Dir != "", res.Lesson.Source), Pending: pending})
	return b.Bytes(), err
}

func (s *Server) lesson(w http.ResponseWriter, r *http.Request) {
	e, prev, next, ok := s.found(w, r)
	if !ok {
		return
	}
	if s.siteLessons[e.ID] && isMember(r) {
		// A class served from a site runs its lessons in the browsers.
		http.Redirect(w, r, "/site/"+e.ID+".html", http.StatusSeeOther)
		return
	}
	if e.Err != nil {
		s.brokenPage(w, e)
		return
	}
	req, err := s.parse(e.Lesson, fixed(r, r.URL.Query()))
	if err != nil {
		deny(w, http.StatusBadRequest, "%s", err)
		return
	}
	req.member = isMember(r)
	s.visit(r, e.ID)
	// The checker's problems need no worker: show them at once, before
	// a page that would only learn of them from its stream.
	if errs := s.checked(e.Lesson); errs != nil {
		s.brokenPage(w, entry{ID: e.ID, File: e.File, Source: e.Source, Err: errs})
		return
	}
	res, err := s.runOrSkeleton(r.Context(), e.Lesson, req)
	if r.Context().Err() != nil {
		return // the browser went away
	}
	if errors.Is(err, errBusy) {
		// The prose and controls at once; the page's stream says the
		// server is busy, and a change tries again.
		res, err = &notebook.Result{Lesson: e.Lesson}, nil
	}
	if err != nil {
		deny(w, http.StatusInternalServerError, "running %s: %v", e.ID, err)
		return
	}
	if re := new(notebook.RunError); errors.As(res.Err, &re) && (re.Kind == notebook.StopCheck || re.Kind == notebook.StopCompile) {
		s.brokenPage(w, entry{ID: e.ID, File: e.File, Source: e.Source, Err: re.Err})
		return
	}
	var b []byte
	if res.Cells == nil {
		b, err = s.skeleton(e.Lesson, prev, next, req)
	} else {
		b, err = s.page(res, prev, next, req)
	}
	if err != nil {
		deny(w, http.StatusInternalServerError, "rendering %s: %v", e.ID, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

// brokenPage shows why a lesson does not load: file, line and the source
// around it, instead of a blank page.
func (s *Server) brokenPage(w http.ResponseWriter, e entry) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnprocessableEntity)
	w.Write(s.brokenHTML(e))
}

// brokenHTML is the page brokenPage sends.
func (s *Server) brokenHTML(e entry) []byte {
	var ne *notebook.Error
	line := 0
	msg := fmt.Sprint(e.Err)
	if errors.As(e.Err, &ne) {
		line = ne.Line
	} else if el, ok := e.Err.(notebook.ErrorList); ok && len(el) > 0 {
		line = el[0].Line
	}
	type srcLine struct {
		N    int
		Text string
		Here bool
	}
	var excerpt []srcLine
	for i, t := range strings.Split(string(e.Source), "\n") {
		if n := i + 1; line > 0 && n >= line-3 && n <= line+3 {
			excerpt = append(excerpt, srcLine{N: n, Text: t, Here: n == line})
		}
	}
	// One problem per line: the parser reports each with its position.
	if e.File != "" {
		msg = strings.ReplaceAll(msg, " "+e.File+":", "\n"+e.File+":")
	}
	var b bytes.Buffer
	brokenTmpl.Execute(&b, map[string]any{"ID": e.ID, "File": e.File, "Msg": msg, "Excerpt": excerpt, "Script": liveScript(s.opt.Dir != "", e.Source)})
	return b.Bytes()
}

var brokenTmpl = template.Must(template.New("broken").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.ID}} does not load · rlhfsim</title>
<style>body{font-family:Arial,sans-serif;max-width:52rem;margin:0 auto;padding:1.5rem}pre{background:#f6f8fa;padding:.6rem;white-space:pre-wrap}.here{background:#fbece3;font-weight:bold}.error{color:#D55E00}</style></head>
<body><nav><a href="/">← course map</a></nav><h1>{{.ID}} does not load</h1>
<pre class="error" role="alert">{{.Msg}}</pre><p>{{.File}}</p>
{{if .Excerpt}}<pre>{{range .Excerpt}}<span{{if .Here}} class="here"{{end}}>{{printf "%4d" .N}}  {{.Text}}</span>
{{end}}</pre>{{end}}
<p>Fix the file and save it: this page reloads by itself.</p>
<form id="controls" data-lesson="{{.ID}}" data-broken="1" hidden></form>
{{.Script}}
</body></html>`))

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	ls, err := s.lessons()
	if err != nil {
		deny(w, http.StatusInternalServerError, "reading the course: %v", err)
		return
	}
	type row struct {
		ID, Title, Summary string
		Minutes            int
		Before             string
		Err                error
		Done               bool
		Progress           string
		Href               string
	}
	// A class member's progress comes from the gradebook, so it is the
	// same in every browser; others' from this browser's storage.
	m := memberOf(r)
	var done map[[2]string]progress
	if m != nil && s.opt.Book != nil {
		asked, err1 := s.opt.Book.Asked(r.Context(), m.name)
		answers, err2 := s.opt.Book.Answers(r.Context(), m.name, "")
		if err := errors.Join(err1, err2); err != nil {
			deny(w, http.StatusServiceUnavailable, "the class's gradebook: %v", err)
			return
		}
		done = progressOf(asked, answers, nil)
	}
	var rows []row
	for _, e := range ls {
		if e.Lesson == nil {
			rows = append(rows, row{ID: e.ID, Title: e.ID, Err: e.Err})
			continue
		}
		m := e.Lesson.Meta
		rw := row{ID: m.ID, Title: m.Title, Summary: m.Summary, Minutes: m.Minutes, Before: strings.Join(m.LearnBefore, ", "), Href: "/lesson/" + m.ID}
		if s.siteLessons[m.ID] && memberName(r) != "" {
			rw.Href = "/site/" + m.ID + ".html"
		}
		if done != nil {
			p := done[[2]string{memberName(r), m.ID}]
			rw.Done = p.Done()
			if p.Asked > 0 && !rw.Done {
				rw.Progress = fmt.Sprintf("%d of %d answered", p.Answered, p.Asked)
			}
		}
		rows = append(rows, rw)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := map[string]any{"Rows": rows, "Download": render.Download}
	switch {
	case m != nil && s.opt.Book != nil:
		data["Member"] = m.name
		data["InBrowser"] = s.siteLessons != nil
		data["Script"] = template.HTML("<script>" + handInJS + "</script>")
	case m == nil && s.opt.Book != nil:
		data["Instructor"] = true
		data["Script"] = template.HTML("<script>" + progressJS + "</script>")
	default:
		data["Script"] = template.HTML("<script>" + progressJS + "</script>")
	}
	indexTmpl.Execute(w, data)
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>rlhfsim · the course</title>
<style>body{font-family:"Liberation Sans",Arial,sans-serif;line-height:1.5;max-width:52rem;margin:0 auto;padding:1.5rem}
h1{border-bottom:2px solid #0072B2}li{margin:.7rem 0}.meta{color:#666;font-size:.92rem}.done{color:#009E73;font-weight:bold}.error{color:#D55E00}</style></head>
<body><h1>How the reward model of RLHF works</h1>
{{if .Member}}<p>Signed in as <b>{{.Member}}</b> by your personal link. Each lesson runs {{if .InBrowser}}in this browser (the simulator loads once, about 15 MB){{else}}on the class's server{{end}} in your own variant of the hidden world; your answers are saved there as you give them, and show in any browser you open your link in.</p>
{{else if .Instructor}}<p>You are the instructor: <a href="/class">the class's dashboard</a> shows the students' progress and answers as they work. Answers you give here are not saved.</p>
{{else}}<p>Each lesson runs on this machine; change a parameter and the lesson runs again. Your answers and progress stay in this browser.</p>{{end}}
<main><ol id="lessons">{{range .Rows}}<li data-lesson="{{.ID}}"><a href="{{if .Href}}{{.Href}}{{else}}/lesson/{{.ID}}{{end}}">{{.Title}}</a> <span class="done"{{if not .Done}} hidden{{end}}>✓ done</span>{{with .Progress}} <span class="meta">{{.}}</span>{{end}}
{{if .Err}}<div class="error">does not load: {{.Err}}</div>{{else}}<div class="meta">{{.ID}} · {{.Minutes}} minutes{{with .Before}} · after {{.}}{{end}}</div><div>{{.Summary}}</div>{{end}}</li>
{{end}}</ol>
{{if .Member}}<section aria-labelledby="hand-in-h"><h2 id="hand-in-h">Hand in your exercises</h2>
<p>Write the exercises in your copy of the lessons (from your instructor's release), run <code>rlhfsim submit DIR --student "{{.Member}}" --out work.json</code> on it, then choose <code>work.json</code> here: its exercises are saved as yours (your answers are saved already).</p>
<p><label for="hand-in">Submission file</label> <input type="file" id="hand-in" accept=".json,application/json"> <span id="hand-in-status" role="status"></span></p></section>
{{else}}{{.Download}}{{end}}</main>
{{.Script}}
</body></html>`))

// progressJS marks the lessons whose questions were all answered, from the
// browser's local storage.
const progressJS = `
document.querySelectorAll('#lessons li').forEach(function(li){
  if(localStorage.getItem('rlhfsim:done:'+li.dataset.lesson)==='1'){
    li.querySelector('.done').hidden=false;
  }
});`

// handInJS posts the submission file a student chooses.
const handInJS = `
(function(){
  var f=document.getElementById('hand-in'), st=document.getElementById('hand-in-status');
  if(!f){return;}
  f.addEventListener('change',function(){
    var file=f.files[0]; if(!file){return;}
    st.textContent='Handing in…';
    file.text().then(function(t){
      return fetch('/api/hand-in',{method:'POST',headers:{'Content-Type':'application/json'},body:t});
    }).then(function(r){
      return r.text().then(function(t){
        if(r.ok){st.textContent=JSON.parse(t).message;}else{st.textContent='Not handed in: '+t;}
      });
    }).catch(function(e){st.textContent='Not handed in: the server does not answer ('+e+'). Try again.';});
  });
})();`

// memberName is the name of the class member a request comes from.
func memberName(r *http.Request) string {
	if m := memberOf(r); m != nil {
		return m.name
	}
	return ""
}

// liveScript is the lesson page's script: controls rerun the lesson
// (debounced, a newer change cancelling the older run), cells fill as
// output arrives, quiz answers and progress persist in local storage,
// and, when serving a directory, the page reloads when its file changes.
//
// The page carries the version of the source it was made from: it
// reloads when the file's version differs from its own, not from the
// first version it polled, which a second save during a reload had
// already moved past (the page then kept the older edit for good).
func liveScript(watch bool, source []byte) template.HTML {
	w := "false"
	if watch {
		w = "true"
	}
	return template.HTML("<script>var rlhfsimWatch=" + w + ", rlhfsimVersion=\"" + sourceVersion(source) + "\";" + liveJS + "</script><script>" + classJS + "</script>")
}

// sourceVersion names a lesson file's content: the first 8 bytes of its
// SHA-256, in hex.
func sourceVersion(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:8])
}
