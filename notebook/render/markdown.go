package render

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// Markdown writes a lesson run as Markdown. Figures are referenced by
// the paths in figures (relative to the Markdown file); the caller writes
// the files.
func Markdown(w io.Writer, res *notebook.Result, figures map[*notebook.Event]string) error {
	l := res.Lesson
	m := l.Meta
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n*%s · %d minutes.* %s\n\n", mdText(m.Title, true), mdText(m.ID, true), m.Minutes, mdText(m.Summary, true))
	if len(m.LearnBefore) > 0 {
		fmt.Fprintf(&b, "Learn before: %s.  \n", links(m.LearnBefore))
	}
	if len(m.LearnAfter) > 0 {
		fmt.Fprintf(&b, "Learn after: %s.\n", links(m.LearnAfter))
	}
	if len(res.Params) > 0 {
		fmt.Fprintf(&b, "\nParameters of this run (seed %d):\n\n| parameter | value | default | help |\n|---|---|---|---|\n", res.Seed)
		for _, p := range res.Params {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdText(p.Name, true), mdText(p.Value, true), mdText(p.Default, true), mdText(p.Help, true))
		}
	}
	b.WriteString("\n")
	for i, c := range l.Cells {
		cr := res.Cells[i]
		if c.Kind == notebook.Markdown {
			b.WriteString(mdProse(c.Source) + "\n\n")
			continue
		}
		if c.Kind == notebook.Tests {
			continue // hidden tests
		}
		if c.Kind == notebook.Exercise {
			fmt.Fprintf(&b, "**Exercise `%s`:** write the part that stops with \"not written yet\" in your copy of the lesson.\n\n", c.Name)
		}
		f := fence(c.Shown)
		fmt.Fprintf(&b, "%sgo\n%s\n%s\n\n", f, c.Shown, f)
		if cr.Status == notebook.NotRun {
			b.WriteString("*(not run)*\n\n")
			continue
		}
		for _, it := range cr.Items {
			if it.Event == nil {
				if t := strings.TrimRight(it.Text, "\n"); t != "" {
					f := fence(t)
					fmt.Fprintf(&b, "%stext\n%s\n%s\n\n", f, t, f)
				}
				continue
			}
			mdEvent(&b, it.Event, figures)
		}
		if cr.Status == notebook.Failed {
			fmt.Fprintf(&b, "**✗ error:** %s\n\n", mdText(cr.Err, true))
		}
	}
	if l.Helpers != "" {
		f := fence(l.Helpers)
		fmt.Fprintf(&b, "<details><summary>Helper functions used above</summary>\n\n%sgo\n%s\n%s\n\n</details>\n\n", f, l.Helpers, f)
	}
	fmt.Fprintf(&b, "---\nSelf-checks: %d, failed: %d.\n", res.Checks, res.FailedChecks)
	if res.Err != nil {
		fmt.Fprintf(&b, "\n**The lesson stopped:** %s\n", mdText(res.Err.Error(), true))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cells joins a table row's cells, each as literal text.
func cells(row []string) string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = mdText(c, true)
	}
	return strings.Join(out, " | ")
}

func links(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprintf("[%s](%s.md)", mdText(id, true), url.PathEscape(id))
	}
	return strings.Join(s, ", ")
}

func mdEvent(b *strings.Builder, e *notebook.Event, figures map[*notebook.Event]string) {
	switch e.Kind {
	case notebook.Figure:
		fmt.Fprintf(b, "![Figure %d. %s](%s)\n\n*Figure %d. %s*\n\n", e.N, mdText(e.Text, true), figures[e], e.N, mdText(e.Text, true))
	case notebook.Table:
		fmt.Fprintf(b, "| %s |\n|%s\n", cells(e.Headers), strings.Repeat("---|", len(e.Headers)))
		for _, r := range e.Rows {
			fmt.Fprintf(b, "| %s |\n", cells(r))
		}
		b.WriteString("\n")
	case notebook.Check:
		if e.Pass {
			fmt.Fprintf(b, "> ✓ %s\n\n", mdText(e.Text, true))
		} else {
			fmt.Fprintf(b, "> ✗ %s  \n> *Hint:* %s\n\n", mdText(e.Text, true), mdText(e.Hint, true))
		}
	case notebook.Quiz, notebook.Predict:
		label := fmt.Sprintf("Quiz %d", e.N)
		if e.Kind == notebook.Predict {
			label = "Predict, then reveal"
		}
		fmt.Fprintf(b, "**%s.** %s\n\n", label, mdText(e.Text, true))
		for i, o := range e.Options {
			fmt.Fprintf(b, "%c) %s  \n", 'a'+i, mdText(o, true))
		}
		fmt.Fprintf(b, "\n*%s*\n\n", answerElsewhere)
	case notebook.Number:
		fmt.Fprintf(b, "**Number %d.** %s\n\n*%s*\n\n", e.N, mdText(e.Text, true), answerElsewhere)
	}
}
