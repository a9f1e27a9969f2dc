package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/internal/nbschema"
	"github.com/rlhfsim/rlhfsim/notebook"
)

// A result with every kind of output, a failed cell and a cell not run.
func sampleResult() *notebook.Result {
	l := &notebook.Lesson{Meta: notebook.Meta{ID: "99-sample", Title: "Sample", Summary: "Every kind of output.", Minutes: 1},
		Cells: []notebook.Cell{
			{Kind: notebook.Markdown, Source: "Some **prose**.\nTwo lines."},
			{Kind: notebook.Code, Source: "fmt.Println(1)"},
			{Kind: notebook.Code, Source: "panic(2)"},
			{Kind: notebook.Code, Source: "fmt.Println(3)"},
		}}
	return &notebook.Result{Lesson: l, Seed: 7, Params: []notebook.ParamSpec{{Name: "k", Value: "4", Default: "4", Help: "answers"}},
		Checks: 2, FailedChecks: 1,
		Cells: []notebook.CellResult{
			{Status: notebook.Done},
			{Status: notebook.Done, Items: []notebook.Item{
				{Text: "1\n"}, {Text: "more\n"},
				{Event: &notebook.Event{Kind: notebook.Figure, N: 1, Text: "a <figure>", SVG: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n"), PNG: []byte{0x89, 'P', 'N', 'G'}}},
				{Event: &notebook.Event{Kind: notebook.Table, Headers: []string{"a", "b<"}, Rows: [][]string{{"1", "2&"}}}},
				{Event: &notebook.Event{Kind: notebook.Check, N: 1, Text: "holds", Pass: true}},
				{Event: &notebook.Event{Kind: notebook.Check, N: 2, Text: "fails", Hint: "why"}},
				{Event: &notebook.Event{Kind: notebook.Quiz, N: 1, Text: "Q?", Options: []string{"x", "y"}, Answer: 1, Explanation: "because"}},
				{Event: &notebook.Event{Kind: notebook.Predict, N: 1, Text: "P?", Options: []string{"x", "y"}, Answer: 0, Explanation: "it was x"}},
			}},
			{Status: notebook.Failed, Err: "main.go:9: panic: 2"},
			{Status: notebook.NotRun},
		}}
}

func TestIPynbValidatesAndKeepsEveryOutput(t *testing.T) {
	var b bytes.Buffer
	if err := IPynb(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if err := nbschema.Validate(b.Bytes()); err != nil {
		t.Fatalf("the notebook does not validate against nbformat 4.5: %v", err)
	}
	var nb struct {
		Cells []struct {
			CellType       string           `json:"cell_type"`
			ExecutionCount *int             `json:"execution_count"`
			Outputs        []map[string]any `json:"outputs"`
		} `json:"cells"`
		Metadata map[string]any `json:"metadata"`
	}
	if err := json.Unmarshal(b.Bytes(), &nb); err != nil {
		t.Fatal(err)
	}
	// header, prose, three code cells, footer
	if len(nb.Cells) != 6 {
		t.Fatalf("%d cells", len(nb.Cells))
	}
	code := nb.Cells[2]
	kinds := []string{}
	for _, o := range code.Outputs {
		kinds = append(kinds, o["output_type"].(string))
	}
	if got := strings.Join(kinds, ","); got != "stream,display_data,display_data,display_data,display_data,display_data,display_data" {
		t.Errorf("outputs %s", got)
	}
	if text := code.Outputs[0]["text"].([]any); len(text) != 2 || text[1] != "more\n" {
		t.Errorf("printed text %v: want one stream of two lines", text)
	}
	fig := code.Outputs[1]["data"].(map[string]any)
	if fig["image/png"] != "iVBORw==" || fig["image/svg+xml"] != nil || !strings.Contains(b.String(), "Figure 1. a <figure>") {
		t.Errorf("figure data %v", fig)
	}
	if !strings.Contains(b.String(), "b&lt;") || !strings.Contains(b.String(), "2&amp;") {
		t.Error("table cells are not escaped in HTML")
	}
	if nb.Cells[3].Outputs[0]["output_type"] != "error" || *nb.Cells[3].ExecutionCount != 2 {
		t.Errorf("failed cell %v", nb.Cells[3])
	}
	if nb.Cells[4].ExecutionCount != nil || len(nb.Cells[4].Outputs) != 0 {
		t.Errorf("a cell not run has a count or outputs: %v", nb.Cells[4])
	}
	if md := nb.Metadata["rlhfsim"].(map[string]any); md["seed"] != 7.0 || md["lesson"] != "99-sample" {
		t.Errorf("metadata %v", md)
	}
	// The same result gives the same bytes.
	var again bytes.Buffer
	if err := IPynb(&again, sampleResult()); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Error("writing the same result twice gave different notebooks")
	}
}

// TestSchemaRejectsABrokenNotebook makes sure the validation can fail: a
// code cell without outputs is not a valid notebook.
func TestSchemaRejectsABrokenNotebook(t *testing.T) {
	if err := nbschema.Validate([]byte(`{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"id":"a","cell_type":"code","metadata":{},"source":[]}]}`)); err == nil {
		t.Error("the schema accepted a code cell without outputs or execution_count")
	}
}
