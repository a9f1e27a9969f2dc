package course

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/internal/termsafe"

	"github.com/rlhfsim/rlhfsim/lessons"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Course is the lessons a run can choose from, in ID order.
type Course struct {
	Lessons []*notebook.Lesson
}

// Embedded returns the course built into the binary.
func Embedded() (*Course, error) {
	ls, err := notebook.Load(lessons.FS, "lessons")
	if err != nil {
		return nil, fmt.Errorf("the embedded course does not parse: %w", err)
	}
	return &Course{Lessons: ls}, nil
}

// isCourseDir reports whether dir holds lessons rather than being one: no
// main.go of its own, and a subdirectory with one.
func isCourseDir(dir string) bool {
	if !isDir(dir) {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, notebook.LessonFile)); err == nil {
		return false
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), notebook.LessonFile)); err == nil {
				return true
			}
		}
	}
	return false
}

// IsCourseDir reports whether dir holds lessons (one subdirectory each)
// rather than being one.
func IsCourseDir(dir string) bool { return isCourseDir(dir) }

// FromDir returns the course in a directory: one subdirectory per lesson,
// each with a main.go, as "rlhfsim export" and "rlhfsim release" write
// them. Every lesson must parse.
func FromDir(dir string) (*Course, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, inputf("%s is not a course directory (want one directory per lesson, each with %s, as rlhfsim export and rlhfsim release write them)", dir, notebook.LessonFile)
	}
	ls, err := notebook.Load(os.DirFS(dir), dir)
	if err != nil {
		return nil, &InputError{err}
	}
	if len(ls) == 0 {
		return nil, inputf("%s holds no lessons (want one directory per lesson, each with %s)", dir, notebook.LessonFile)
	}
	return &Course{Lessons: ls}, nil
}

// NewLesson returns the source of a new lesson called id, made from the
// embedded template lesson.
func NewLesson(id string) ([]byte, error) {
	tmpl, err := fs.ReadFile(lessons.FS, notebook.TemplateDir+"/"+notebook.LessonFile)
	if err != nil {
		return nil, err
	}
	src, err := notebook.NewLesson(id, tmpl)
	if err != nil {
		return nil, &InputError{err}
	}
	return src, nil
}

// InputError is a problem with what the user asked for: a lesson that does
// not exist, a parameter no selected lesson has, a value out of range.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputf(format string, args ...any) error { return &InputError{fmt.Errorf(format, args...)} }

// Select resolves command-line arguments to lessons: none, or "all", is
// the whole course; a path (containing a separator, naming a .go file or
// an existing directory) loads that copy, and a directory of lessons (an
// exported or released course) loads all of them; a file that is not Go
// (a course's README.md, met in "course/*") is skipped; anything else is
// a lesson ID or the start of exactly one ("01").
func (c *Course) Select(args []string) ([]*notebook.Lesson, error) {
	if len(args) == 0 || (len(args) == 1 && args[0] == "all") {
		return c.Lessons, nil
	}
	var sel []*notebook.Lesson
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.Mode().IsRegular() && !strings.HasSuffix(a, ".go") {
			continue
		}
		if isCourseDir(a) {
			sub, err := FromDir(a)
			if err != nil {
				return nil, err
			}
			sel = append(sel, sub.Lessons...)
			continue
		}
		if strings.ContainsRune(a, filepath.Separator) || strings.ContainsRune(a, '/') || strings.HasSuffix(a, ".go") || isDir(a) {
			l, err := notebook.LoadPath(a)
			if err != nil {
				return nil, &InputError{err}
			}
			sel = append(sel, l)
			continue
		}
		var match []*notebook.Lesson
		for _, l := range c.Lessons {
			if l.Meta.ID == a {
				match = []*notebook.Lesson{l}
				break
			}
			if strings.HasPrefix(l.Meta.ID, a) {
				match = append(match, l)
			}
		}
		if len(match) != 1 {
			var ids []string
			for _, l := range c.Lessons {
				ids = append(ids, l.Meta.ID)
			}
			what := "no lesson"
			if len(match) > 1 {
				what = "more than one lesson"
			}
			return nil, inputf("%q matches %s; the course has %s (or give a path to an edited copy)", a, what, strings.Join(ids, ", "))
		}
		sel = append(sel, match[0])
	}
	return sel, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// ParseSet reads "name=value" assignments.
func ParseSet(kvs []string) (map[string]string, error) {
	set := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, inputf("invalid --set %q: want name=value", kv)
		}
		set[k] = v
	}
	return set, nil
}

// Route gives each selected lesson the --set values of the parameters it
// declares, checked with the rules the lesson itself applies. A name that
// no selected lesson declares is an error that lists what they do declare.
func Route(sel []*notebook.Lesson, set map[string]string) ([]map[string]string, error) {
	per := make([]map[string]string, len(sel))
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		used := false
		for i, l := range sel {
			if l.Param(k) == nil {
				continue
			}
			if per[i] == nil {
				per[i] = map[string]string{}
			}
			per[i][k] = set[k]
			used = true
		}
		if !used {
			var lists []string
			for _, l := range sel {
				lists = append(lists, l.ParamList())
			}
			return nil, inputf("--set %s: no selected lesson has that parameter. %s", k, strings.Join(lists, " "))
		}
	}
	for i, l := range sel {
		if err := l.CheckSet(per[i]); err != nil {
			return nil, &InputError{err}
		}
	}
	return per, nil
}

// Options configure Run. Out must be set; the zero value of the rest runs
// with seed 1 and the default limits, printing nothing.
type Options struct {
	// Out is the directory for figures and pages.
	Out     string
	Formats Formats
	// Seed is every lesson's seed; zero means 1.
	Seed uint64
	// Variant is the student's variant of the hidden world every lesson
	// runs in; the zero Variant is the standard world.
	Variant world.Variant
	Limits  worker.Limits
	// Workers is how many lessons run at once, each in its own worker;
	// 0 means one per core. Files and terminal output are written in the
	// lessons' order whatever the number, so they do not depend on it.
	Workers int
	// Term configures the terminal renderer; its Figures are filled in.
	Term   render.TermOptions
	Stdout io.Writer
	// Stderr receives one line for each lesson that stops.
	Stderr io.Writer
}

// Report is what a run did.
type Report struct {
	// Results of the lessons run, by lesson ID.
	Results map[string]*notebook.Result
	// Stopped counts the lessons that stopped early; FailedChecks the
	// lessons with a failed self-check.
	Stopped, FailedChecks int
}

// Run runs the selected lessons, Options.Workers at a time, each in its
// own worker, with the parameters set[i] for sel[i], and writes each
// lesson's files as soon as it and every lesson before it have ended. A
// lesson that fails does not stop the others; an error is returned only
// when files cannot be written.
func (c *Course) Run(ctx context.Context, sel []*notebook.Lesson, set []map[string]string, o Options) (*Report, error) {
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	rep := &Report{Results: map[string]*notebook.Result{}}
	if o.Out == "" {
		// Not the current directory: that is how stray figures once
		// landed in the repository.
		return rep, errors.New("course: Options.Out is empty: give the directory for figures and pages")
	}
	if err := os.MkdirAll(filepath.Join(o.Out, "figures"), 0o755); err != nil {
		return rep, &InputError{fmt.Errorf("creating --out: %w", err)}
	}
	// The runs go ahead in parallel, Workers at a time, started in the
	// lessons' order and never more than twice that ahead of the loop
	// below, which takes their results in order: the first lesson's pages come first, and
	// an interactive run (one lesson ahead) asks its questions while the
	// next lesson runs, not the last. A write that fails cancels the rest,
	// and Run returns only when every run has stopped.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	w := workersOf(o.Workers)
	ahead := 2 * w
	if o.Term.Interactive {
		w, ahead = 1, 1
	}
	window := make(chan struct{}, ahead)
	slots := make(chan struct{}, w)
	done := make([]chan *notebook.Result, len(sel))
	for i := range sel {
		done[i] = make(chan *notebook.Result, 1)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, l := range sel {
			var s map[string]string
			if i < len(set) {
				s = set[i]
			}
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				for k := i; k < len(sel); k++ {
					done[k] <- &notebook.Result{Lesson: sel[k], Err: ctx.Err()}
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					done[i] <- &notebook.Result{Lesson: l, Err: ctx.Err()}
					return
				}
				defer func() { <-slots }()
				done[i] <- worker.Run(ctx, l, worker.Options{Set: s, Seed: o.Seed, Variant: o.Variant, Limits: o.Limits, PNG: o.Formats.png()})
			}()
		}
	}()
	for i, l := range sel {
		res := <-done[i]
		rep.Results[l.Meta.ID] = res
		if res.Err != nil {
			rep.Stopped++
			fmt.Fprintf(o.Stderr, "rlhfsim: lesson %s stopped: %s\n", termsafe.String(l.Meta.ID), termsafe.String(res.Err.Error()))
		}
		if res.FailedChecks > 0 {
			rep.FailedChecks++
		}
		if err := c.write(res, sel, rep.Results, o); err != nil {
			return rep, err
		}
		<-window
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
	}
	return rep, nil
}

// workersOf is the number of lessons Run runs at once for
// Options.Workers n.
func workersOf(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// write saves one lesson's figures, then writes it in each format asked
// for, in the registry's order.
func (c *Course) write(res *notebook.Result, sel []*notebook.Lesson, results map[string]*notebook.Result, o Options) error {
	id := res.Lesson.Meta.ID
	figs := map[*notebook.Event]string{}
	for _, e := range res.Events(notebook.Figure) {
		base := filepath.Join(o.Out, "figures", fmt.Sprintf("%s-figure-%d", id, e.N))
		if err := WriteFile(base+".svg", e.SVG); err != nil {
			return err
		}
		if len(e.PNG) > 0 {
			if err := WriteFile(base+".png", e.PNG); err != nil {
				return err
			}
		}
		figs[e] = base + ".svg"
	}
	run := &written{c: c, res: res, figs: figs, results: results, o: &o}
	for _, w := range writers {
		if o.Formats.Has(w.format) {
			if err := w.write(run); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteFile writes a file atomically (a pending file renamed into
// place), making its directory first, so no reader ever sees half a file.
// Its errors name the file, never the pending one.
func WriteFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	return fileio.WriteBytes(path, b)
}

// unwrapPath drops the file name from a *fs.PathError, which for an
// atomic write names the temporary file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Check reports a lesson's problems: everything the checker finds, or
// else the first error of compiling it in a worker. It runs nothing.
func Check(ctx context.Context, l *notebook.Lesson, lim worker.Limits) notebook.ErrorList {
	// The type checker runs in the worker too: constants can be built to
	// exhaust its memory, and only the worker's limits contain that.
	return worker.Compile(ctx, l, worker.Options{Limits: lim})
}
