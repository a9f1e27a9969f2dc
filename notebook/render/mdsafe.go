package render

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Lesson-supplied text reaches Markdown and notebook cells, which Jupyter
// and Markdown viewers render as HTML. The HTML page escapes that text;
// these helpers make the Markdown and ipynb outputs say the same thing,
// as text, with nothing of it read as markup.

// mdText returns s as Markdown that renders as s itself: every ASCII
// punctuation character is backslash-escaped (CommonMark allows that for
// all of them), so no *, <, [, | or backtick in a check's text or a
// quiz option becomes emphasis, HTML, a link or a table column. Newlines
// become spaces when inline is set, for table cells and one-line items.
func mdText(s string, inline bool) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' && inline:
			b.WriteByte(' ')
		case r < 0x80 && isPunct(byte(r)):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isPunct(c byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

// mdProse returns a prose cell's Markdown with its raw HTML (inline tags,
// comments and HTML blocks, as the HTML page's renderer finds them)
// shown as text: the page omits raw HTML, and a notebook viewer must not
// run it either.
func mdProse(src string) string {
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	var spans [][2]int
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				spans = append(spans, [2]int{s.Start, s.Stop})
			}
		case *ast.HTMLBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				spans = append(spans, [2]int{s.Start, s.Stop})
			}
			if n.HasClosure() {
				s := n.ClosureLine
				spans = append(spans, [2]int{s.Start, s.Stop})
			}
		}
		return ast.WalkContinue, nil
	})
	if len(spans) == 0 {
		return src
	}
	raw := make([]bool, len(source))
	for _, s := range spans {
		for i := s[0]; i < s[1] && i < len(raw); i++ {
			raw[i] = true
		}
	}
	var b strings.Builder
	for i, c := range source {
		if raw[i] && c == '<' {
			b.WriteString("&lt;")
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// fence returns a code fence longer than any run of backticks in s, so
// that no line of a lesson's code or output can close it early.
func fence(s string) string {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
