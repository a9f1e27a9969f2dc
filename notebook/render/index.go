package render

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// CourseEntry is one lesson on the course map.
type CourseEntry struct {
	Meta   notebook.Meta
	Result *notebook.Result // nil when the lesson was not run
}

// Index writes the course map: the prerequisite graph as an inline
// SVG drawing and the list of lessons with their summaries and results.
func Index(w io.Writer, entries []CourseEntry) error {
	graph := courseGraph(entries)
	return indexTmpl.Execute(w, struct {
		Entries  []CourseEntry
		Graph    template.HTML
		CSS      template.CSS
		Download template.HTML
	}{entries, graph, template.CSS(baseCSS), Download})
}

// courseGraph lays the lessons out in rows by their depth in the
// learn-before graph and draws an arrow for every prerequisite.
func courseGraph(entries []CourseEntry) template.HTML {
	byID := map[string]*notebook.Meta{}
	for i := range entries {
		byID[entries[i].Meta.ID] = &entries[i].Meta
	}
	depth := map[string]int{}
	var depthOf func(id string, seen map[string]bool) int
	depthOf = func(id string, seen map[string]bool) int {
		if d, ok := depth[id]; ok {
			return d
		}
		if seen[id] {
			return 0 // a cycle; CheckCourse reports it
		}
		seen[id] = true
		d := 0
		if m := byID[id]; m != nil {
			for _, p := range m.LearnBefore {
				if byID[p] != nil {
					d = max(d, depthOf(p, seen)+1)
				}
			}
		}
		depth[id] = d
		return d
	}
	rows := map[int][]string{}
	maxDepth := 0
	for _, e := range entries {
		d := depthOf(e.Meta.ID, map[string]bool{})
		rows[d] = append(rows[d], e.Meta.ID)
		maxDepth = max(maxDepth, d)
	}
	// Depth runs down the page, so a long chain of lessons stays readable
	// at any width; lessons of equal depth sit side by side.
	const bw, bh, gx, gy = 300, 50, 30, 28
	cols := 0
	for _, c := range rows {
		sort.Strings(c)
		cols = max(cols, len(c))
	}
	pos := map[string][2]int{}
	for d := 0; d <= maxDepth; d++ {
		for i, id := range rows[d] {
			pos[id] = [2]int{10 + i*(bw+gx), 10 + d*(bh+gy)}
		}
	}
	width := 20 + cols*(bw+gx) - gx
	height := 20 + (maxDepth+1)*(bh+gy) - gy
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="0 0 %d %d" width="%d" role="group" aria-label="course map: each lesson links to its page"><defs><marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#666"/></marker></defs>`, width, height, width)
	for _, e := range entries {
		to := pos[e.Meta.ID]
		for _, p := range e.Meta.LearnBefore {
			from, ok := pos[p]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#666" stroke-width="1.5" marker-end="url(#arr)"/>`,
				from[0]+bw/2, from[1]+bh, to[0]+bw/2, to[1]-2)
		}
	}
	for _, e := range entries {
		p := pos[e.Meta.ID]
		fill := "#eef4fb"
		if e.Result != nil && (e.Result.Err != nil || e.Result.FailedChecks > 0) {
			fill = "#fbece3"
		}
		title := e.Meta.Title
		if len(title) > 42 {
			title = title[:41] + "…"
		}
		fmt.Fprintf(&b, `<a href="%s.html"><rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" stroke="#0072B2"/><text x="%d" y="%d" font-size="11" fill="#666">%s · %d min</text><text x="%d" y="%d" font-size="14" fill="#1d1d1d">%s</text></a>`,
			template.HTMLEscapeString(e.Meta.ID), p[0], p[1], bw, bh, fill,
			p[0]+12, p[1]+18, template.HTMLEscapeString(e.Meta.ID), e.Meta.Minutes,
			p[0]+12, p[1]+38, template.HTMLEscapeString(title))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rlhfsim · the course</title><style>{{.CSS}} .map{max-width:100%;height:auto;display:block;margin:0 auto;font-family:"Liberation Sans",Arial,sans-serif} ol li{margin:.6rem 0}</style></head><body>
<header><h1>How the reward model of RLHF works</h1><p>A course in simulated experiments. Every lesson runs a small RLHF pipeline whose hidden gold reward is known, so you can see how far each stage drifts from the truth. Arrows lead from a lesson to the ones that build on it.</p></header>
<main>{{.Graph}}
<ol>{{range .Entries}}<li><a href="{{.Meta.ID}}.html"><strong>{{.Meta.Title}}</strong></a> <span class="meta">({{.Meta.ID}}, {{.Meta.Minutes}} min)</span><br>{{.Meta.Summary}}{{with .Result}}<br><span class="meta">{{if .Err}}✗ stopped: {{.Err}}{{else}}{{.Checks}} self-checks, {{.FailedChecks}} failed{{end}}</span>{{end}}</li>{{end}}</ol>
{{.Download}}
</main></body></html>
`))
