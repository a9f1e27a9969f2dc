package render

import (
	"fmt"
	"io"
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
	fmt.Fprintf(&b, "# %s\n\n*%s · %d minutes.* %s\n\n", m.Title, m.ID, m.Minutes, m.Summary)
	if len(m.LearnBefore) > 0 {
		fmt.Fprintf(&b, "Learn before: %s.  \n", links(m.LearnBefore))
	}
	if len(m.LearnAfter) > 0 {
		fmt.Fprintf(&b, "Learn after: %s.\n", links(m.LearnAfter))
	}
	if len(res.Params) > 0 {
		fmt.Fprintf(&b, "\nParameters of this run (seed %d):\n\n| parameter | value | default | help |\n|---|---|---|---|\n", res.Seed)
		for _, p := range res.Params {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, p.Value, p.Default, p.Help)
		}
	}
	b.WriteString("\n")
	for i, c := range l.Cells {
		cr := res.Cells[i]
		if c.Kind == notebook.Markdown {
			b.WriteString(c.Source + "\n\n")
			continue
		}
		fmt.Fprintf(&b, "```go\n%s\n```\n\n", c.Source)
		if cr.Status == notebook.NotRun {
			b.WriteString("*(not run)*\n\n")
			continue
		}
		for _, it := range cr.Items {
			if it.Event == nil {
				if t := strings.TrimRight(it.Text, "\n"); t != "" {
					fmt.Fprintf(&b, "```text\n%s\n```\n\n", t)
				}
				continue
			}
			mdEvent(&b, it.Event, figures)
		}
		if cr.Status == notebook.Failed {
			fmt.Fprintf(&b, "**✗ error:** %s\n\n", cr.Err)
		}
	}
	if l.Helpers != "" {
		fmt.Fprintf(&b, "<details><summary>Helper functions used above</summary>\n\n```go\n%s\n```\n\n</details>\n\n", l.Helpers)
	}
	fmt.Fprintf(&b, "---\nSelf-checks: %d, failed: %d.\n", res.Checks, res.FailedChecks)
	if res.Err != nil {
		fmt.Fprintf(&b, "\n**The lesson stopped:** %v\n", res.Err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func links(ids []string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprintf("[%s](%s.md)", id, id)
	}
	return strings.Join(s, ", ")
}

func mdEvent(b *strings.Builder, e *notebook.Event, figures map[*notebook.Event]string) {
	switch e.Kind {
	case notebook.Figure:
		fmt.Fprintf(b, "![Figure %d. %s](%s)\n\n*Figure %d. %s*\n\n", e.N, e.Text, figures[e], e.N, e.Text)
	case notebook.Table:
		fmt.Fprintf(b, "| %s |\n|%s\n", strings.Join(e.Headers, " | "), strings.Repeat("---|", len(e.Headers)))
		for _, r := range e.Rows {
			fmt.Fprintf(b, "| %s |\n", strings.Join(r, " | "))
		}
		b.WriteString("\n")
	case notebook.Check:
		if e.Pass {
			fmt.Fprintf(b, "> ✓ %s\n\n", e.Text)
		} else {
			fmt.Fprintf(b, "> ✗ %s  \n> *Hint:* %s\n\n", e.Text, e.Hint)
		}
	case notebook.Quiz, notebook.Predict:
		label := fmt.Sprintf("Quiz %d", e.N)
		if e.Kind == notebook.Predict {
			label = "Predict, then reveal"
		}
		fmt.Fprintf(b, "**%s.** %s\n\n", label, e.Text)
		for i, o := range e.Options {
			fmt.Fprintf(b, "%c) %s  \n", 'a'+i, o)
		}
		fmt.Fprintf(b, "\n<details><summary>Answer</summary>\n\n%c) %s. %s\n\n</details>\n\n", 'a'+e.Answer, e.Options[e.Answer], e.Explanation)
	}
}
