package notebook

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const header = "// Title: T\n// Summary: S\n// Minutes: 3\n"

func TestParseCells(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		cells []Cell
		meta  Meta
	}{
		{
			name: "prose then code",
			src: header + "// Learn-before: 01-a, 02-b\n// Learn-after:\npackage main\n\nimport \"fmt\"\n\nfunc main() {\n" +
				"\t// %% [markdown]\n\t// # Hi\n\t//\n\t// text\n\n\t// %%\n\tx := 1\n\tfmt.Println(x)\n}\n",
			cells: []Cell{{Kind: Markdown, Marker: 11, Source: "# Hi\n\ntext", Shown: "# Hi\n\ntext"}, {Kind: Code, Marker: 16, Source: "x := 1\nfmt.Println(x)", Shown: "x := 1\nfmt.Println(x)"}},
			meta:  Meta{ID: "x", Title: "T", Summary: "S", Minutes: 3, LearnBefore: []string{"01-a", "02-b"}},
		},
		{
			name:  "code only, nested blocks keep their indentation",
			src:   header + "package main\n\nfunc main() {\n\t// %%\n\tif true {\n\t\t_ = 1\n\t}\n}\n",
			cells: []Cell{{Kind: Code, Marker: 7, Source: "if true {\n\t_ = 1\n}", Shown: "if true {\n\t_ = 1\n}"}},
			meta:  Meta{ID: "x", Title: "T", Summary: "S", Minutes: 3},
		},
		{
			// A question's arguments hold its answer: shown code leaves
			// them out, keeps the line numbers, and touches nothing else.
			name: "questions show without their answers",
			src: header + "package main\n\nimport q \"github.com/rlhfsim/rlhfsim/nb\"\n\nfunc main() {\n\t// %%\n" +
				"\tq.Quiz(\"Q?\", []string{\"a\", \"b\"}, 1,\n\t\t\"because b\")\n\tx := 2\n\tq.TrueFalse(\"T?\", x > 1, \"yes\"); q.Check(\"c\", true, \"h\")\n}\n",
			cells: []Cell{{Kind: Code, Marker: 9,
				Source: "q.Quiz(\"Q?\", []string{\"a\", \"b\"}, 1,\n\t\"because b\")\nx := 2\nq.TrueFalse(\"T?\", x > 1, \"yes\"); q.Check(\"c\", true, \"h\")",
				Shown:  "q.Quiz(" + hiddenArgs + ")\n\nx := 2\nq.TrueFalse(" + hiddenArgs + "); q.Check(\"c\", true, \"h\")"}},
			meta: Meta{ID: "x", Title: "T", Summary: "S", Minutes: 3},
		},
	} {
		l, err := Parse("x", "x.go", []byte(c.src))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(l.Cells, c.cells) {
			t.Errorf("%s: cells\n%#v\nwant\n%#v", c.name, l.Cells, c.cells)
		}
		if !reflect.DeepEqual(l.Meta, c.meta) {
			t.Errorf("%s: meta %#v, want %#v", c.name, l.Meta, c.meta)
		}
	}
}

func TestParseErrors(t *testing.T) {
	main := "package main\n\nfunc main() {\n\t// %%\n\t_ = 1\n}\n"
	for _, c := range []struct {
		name, src, want string
	}{
		{"no metadata", main, "x.go:1: no metadata: start the file with a comment block of Title:, Summary:, Minutes:, Learn-before: and Learn-after: lines"},
		{"missing title", "// Summary: S\n// Minutes: 3\n" + main, "x.go:1: metadata lacks Title:"},
		{"bad minutes", "// Title: T\n// Summary: S\n// Minutes: soon\n" + main, `x.go:3: Minutes: "soon" is not a whole number of minutes from 1 to 600`},
		{"unknown key", header + "// Author: me\n" + main, `x.go:4: metadata line "Author: me": want Key: value with Key one of Title, Summary, Minutes, Learn-before, Learn-after`},
		{"syntax", header + "package main\nfunc main() {\n\t// %%\n\tx := \n}\n", "x.go:8:1: expected operand, found '}'"},
		{"not main", header + "package lesson\nfunc main() {}\n", "x.go:4: package lesson: a lesson is package main"},
		{"no main", header + "package main\nfunc helper() {}\n", "x.go:6: no func main: a lesson's cells live in the body of main"},
		{"no cells", header + "package main\nfunc main() {\n}\n", "x.go:6: main has no cells: mark them with // %% [markdown] and // %%"},
		{"code before marker", header + "package main\nfunc main() {\n\tx := 1\n\t// %%\n\t_ = x\n}\n", "x.go:6: content before the first cell: begin main's body with // %% [markdown] or // %%"},
		{"code in prose", header + "package main\nfunc main() {\n\t// %% [markdown]\n\t// hi\n\tx := 1\n\t_ = x\n}\n", "x.go:8: code in a markdown cell: prose lines start with //; start a code cell with // %%"},
		{"bad marker", header + "package main\nfunc main() {\n\t// %% [raw]\n}\n", `x.go:6: unknown cell marker "// %% [raw]": use "// %%", "// %% [markdown]", "// %% [exercise NAME]" or "// %% [tests NAME]"`},
		{"bad exercise name", header + "package main\nfunc main() {\n\t// %% [exercise BT loss]\n}\n", `x.go:6: exercise name "BT loss": use lower-case letters, digits and dashes, starting with a letter, at most 40`},
		{"solution not ended", header + "package main\nfunc main() {\n\t// %% [exercise bt]\n\t// BEGIN SOLUTION\n\t_ = 1\n\t// %%\n\t// END SOLUTION\n}\n", "x.go:7: // BEGIN SOLUTION is not ended: close it with // END SOLUTION in the same cell"},
		{"solution outside an exercise", header + "package main\nfunc main() {\n\t// %%\n\t// BEGIN SOLUTION\n\t// END SOLUTION\n}\n", "x.go:7: // BEGIN SOLUTION outside an exercise cell: start the cell with // %% [exercise NAME]"},
		{"tests before their exercise", header + "package main\nfunc main() {\n\t// %% [tests bt]\n\t_ = 1\n}\n", `x.go:6: tests of "bt": an exercise's one tests cell follows its exercise cell`},
		{"two exercises of one name", header + "package main\nfunc main() {\n\t// %% [exercise bt]\n\t// BEGIN SOLUTION\n\t// END SOLUTION\n\t// %% [exercise bt]\n}\n", `x.go:9: a second exercise named "bt": give each exercise its own name`},
		// Code hidden in prose: the block comment opened on line 7 ends
		// inside what a reader sees as a prose line, where x = 3 then runs.
		{"block comment into prose", header + "package main\nfunc main() {\n\t// %%\n\tx := 2 /*\n\t// %% [markdown]\n\t// <!-- */; x = 3 /* -->\n\t// %%\n\t// */\n\t_ = x\n}\n",
			"x.go:8: a block comment (from line 7) runs into a cell marker or a line of prose, where code it hides would run unseen: close it on its own code line, or use // comments"},
	} {
		_, err := Parse("x", "x.go", []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error\n%v\nwant\n%s", c.name, err, c.want)
		}
	}
}

func TestParamsAreReadStatically(t *testing.T) {
	src := header + "package main\nimport \"github.com/rlhfsim/rlhfsim/nb\"\nfunc main() {\n\t// %%\n" +
		"\ta := nb.Float(\"tau\", 1, 0, 5, \"noise\")\n\tb := nb.Choice(\"gold\", \"linear\", []string{\"linear\", \"default\"}, \"which gold\")\n\t_, _ = a, b\n}\n"
	l, err := Parse("x", "x.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []ParamSpec{
		{Name: "tau", Type: "float", Default: "1", Min: "0", Max: "5", Help: "noise", Line: 8},
		{Name: "gold", Type: "choice", Default: "linear", Options: []string{"linear", "default"}, Help: "which gold", Line: 9},
	}
	if !reflect.DeepEqual(l.Params, want) {
		t.Errorf("params %+v", l.Params)
	}
	for _, c := range []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"beta": "1"}, "--set beta: no such parameter. Lesson x's parameters: tau (float, default 1, 0 to 5): noise; gold (choice, default linear, one of linear/default): which gold."},
		{map[string]string{"tau": "9"}, `--set tau=9: "9" is not a number from 0 to 5.`},
		{map[string]string{"tau": "x"}, `--set tau=x: "x" is not a number from 0 to 5.`},
		{map[string]string{"gold": "cubic"}, `--set gold=cubic: "cubic" is not one of linear, default.`},
	} {
		err := l.CheckSet(c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckSet(%v) = %v, want it to contain %q", c.set, err, c.want)
		}
	}
	if err := l.CheckSet(map[string]string{"tau": "2.5", "gold": "default"}); err != nil {
		t.Errorf("valid --set rejected: %v", err)
	}
}

// TestParamParse is the one rule nb.Float, Int, Bool and Choice and --set
// share: each value either parses to its canonical text or is refused
// with what the parameter wants.
func TestParamParse(t *testing.T) {
	f := ParamSpec{Name: "tau", Type: FloatParam, Min: "0", Max: "5"}
	i := ParamSpec{Name: "k", Type: IntParam, Min: "2", Max: "9"}
	b := ParamSpec{Name: "on", Type: BoolParam}
	c := ParamSpec{Name: "gold", Type: ChoiceParam, Options: []string{"linear", "default"}}
	for _, tc := range []struct {
		p        ParamSpec
		in, want string // want is the canonical value, or the error
	}{
		{f, "2.50", "2.5"}, {f, "0", "0"}, {f, "5", "5"}, {f, "5.0001", `"5.0001" is not a number from 0 to 5`},
		{f, "NaN", `"NaN" is not a number from 0 to 5`}, {f, "Inf", `"Inf" is not a number from 0 to 5`}, {f, "-1", `"-1" is not a number from 0 to 5`},
		{i, "09", "9"}, {i, "2.5", `"2.5" is not an integer from 2 to 9`}, {i, "1", `"1" is not an integer from 2 to 9`},
		{i, "99999999999999999999", `"99999999999999999999" is not an integer from 2 to 9`},
		{b, "TRUE", "true"}, {b, "0", "false"}, {b, "yes", `"yes" is not true or false`},
		{c, "linear", "linear"}, {c, "Linear", `"Linear" is not one of linear, default`},
	} {
		got, err := tc.p.Parse(tc.in)
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.p.Name, tc.in, got, tc.want)
		}
	}
}

// FuzzParse feeds the cell parser arbitrary lessons: it must return a
// lesson or an error, never panic, and a parsed lesson's cells must be in
// file order with content within the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(header + "package main\nfunc main() {\n\t// %% [markdown]\n\t// hi\n\t// %%\n\tprintln(1)\n}\n"))
	f.Add([]byte(header + "package main\nfunc main() {\n\t// %%\n}\n"))
	f.Add([]byte("package main\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := Parse("f", "f.go", src)
		if err != nil {
			return
		}
		n := strings.Count(string(src), "\n") + 1
		prev := 0
		for _, c := range l.Cells {
			if c.Marker <= prev || c.Marker > n {
				t.Fatalf("cell marker %d after %d in a %d-line file", c.Marker, prev, n)
			}
			prev = c.Marker
		}
		l.Check() // must not panic either
	})
}

// TestParseIsLinearInCells parses a lesson of MaxCells one-line cells,
// which a parser that scans every statement for every marker took over
// 10 seconds to do, and refuses one more cell with a message.
func TestParseIsLinearInCells(t *testing.T) {
	lesson := func(n int) []byte {
		var b strings.Builder
		b.WriteString(header + "package main\nfunc main() {\n")
		for range n {
			b.WriteString("\t// %%\n\t_ = 1\n")
		}
		b.WriteString("}\n")
		return []byte(b.String())
	}
	l, err := Parse("x", "x.go", lesson(MaxCells))
	if err != nil || len(l.Cells) != MaxCells {
		t.Fatalf("%d cells: %v", MaxCells, err)
	}
	_, err = Parse("x", "x.go", lesson(MaxCells+1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d cells", MaxCells)) {
		t.Errorf("%d cells: %v", MaxCells+1, err)
	}
}

func BenchmarkParseManyCells(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(header + "package main\nfunc main() {\n")
	for range MaxCells {
		sb.WriteString("\t// %%\n\t_ = 1\n")
	}
	sb.WriteString("}\n")
	src := []byte(sb.String())
	for b.Loop() {
		if _, err := Parse("x", "x.go", src); err != nil {
			b.Fatal(err)
		}
	}
}
