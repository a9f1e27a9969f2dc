package grade

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"html/template"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

// WriteCSV writes one row per item: the submission's file, student,
// variant, lesson, item, kind, points, max, feedback. Cells a spreadsheet would run as a formula
// (starting with =, +, - or @) get a leading apostrophe: a name is the
// student's to choose.
func WriteCSV(w io.Writer, gs []Graded) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"submission", "student", "variant", "lesson", "item", "kind", "points", "max", "feedback"})
	for _, g := range gs {
		for _, it := range g.Items {
			cw.Write([]string{cell(g.Name), cell(it.Student), it.Variant, cell(it.Lesson), cell(it.Item), it.Kind,
				strconv.FormatFloat(it.Points, 'g', -1, 64), strconv.FormatFloat(it.Max, 'g', -1, 64), cell(it.Feedback)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell is s as a CSV cell a spreadsheet will not run as a formula.
func SafeCell(s string) string { return cell(s) }

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		// A number is left as it is: "-3.5" is an answer, not a formula.
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
		return "'" + s
	}
	return s
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// FeedbackFile is the file name of a student's feedback page: the name
// made safe, and a hash of it so that two names cannot share a page.
func FeedbackFile(student string) string {
	n := world.NormalName(student)
	slug := strings.Trim(unsafeName.ReplaceAllString(n, "-"), "-")
	if len(slug) > 40 {
		slug = slug[:40]
	}
	if slug == "" {
		slug = "student"
	}
	h := sha256.Sum256([]byte(n))
	return slug + "-" + hex.EncodeToString(h[:4]) + ".html"
}

// Feedback writes a student's feedback page.
func Feedback(w io.Writer, g Graded) error {
	p, m := g.Total()
	name := g.Name
	if len(g.Items) > 0 {
		name = g.Items[0].Student
	}
	return feedbackTmpl.Execute(w, map[string]any{"Name": name, "Items": g.Items,
		"Points": strconv.FormatFloat(p, 'g', 4, 64), "Max": strconv.FormatFloat(m, 'g', 4, 64)})
}

var feedbackTmpl = template.Must(template.New("feedback").Funcs(template.FuncMap{
	"num": func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Feedback for {{.Name}} · rlhfsim</title>
<style>
body{font-family:"Liberation Sans",Arial,Helvetica,sans-serif;line-height:1.5;max-width:60rem;margin:0 auto;padding:1.5rem;color:#1d1d1d}
h1{border-bottom:2px solid #0072B2;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f0f0f0}
tr.full td.pts{background:#e6f5ef}tr.none td.pts{background:#fbece3}
</style></head><body>
<h1>Feedback for {{.Name}}</h1>
<p>Total: <strong>{{.Points}} of {{.Max}} points</strong>. Every answer was checked against a run of the lesson in your own variant of the hidden world, and every exercise against hidden tests run on your code.</p>
<table><tr><th>lesson</th><th>item</th><th>points</th><th>feedback</th></tr>
{{range .Items}}<tr class="{{if and (gt .Max 0.0) (eq .Points .Max)}}full{{else if gt .Max 0.0}}none{{end}}"><td>{{.Lesson}}</td><td>{{.Item}}</td><td class="pts">{{if gt .Max 0.0}}{{num .Points}} / {{num .Max}}{{else}}–{{end}}</td><td>{{.Feedback}}</td></tr>
{{end}}</table>
</body></html>
`))
