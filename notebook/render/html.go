package render

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/rlhfsim/rlhfsim/notebook"
)

var (
	md = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// Go code is highlighted with CSS classes, so one style sheet serves
	// every cell.
	codeFormatter = chtml.New(chtml.WithClasses(true), chtml.WithLineNumbers(true), chtml.BaseLineNumber(1))
	codeStyle     = styles.Get("github")
)

func markdownHTML(src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

func codeHTML(src string, firstLine int) (template.HTML, error) {
	k := highlightKey{src, firstLine}
	highlightMu.Lock()
	h, ok := highlighted[k]
	highlightMu.Unlock()
	if ok {
		return h, nil
	}
	h, err := highlight(src, firstLine)
	if err != nil {
		return "", err
	}
	highlightMu.Lock()
	defer highlightMu.Unlock()
	if highlightedBytes+len(src)+len(h) > maxHighlightedBytes {
		// The course's code is a few hundred kilobytes highlighted:
		// this is for an instructor saving edits all afternoon.
		clear(highlighted)
		highlightedBytes = 0
	}
	highlighted[k] = h
	highlightedBytes += len(src) + len(h)
	return h, nil
}

// Highlighting is most of the time a page takes to render, and a
// lesson's code is the same on every page of it, so the live notebook
// keeps what it highlighted.
type highlightKey struct {
	src  string
	line int
}

const maxHighlightedBytes = 32 << 20

var (
	highlightMu      sync.Mutex
	highlighted      = map[highlightKey]template.HTML{}
	highlightedBytes int
)

func highlight(src string, firstLine int) (template.HTML, error) {
	lx := chroma.Coalesce(lexers.Get("go"))
	it, err := lx.Tokenise(nil, src)
	if err != nil {
		return "", err
	}
	f := chtml.New(chtml.WithClasses(true), chtml.WithLineNumbers(true), chtml.BaseLineNumber(firstLine))
	var b bytes.Buffer
	if err := f.Format(&b, codeStyle, it); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

var svgHeader = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)

// inlineSVG is a figure's SVG markup, without its XML header, to embed in
// a page.
func inlineSVG(e *notebook.Event) template.HTML {
	return template.HTML(svgHeader.ReplaceAllString(string(e.SVG), ""))
}

// page data.
type htmlItem struct {
	Text   string
	Event  *notebook.Event
	SVG    template.HTML
	Letter []string
	Sealed []string // each option's sealed reveal
}

type htmlCell struct {
	Hidden   bool
	Exercise string
	Solved   bool
	Markdown bool
	Prose    template.HTML
	Code     template.HTML
	Line     int
	Status   notebook.Status
	Items    []htmlItem
	Err      string
}

type htmlPage struct {
	Lesson     *notebook.Lesson
	Result     *notebook.Result
	Cells      []htmlCell
	CSS        template.CSS
	Prev, Next *notebook.Meta
	Helpers    template.HTML
	Live       *Live
	Controls   []control
	QuizJS     template.JS
	Download   template.HTML
}

// Live makes a lesson page the live notebook's: its parameters become
// controls, changing one reruns the lesson on the server and updates the
// cells as their output arrives, and links point at the server's paths.
type Live struct {
	// Params are the lesson's parameters with the values of this run.
	Params []notebook.ParamSpec
	// Seed is the run's seed.
	Seed uint64
	// Student and Code are the student and the variant code of the
	// hidden world the run used; no code is the standard world.
	Student, Code string
	// Script is the page's live script, served by the caller.
	Script template.HTML
	// Pending marks a page sent before its run: its cells wait for the
	// outputs the script streams in, and the script starts that run.
	Pending bool
	// Fixed marks a page whose student and variant come from the
	// student's personal link (a class served by rlhfsim serve): they are
	// shown, not edited.
	Fixed bool
	// Site marks a page of the static website: links are relative (the
	// site may live in any folder of any host), and the student's variant
	// comes from the name alone (world.PublicCode), which the page says.
	Site bool
}

func itemOf(it notebook.Item) htmlItem {
	hi := htmlItem{Text: it.Text, Event: it.Event}
	if it.Event != nil {
		if it.Event.Kind == notebook.Figure {
			hi.SVG = inlineSVG(it.Event)
		}
		for j := range it.Event.Options {
			hi.Letter = append(hi.Letter, string(rune('a'+j)))
		}
		if it.Event.Kind == notebook.Quiz || it.Event.Kind == notebook.Predict || it.Event.Kind == notebook.Number {
			hi.Sealed = sealed(it.Event)
		}
	}
	return hi
}

// ItemHTML writes one piece of a cell's output as the lesson page shows
// it: for the live page, which adds output as it arrives.
func ItemHTML(w io.Writer, it notebook.Item) error {
	if it.Event != nil && it.Event.Kind == notebook.Param {
		return nil
	}
	return lessonTmpl.ExecuteTemplate(w, "item", itemOf(it))
}

// HTMLLive writes the live notebook's page for a lesson run.
func HTMLLive(w io.Writer, res *notebook.Result, prev, next *notebook.Meta, live *Live) error {
	return writeLesson(w, res, prev, next, live)
}

// HTML writes one self-contained page for a lesson run: prose,
// highlighted code, outputs, inline SVG figures, checks, and quizzes that
// answer a click with no server. prev and next, if not nil, are linked.
// The page depends on nothing but the run, so the same run gives the same
// bytes.
func HTML(w io.Writer, res *notebook.Result, prev, next *notebook.Meta) error {
	return writeLesson(w, res, prev, next, nil)
}

func writeLesson(w io.Writer, res *notebook.Result, prev, next *notebook.Meta, live *Live) error {
	pg := htmlPage{Lesson: res.Lesson, Result: res, CSS: template.CSS(pageCSS()), Prev: prev, Next: next, Live: live, QuizJS: template.JS(quizJS), Download: Download}
	if live != nil {
		pg.Controls = controlsOf(live.Params)
	}
	for i, c := range res.Lesson.Cells {
		cr := res.Cells[i]
		hc := htmlCell{Markdown: c.Kind == notebook.Markdown, Line: c.Marker + 1, Status: cr.Status, Err: cr.Err, Exercise: c.Name, Solved: c.HasSolution()}
		if c.Kind == notebook.Tests {
			// Hidden tests: an empty place for the live page's updates.
			pg.Cells = append(pg.Cells, htmlCell{Hidden: true})
			continue
		}
		var err error
		if hc.Markdown {
			hc.Prose, err = markdownHTML(c.Source)
		} else {
			hc.Code, err = codeHTML(c.Shown, c.Marker+1)
		}
		if err != nil {
			return err
		}
		for _, it := range cr.Items {
			if it.Event != nil && it.Event.Kind == notebook.Param {
				continue
			}
			hc.Items = append(hc.Items, itemOf(it))
		}
		pg.Cells = append(pg.Cells, hc)
	}
	if res.Lesson.Helpers != "" {
		h, err := codeHTML(res.Lesson.Helpers, 1)
		if err != nil {
			return err
		}
		pg.Helpers = h
	}
	return lessonTmpl.Execute(w, pg)
}

func pageCSS() string {
	var b bytes.Buffer
	_ = codeFormatter.WriteCSS(&b, codeStyle)
	return baseCSS + b.String()
}

const baseCSS = `
:root{--blue:#0072B2;--green:#009E73;--red:#D55E00;--gray:#666}
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;line-height:1.55;max-width:52rem;margin:0 auto;padding:1.5rem;color:#1d1d1d;background:#fff}
header{border-bottom:2px solid var(--blue);margin-bottom:1.5rem;padding-bottom:.5rem}
header h1{margin:.2rem 0}.meta{color:var(--gray);font-size:.95rem}
nav{display:flex;justify-content:space-between;font-size:.95rem;margin:1rem 0}
a{color:var(--blue)}
.prose h1,.prose h2,.prose h3{margin-top:1.6rem}
.cell{margin:1rem 0}
.code{border-left:3px solid #ddd;padding-left:.5rem;overflow-x:auto;font-size:.9rem}
.code pre{margin:0;tab-size:4}.code:focus{outline:2px solid var(--blue)}
/* chroma's line numbers are too faint on white (3.7:1): darker, 7:1 */
.chroma .ln,.chroma .lnt{color:#595959 !important}
.out{background:#f6f8fa;border-radius:4px;padding:.5rem .8rem;margin:.4rem 0;white-space:pre-wrap;font-family:"Liberation Mono",Menlo,Consolas,monospace;font-size:.88rem}
figure{margin:1rem 0}figure svg{width:100%;height:auto}figcaption{color:var(--gray);font-size:.95rem}
table.nbt{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}table.nbt th,table.nbt td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}table.nbt th{background:#f0f0f0}
.check{margin:.4rem 0;padding:.4rem .7rem;border-radius:4px}
.check.pass{background:#e6f5ef;border-left:4px solid var(--green)}
.check.fail{background:#fbece3;border-left:4px solid var(--red)}
.hint{display:block;font-size:.92rem;margin-top:.2rem}
.quiz{border:1px solid #cfd8e3;border-radius:6px;padding:.7rem 1rem;margin:1rem 0;background:#fafcff}
.quiz .q{font-weight:bold}.quiz .kind{color:var(--blue);font-size:.85rem;text-transform:uppercase;letter-spacing:.05em}
.quiz button{display:block;width:100%;text-align:left;margin:.3rem 0;padding:.45rem .7rem;border:1px solid #bbb;border-radius:4px;background:#fff;font:inherit;cursor:pointer}
.quiz.number form{display:flex;gap:.5rem}.quiz.number input{font:inherit;padding:.3rem .5rem;width:10rem}.quiz.number button{width:auto;display:inline-block}
.quiz input.right{border:2px solid var(--green)}.quiz input.wrong{border:2px solid var(--red)}
.quiz button:hover{background:#eef4fb}.quiz button.right{background:#e6f5ef;border-color:var(--green)}.quiz button.wrong{background:#fbece3;border-color:var(--red)}
.reveal{margin-top:.5rem;padding:.5rem .7rem;background:#fff;border-left:4px solid var(--blue)}
.exercise{background:#fff8e6;border-left:4px solid #E69F00;padding:.4rem .7rem;font-size:.95rem}
.folded{color:var(--gray);font-style:italic;font-size:.92rem}
.error{color:var(--red);font-weight:bold}.notrun{color:var(--gray);font-style:italic}
.params{font-size:.92rem}.params code{background:#f0f0f0;padding:0 .2rem}
.controls{display:grid;gap:.4rem;margin:.8rem 0;padding:.6rem .8rem;background:#f6f8fa;border-radius:6px;position:sticky;top:0;z-index:5;max-height:40vh;overflow:auto;box-shadow:0 2px 4px rgba(0,0,0,.08)}
.control{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}.control label{font-weight:bold;min-width:9rem}
.control .help{flex-basis:100%;color:var(--gray);font-size:.88rem}
#status{margin:.3rem 0 0;font-size:.92rem;color:var(--gray)}#status.bad{color:var(--red);font-weight:bold;font-size:1rem}[aria-invalid=true]{outline:2px solid var(--red)}.running{outline:2px solid var(--blue);outline-offset:4px}
details{margin:1.5rem 0}
`

var funcs = template.FuncMap{
	"isKind":  func(e *notebook.Event, k string) bool { return e != nil && string(e.Kind) == k },
	"quizKey": QuizKey,
	"plus1":   func(i int) int { return i + 1 },
	"join":    strings.Join,
}

var lessonTmpl = template.Must(template.New("lesson").Funcs(funcs).Parse(`{{define "item"}}{{$it := .}}{{if not .Event}}<pre class="out">{{.Text}}</pre>
{{else if isKind .Event "figure"}}<figure><div role="img" aria-label="Figure {{.Event.N}}. {{.Event.Text}}. {{.Event.Alt}}">{{.SVG}}</div><figcaption>Figure {{.Event.N}}. {{.Event.Text}}</figcaption></figure>
{{else if isKind .Event "table"}}<table class="nbt"><tr>{{range .Event.Headers}}<th>{{.}}</th>{{end}}</tr>{{range .Event.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{else if isKind .Event "number"}}<div class="quiz number" data-key="{{quizKey .Event}}"><div class="kind">Number {{.Event.N}}</div><p class="q" id="q-{{quizKey .Event}}">{{.Event.Text}}</p>
<form><input type="text" inputmode="decimal" aria-labelledby="q-{{quizKey .Event}}" autocomplete="off"> <button type="submit" data-r="{{index .Sealed 0}}">Answer</button></form><div class="reveal" hidden></div></div>
{{else if isKind .Event "check"}}<div class="check {{if .Event.Pass}}pass{{else}}fail{{end}}">{{if .Event.Pass}}✓ passed:{{else}}✗ failed:{{end}} {{.Event.Text}}{{if not .Event.Pass}}<span class="hint">Hint: {{.Event.Hint}}</span>{{end}}</div>
{{else}}<div class="quiz{{if isKind .Event "predict"}} predict{{end}}" data-key="{{quizKey .Event}}"><div class="kind">{{if isKind .Event "predict"}}Predict, then reveal{{else}}Quiz {{.Event.N}}{{end}}</div><p class="q">{{.Event.Text}}</p>
{{range $i, $o := .Event.Options}}<button type="button" data-i="{{$i}}" data-o="{{$o}}" data-r="{{index $it.Sealed $i}}">{{index $it.Letter $i}}) {{$o}}</button>{{end}}
<div class="reveal" hidden></div>{{if isKind .Event "predict"}}<p class="folded" hidden>What this cell shows next answers the prediction, so it appears once you choose.</p>{{end}}</div>
{{end}}{{end}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Lesson.Meta.Title}} · rlhfsim</title><style>{{.CSS}}</style></head><body data-lesson="{{.Lesson.Meta.ID}}" data-seed="{{.Result.Seed}}" data-student="{{.Result.Student}}" data-variant="{{.Result.Code}}"{{if and .Live .Live.Fixed}} data-class="1"{{end}}>
{{if and .Live (not .Live.Site)}}<nav><a href="/">← course map</a><span>{{with .Prev}}<a href="/lesson/{{.ID}}">← {{.Title}}</a>{{end}}{{if and .Prev .Next}} · {{end}}{{with .Next}}<a href="/lesson/{{.ID}}">{{.Title}} →</a>{{end}}</span></nav>
{{else}}<nav><a href="index.html">← course map</a><span>{{with .Prev}}<a href="{{.ID}}.html">← {{.Title}}</a>{{end}}{{if and .Prev .Next}} · {{end}}{{with .Next}}<a href="{{.ID}}.html">{{.Title}} →</a>{{end}}</span></nav>{{end}}
<header><div class="meta">{{.Lesson.Meta.ID}} · {{.Lesson.Meta.Minutes}} minutes</div><h1>{{.Lesson.Meta.Title}}</h1><p>{{.Lesson.Meta.Summary}}</p>
{{with .Lesson.Meta.LearnBefore}}<div class="meta">Learn before: {{range $i, $id := .}}{{if $i}}, {{end}}<a href="{{$id}}.html">{{$id}}</a>{{end}}</div>{{end}}
{{with .Lesson.Meta.LearnAfter}}<div class="meta">Learn after: {{range $i, $id := .}}{{if $i}}, {{end}}<a href="{{$id}}.html">{{$id}}</a>{{end}}</div>{{end}}
</header>
{{if .Live}}<form id="controls" class="controls" data-lesson="{{.Lesson.Meta.ID}}"{{if .Live.Pending}} data-pending="1"{{end}} aria-label="Lesson parameters">
{{range .Controls}}<div class="control"><label for="p-{{.Name}}">{{.Name}}</label>
{{if eq .Input "range"}}<input type="range" id="p-{{.Name}}" name="{{.Name}}" min="{{.Min}}" max="{{.Max}}" step="{{.Step}}" value="{{.Value}}" aria-describedby="h-{{.Name}}"><output for="p-{{.Name}}">{{.Value}}</output>
{{else if eq .Input "checkbox"}}<input type="checkbox" id="p-{{.Name}}" name="{{.Name}}" {{if eq .Value "true"}}checked{{end}} aria-describedby="h-{{.Name}}">
{{else}}<select id="p-{{.Name}}" name="{{.Name}}" aria-describedby="h-{{.Name}}">{{$v := .Value}}{{range .Options}}<option{{if eq . $v}} selected{{end}}>{{.}}</option>{{end}}</select>{{end}}
<span class="help" id="h-{{.Name}}">{{.Help}} ({{if .Options}}{{join .Options ", "}}{{else if .Min}}{{.Min}} to {{.Max}}{{else}}true or false{{end}}; default {{.Default}})</span></div>
{{end}}<div class="control"><label for="p-seed">seed</label><input type="number" id="p-seed" name="seed" min="1" max="1000000" step="1" value="{{.Live.Seed}}"><span class="help">every simulation's seed</span></div>
{{if .Live.Site}}<div class="control"><label for="p-student">student</label><input type="text" id="p-student" name="student" maxlength="100" value="{{.Live.Student}}" autocomplete="name"><span class="help">your name: it orders the quiz options and picks your own variant of the hidden world (empty: the standard world). This site has no course secret, so the variant comes from the name alone: anyone who types the same name gets the same world, and the variant your instructor grades you in is another one</span></div>
{{else if .Live.Fixed}}<div class="control"><label for="p-student">student</label><input type="text" id="p-student" name="student" value="{{.Live.Student}}" readonly aria-readonly="true"><span class="help">set by your personal link, with your own variant of the hidden world</span></div>
<input type="hidden" id="p-variant" name="variant" value="{{.Live.Code}}">
{{else}}<div class="control"><label for="p-student">student</label><input type="text" id="p-student" name="student" maxlength="100" value="{{.Live.Student}}" autocomplete="name"><span class="help">your name: it orders the quiz options and goes into your submission</span></div>
<div class="control"><label for="p-variant">variant code</label><input type="text" id="p-variant" name="variant" maxlength="16" value="{{.Live.Code}}" autocomplete="off" spellcheck="false"><span class="help">the 16-digit code your instructor gave you with your name, for your own variant of the hidden world (empty: the standard world)</span></div>{{end}}
{{if .Live.Fixed}}<p id="saved" class="help" role="status"></p>{{end}}
<p id="status" role="status" aria-live="polite">{{if .Live.Pending}}Running…{{else if .Result.Err}}The lesson stopped.{{else}}Up to date.{{end}}</p>
</form>{{if .Live.Pending}}<noscript><p class="error">This lesson takes a while to run, so the page fills in as it runs, which needs JavaScript. Without it, run it in a terminal: rlhfsim run {{.Lesson.Meta.ID}}</p></noscript>{{end}}
{{else}}{{with .Result.Params}}<p class="params">Parameters of this run (seed {{$.Result.Seed}}): {{range $i, $p := .}}{{if $i}}, {{end}}<code>{{$p.Name}}={{$p.Value}}</code>{{end}}. Change them with <code>rlhfsim run {{$.Lesson.Meta.ID}} --set name=value</code>.</p>{{end}}{{end}}

<main>
{{range $ci, $c := .Cells}}{{if .Hidden}}<section class="cell" id="cell-{{$ci}}" hidden></section>
{{else}}<section class="cell" id="cell-{{$ci}}">
{{if .Exercise}}<p class="exercise">Exercise <code>{{.Exercise}}</code>: write the part that stops with “not written yet” in your copy of the lesson (rlhfsim release gives students one); your instructor's hidden tests run on it when you hand it in.{{if .Solved}} This page ran the course's own solution{{if and $.Live $.Live.Site}} (the source in this page's editor holds it){{else}}, which it does not show{{end}}, so the output below is what right code gives.{{end}}</p>{{end}}
{{if .Markdown}}<div class="prose">{{.Prose}}</div>{{else}}<div class="code" tabindex="0" role="region" aria-label="code from line {{.Line}}">{{.Code}}</div>
{{if eq .Status 0}}<p class="notrun">{{if $.Live}}{{if $.Live.Pending}}(running…){{else}}(not run){{end}}{{else}}(not run){{end}}</p>{{end}}
{{range .Items}}{{template "item" .}}{{end}}
{{if eq .Status 2}}<p class="error">✗ {{.Err}}</p>{{end}}{{end}}
</section>
{{end}}{{end}}
{{if $.Helpers}}<details><summary>Helper functions used above</summary><div class="code" tabindex="0" role="region" aria-label="helper functions">{{.Helpers}}</div></details>{{end}}
<p class="meta">{{if and .Live .Live.Pending}}Self-checks: counted when the run ends.{{else}}Self-checks: {{.Result.Checks}}, failed: {{.Result.FailedChecks}}.{{end}}{{with .Result.Err}} <span class="error">The lesson stopped: {{.}}</span>{{end}}</p>
</main>
{{if not (and .Live .Live.Fixed)}}{{.Download}}{{end}}
<script>{{.QuizJS}}</script>
{{with .Live}}{{.Script}}{{end}}
</body></html>
`))

// QuizKey identifies a quiz or prediction by what it asks and what it
// reveals: the question, the options in the order shown, and the
// explanation (a prediction's explanation carries this run's numbers).
// An answer a student saved under it applies to the same question only;
// a new seed or parameter that changes the options' order or what the
// prediction reveals gives a new key, and the question is asked afresh.
// The answer itself is left out, so the key cannot give it away.
func QuizKey(e *notebook.Event) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", e.Kind, e.Text, e.Explanation)
	if e.Kind == notebook.Number {
		fmt.Fprintf(h, "\x00%s\x00%s", notebook.FormatFloat(e.Value), notebook.FormatFloat(e.Tol))
	}
	for _, o := range e.Options {
		fmt.Fprintf(h, "\x00%s", o)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}
