package course

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
)

// Format names a way Run writes a lesson run.
type Format string

// The formats, as the command line spells them.
const (
	// Term prints each lesson to Options.Stdout.
	Term Format = "term"
	// Markdown writes a page per lesson under Out/md, with PNG copies of
	// the figures for viewers without SVG.
	Markdown Format = "md"
	// IPynb writes each lesson as a Jupyter notebook (nbformat 4.5) with
	// its outputs under Out/ipynb.
	IPynb Format = "ipynb"
	// HTML writes a page per lesson and the course map under Out/html.
	HTML Format = "html"
)

// Formats are the formats a run writes; the order does not matter (they
// are written in FormatNames' order).
type Formats []Format

// Has reports whether f is among the formats.
func (fs Formats) Has(f Format) bool { return slices.Contains(fs, f) }

// png reports whether a format shows figures as PNG, which the worker
// then renders.
func (fs Formats) png() bool {
	for _, w := range writers {
		if w.png && fs.Has(w.format) {
			return true
		}
	}
	return false
}

// FormatNames lists every format, in the order a run writes them.
func FormatNames() []Format {
	names := make([]Format, len(writers))
	for i, w := range writers {
		names[i] = w.format
	}
	return names
}

// written is one lesson run being written: what each format's writer
// needs.
type written struct {
	c       *Course
	res     *notebook.Result
	figs    map[*notebook.Event]string // each figure's SVG file
	results map[string]*notebook.Result
	o       *Options
}

// writers registers the formats, in the order they are written. A new
// format is a function of a *written here and its entry, with a render
// function in notebook/render for its bytes.
var writers = []struct {
	format Format
	png    bool // shows figures as PNG
	write  func(*written) error
}{
	{Term, false, writeTerm},
	{HTML, false, writeHTML},
	{Markdown, true, writeMarkdown},
	{IPynb, true, writeIPynb},
}

func writeTerm(w *written) error {
	t := w.o.Term
	t.Figures = w.figs
	if err := render.Terminal(w.o.Stdout, w.res, t); err != nil {
		return err
	}
	fmt.Fprintln(w.o.Stdout)
	return nil
}

func writeMarkdown(w *written) error {
	rel := map[*notebook.Event]string{}
	for e, p := range w.figs {
		rel[e] = filepath.ToSlash(filepath.Join("..", "figures", filepath.Base(p)))
	}
	var b bytes.Buffer
	if err := render.Markdown(&b, w.res, rel); err != nil {
		return err
	}
	return WriteFile(filepath.Join(w.o.Out, "md", w.res.Lesson.Meta.ID+".md"), b.Bytes())
}

func writeIPynb(w *written) error {
	var b bytes.Buffer
	if err := render.IPynb(&b, w.res); err != nil {
		return err
	}
	return WriteFile(filepath.Join(w.o.Out, "ipynb", w.res.Lesson.Meta.ID+".ipynb"), b.Bytes())
}

// writeHTML writes the lesson's page, linked to its neighbours in the
// course, and the course map with every result so far.
func writeHTML(w *written) error {
	id, lessons := w.res.Lesson.Meta.ID, w.c.Lessons
	var prev, next *notebook.Meta
	for i, a := range lessons {
		if a.Meta.ID == id {
			if i > 0 {
				prev = &lessons[i-1].Meta
			}
			if i+1 < len(lessons) {
				next = &lessons[i+1].Meta
			}
		}
	}
	var b bytes.Buffer
	if err := render.HTML(&b, w.res, prev, next); err != nil {
		return err
	}
	if err := WriteFile(filepath.Join(w.o.Out, "html", id+".html"), b.Bytes()); err != nil {
		return err
	}
	var entries []render.CourseEntry
	for _, l := range lessons {
		entries = append(entries, render.CourseEntry{Meta: l.Meta, Result: w.results[l.Meta.ID]})
	}
	b.Reset()
	if err := render.Index(&b, entries); err != nil {
		return err
	}
	return WriteFile(filepath.Join(w.o.Out, "html", "index.html"), b.Bytes())
}
