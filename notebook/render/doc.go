// Package render draws a lesson run for people: in the terminal (prose
// styled by glamour, answers asked interactively if wanted), as one
// self-contained HTML page per lesson with a course map (goldmark for
// prose, chroma for code, figures as inline SVG, quizzes answered by a
// click), and as Markdown with figure files.
//
// Renderers read only a notebook.Result, so the same run gives the same
// bytes.
package render
