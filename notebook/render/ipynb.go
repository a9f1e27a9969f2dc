package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// The notebook format written by IPynb: nbformat 4.5, the version whose
// official JSON schema the tests validate against.
const (
	nbformatMajor = 4
	nbformatMinor = 5
)

// ipynb is a Jupyter notebook; field order follows the schema.
type ipynb struct {
	Cells         []ipynbCell    `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

type ipynbCell struct {
	ID             string         `json:"id"`
	CellType       string         `json:"cell_type"`
	Metadata       map[string]any `json:"metadata"`
	Source         []string       `json:"source"`
	ExecutionCount *int           `json:"execution_count,omitempty"`
	Outputs        []ipynbOutput  `json:"outputs,omitempty"`
	code           bool
}

// MarshalJSON writes a code cell's execution_count and outputs even when
// they are null or empty (the schema requires them) and leaves them out
// of markdown cells (the schema forbids them).
func (c ipynbCell) MarshalJSON() ([]byte, error) {
	if !c.code {
		type md struct {
			ID       string         `json:"id"`
			CellType string         `json:"cell_type"`
			Metadata map[string]any `json:"metadata"`
			Source   []string       `json:"source"`
		}
		return marshal(md{c.ID, c.CellType, c.Metadata, c.Source})
	}
	type code struct {
		ID             string         `json:"id"`
		CellType       string         `json:"cell_type"`
		Metadata       map[string]any `json:"metadata"`
		Source         []string       `json:"source"`
		ExecutionCount *int           `json:"execution_count"`
		Outputs        []ipynbOutput  `json:"outputs"`
	}
	out := c.Outputs
	if out == nil {
		out = []ipynbOutput{}
	}
	return marshal(code{c.ID, c.CellType, c.Metadata, c.Source, c.ExecutionCount, out})
}

// ipynbOutput is one output: a stream, display data or an error.
type ipynbOutput struct {
	OutputType string         `json:"output_type"`
	Name       string         `json:"name,omitempty"`
	Text       []string       `json:"text,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	EName      string         `json:"ename,omitempty"`
	EValue     string         `json:"evalue,omitempty"`
	Traceback  []string       `json:"traceback,omitempty"`
}

// MarshalJSON writes the fields each output type requires, and no others.
func (o ipynbOutput) MarshalJSON() ([]byte, error) {
	switch o.OutputType {
	case "stream":
		return marshal(struct {
			OutputType string   `json:"output_type"`
			Name       string   `json:"name"`
			Text       []string `json:"text"`
		}{o.OutputType, o.Name, o.Text})
	case "error":
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		return marshal(struct {
			OutputType string   `json:"output_type"`
			EName      string   `json:"ename"`
			EValue     string   `json:"evalue"`
			Traceback  []string `json:"traceback"`
		}{o.OutputType, o.EName, o.EValue, tb})
	}
	md := o.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return marshal(struct {
		OutputType string         `json:"output_type"`
		Data       map[string]any `json:"data"`
		Metadata   map[string]any `json:"metadata"`
	}{o.OutputType, o.Data, md})
}

// marshal is json.Marshal without HTML escaping, so that figures, tables
// and prose stay readable in the file.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// lines splits text into the list-of-lines form notebooks use, each line
// but the last keeping its newline.
func lines(s string) []string {
	if s == "" {
		return []string{}
	}
	parts := strings.SplitAfter(s, "\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// IPynb writes a lesson run as a Jupyter notebook (nbformat 4.5) with its
// outputs: prose as Markdown cells, code cells with what they printed,
// figures as SVG (and PNG when the run rendered it), tables as HTML,
// checks, quizzes and predictions as Markdown, a failed cell as an error
// output. The code is Go run by rlhfsim's interpreter, so the notebook is
// for reading its results in Jupyter, JupyterLab, VS Code or Colab, not
// for re-running there; its metadata name the command that runs it, and
// it names no kernelspec, since no Jupyter kernel runs these lessons.
func IPynb(w io.Writer, res *notebook.Result) error {
	l := res.Lesson
	m := l.Meta
	nb := ipynb{NBFormat: nbformatMajor, NBFormatMinor: nbformatMinor,
		Metadata: map[string]any{
			"language_info": map[string]any{"name": "go", "file_extension": ".go"},
			"rlhfsim":       map[string]any{"lesson": m.ID, "seed": res.Seed, "params": paramValues(res), "run": "rlhfsim run " + m.ID},
		}}
	var head strings.Builder
	fmt.Fprintf(&head, "# %s\n\n*%s · %d minutes.* %s\n", mdText(m.Title, true), mdText(m.ID, true), m.Minutes, mdText(m.Summary, true))
	if len(res.Params) > 0 {
		fmt.Fprintf(&head, "\nParameters of this run (seed %d; change them with `rlhfsim run %s --set name=value`):\n\n| parameter | value | default | help |\n|---|---|---|---|\n", res.Seed, m.ID)
		for _, p := range res.Params {
			fmt.Fprintf(&head, "| %s | %s | %s | %s |\n", mdText(p.Name, true), mdText(p.Value, true), mdText(p.Default, true), mdText(p.Help, true))
		}
	}
	nb.Cells = append(nb.Cells, ipynbCell{ID: "header", CellType: "markdown", Metadata: map[string]any{}, Source: lines(head.String())})
	count := 0
	for i, c := range l.Cells {
		id := fmt.Sprintf("cell-%d", i+1)
		if c.Kind == notebook.Markdown {
			nb.Cells = append(nb.Cells, ipynbCell{ID: id, CellType: "markdown", Metadata: map[string]any{}, Source: lines(mdProse(c.Source))})
			continue
		}
		if c.Kind == notebook.Tests {
			continue // hidden tests
		}
		cell := ipynbCell{ID: id, CellType: "code", Metadata: map[string]any{}, Source: lines(c.Shown), code: true}
		cr := res.Cells[i]
		if cr.Status != notebook.NotRun {
			count++
			n := count
			cell.ExecutionCount = &n
		}
		for _, it := range cr.Items {
			if it.Event == nil {
				if it.Text != "" {
					cell.Outputs = appendStream(cell.Outputs, it.Text)
				}
				continue
			}
			if o, ok := ipynbEvent(it.Event); ok {
				cell.Outputs = append(cell.Outputs, o)
			}
		}
		if cr.Status == notebook.Failed {
			cell.Outputs = append(cell.Outputs, ipynbOutput{OutputType: "error", EName: "LessonError", EValue: cr.Err, Traceback: []string{cr.Err}})
		}
		nb.Cells = append(nb.Cells, cell)
	}
	var tail strings.Builder
	fmt.Fprintf(&tail, "---\nSelf-checks: %d, failed: %d.\n", res.Checks, res.FailedChecks)
	if res.Err != nil {
		fmt.Fprintf(&tail, "\n**The lesson stopped:** %s\n", mdText(res.Err.Error(), true))
	}
	if l.Helpers != "" {
		f := fence(l.Helpers)
		fmt.Fprintf(&tail, "\n<details><summary>Helper functions used above</summary>\n\n%sgo\n%s\n%s\n\n</details>\n", f, l.Helpers, f)
	}
	nb.Cells = append(nb.Cells, ipynbCell{ID: "footer", CellType: "markdown", Metadata: map[string]any{}, Source: lines(tail.String())})
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(nb)
}

func paramValues(res *notebook.Result) map[string]string {
	out := map[string]string{}
	for _, p := range res.Params {
		out[p.Name] = p.Value
	}
	return out
}

// appendStream adds printed text, joining it to a stream output just
// before it, as Jupyter does.
func appendStream(outs []ipynbOutput, text string) []ipynbOutput {
	if n := len(outs); n > 0 && outs[n-1].OutputType == "stream" {
		joined := strings.Join(outs[n-1].Text, "") + text
		outs[n-1].Text = lines(joined)
		return outs
	}
	return append(outs, ipynbOutput{OutputType: "stream", Name: "stdout", Text: lines(text)})
}

// ipynbEvent turns a notebook event into a display output.
func ipynbEvent(e *notebook.Event) (ipynbOutput, bool) {
	display := func(data map[string]any) ipynbOutput {
		return ipynbOutput{OutputType: "display_data", Data: data, Metadata: map[string]any{}}
	}
	letter := func(i int) string { return string(rune('a' + i)) }
	switch e.Kind {
	case notebook.Figure:
		caption := fmt.Sprintf("Figure %d. %s", e.N, e.Text)
		// PNG alone when there is one: nbconvert prefers SVG to PNG and
		// then passes it through an HTML cleaner that keeps its text and
		// drops its paths, so an exported page showed labels over an
		// empty box.
		data := map[string]any{"text/plain": lines(caption)}
		if len(e.PNG) > 0 {
			data["image/png"] = base64.StdEncoding.EncodeToString(e.PNG)
		} else {
			data["image/svg+xml"] = lines(string(e.SVG))
		}
		o := display(data)
		o.Metadata = map[string]any{"rlhfsim": map[string]any{"caption": caption}}
		return o, true
	case notebook.Table:
		var h, t strings.Builder
		h.WriteString("<table>\n<thead><tr>")
		for _, c := range e.Headers {
			fmt.Fprintf(&h, "<th>%s</th>", html.EscapeString(c))
		}
		h.WriteString("</tr></thead>\n<tbody>\n")
		t.WriteString(strings.Join(e.Headers, "\t") + "\n")
		for _, r := range e.Rows {
			h.WriteString("<tr>")
			for _, c := range r {
				fmt.Fprintf(&h, "<td>%s</td>", html.EscapeString(c))
			}
			h.WriteString("</tr>\n")
			t.WriteString(strings.Join(r, "\t") + "\n")
		}
		h.WriteString("</tbody>\n</table>\n")
		return display(map[string]any{"text/html": lines(h.String()), "text/plain": lines(t.String())}), true
	case notebook.Check:
		mark, text := "✓", e.Text
		if !e.Pass {
			mark, text = "✗", e.Text+" — "+e.Hint
		}
		s := fmt.Sprintf("%s %s\n", mark, text)
		return display(map[string]any{"text/markdown": lines(fmt.Sprintf("%s %s\n", mark, mdText(text, true))), "text/plain": lines(s)}), true
	case notebook.Quiz, notebook.Predict:
		label := "Quiz"
		if e.Kind == notebook.Predict {
			label = "Predict"
		}
		var b, plain strings.Builder
		fmt.Fprintf(&b, "**%s %d.** %s\n\n", label, e.N, mdText(e.Text, true))
		fmt.Fprintf(&plain, "%s %d. %s\n\n", label, e.N, e.Text)
		for i, opt := range e.Options {
			fmt.Fprintf(&b, "%s) %s  \n", letter(i), mdText(opt, true))
			fmt.Fprintf(&plain, "%s) %s\n", letter(i), opt)
		}
		fmt.Fprintf(&b, "\n*%s*\n", answerElsewhere)
		fmt.Fprintf(&plain, "\n%s\n", answerElsewhere)
		return display(map[string]any{"text/markdown": lines(b.String()), "text/plain": lines(plain.String())}), true
	case notebook.Number:
		md := fmt.Sprintf("**Number %d.** %s\n\n*%s*\n", e.N, mdText(e.Text, true), answerElsewhere)
		plain := fmt.Sprintf("Number %d. %s\n\n%s\n", e.N, e.Text, answerElsewhere)
		return display(map[string]any{"text/markdown": lines(md), "text/plain": lines(plain)}), true
	}
	return ipynbOutput{}, false
}
