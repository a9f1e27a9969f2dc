package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rlhfsim/rlhfsim/internal/nbrt"
	"github.com/rlhfsim/rlhfsim/lessons"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/plots"
)

// course loads the embedded lessons.
func course() ([]*notebook.Lesson, error) {
	return notebook.Load(lessons.FS, "lessons")
}

// selectLessons resolves command-line arguments to lessons: "all" or none
// means the whole course, a path (containing a slash or naming a .go file
// or an existing directory) loads that copy, anything else is a lesson ID
// or the start of one ("01").
func selectLessons(args []string) ([]*notebook.Lesson, []*notebook.Lesson, error) {
	all, err := course()
	if err != nil {
		return nil, nil, fmt.Errorf("the embedded course does not parse: %w", err)
	}
	if len(args) == 0 || (len(args) == 1 && args[0] == "all") {
		return all, all, nil
	}
	var sel []*notebook.Lesson
	for _, a := range args {
		if strings.Contains(a, string(filepath.Separator)) || strings.HasSuffix(a, ".go") || isDir(a) {
			l, err := notebook.LoadPath(a)
			if err != nil {
				return nil, nil, usageError{err}
			}
			sel = append(sel, l)
			continue
		}
		var match []*notebook.Lesson
		for _, l := range all {
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
			for _, l := range all {
				ids = append(ids, l.Meta.ID)
			}
			what := "no lesson"
			if len(match) > 1 {
				what = "more than one lesson"
			}
			return nil, nil, usagef("%q matches %s; the course has %s (or give a path to an edited copy)", a, what, strings.Join(ids, ", "))
		}
		sel = append(sel, match[0])
	}
	return sel, all, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func newLessonsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lessons",
		Short: "List the course's lessons with their prerequisites",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ls, err := course()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "lesson\ttitle\tminutes\tlearn before")
			for _, l := range ls {
				before := strings.Join(l.Meta.LearnBefore, ", ")
				if before == "" {
					before = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", l.Meta.ID, l.Meta.Title, l.Meta.Minutes, before)
			}
			tw.Flush()
			fmt.Fprintln(cmd.OutOrStdout(), "\nrun one with: rlhfsim run 01    (or all of them: rlhfsim run all)")
			return nil
		},
	}
}

type runOptions struct {
	out         string
	formats     string
	set         []string
	seed        uint64
	timeout     time.Duration
	interactive bool
	strict      bool
	code        bool
}

func defaultRunOptions() *runOptions {
	return &runOptions{out: "rlhfsim-out", formats: "term,html", seed: 1, timeout: 10 * time.Second, code: true}
}

func newRunCmd() *cobra.Command {
	o := defaultRunOptions()
	cmd := &cobra.Command{
		Use:   "run [LESSON...|all]",
		Short: "Run lessons and render them to the terminal, HTML and Markdown",
		Long: `run executes lessons under the embedded Go interpreter (no Go toolchain needed)
and renders every cell's output. LESSON is a lesson ID such as 01-hidden-truth,
the start of one ("01"), or a path to an edited copy (see "rlhfsim export").
Without LESSON, or with "all", the whole course runs.

Formats: term prints to the terminal; html writes a self-contained page per
lesson and a course map (index.html) under --out/html; md writes Markdown
with figure files under --out/md. Figures are saved under --out/figures.

A lesson that fails (a compile error, a panic, a timeout) gives a non-zero
exit code; the other lessons still run. Failed self-checks are reported;
with --strict they also fail the run.`,
		Example: `  rlhfsim run
  rlhfsim run 01 --set prompts=50
  rlhfsim run 05 --interactive
  rlhfsim run all --format html,md --out course`,
		RunE: func(cmd *cobra.Command, args []string) error { return runLessons(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.out, "out", o.out, "directory for HTML, Markdown and figure files")
	cmd.Flags().StringVar(&o.formats, "format", o.formats, "comma-separated: term, html, md")
	cmd.Flags().StringArrayVar(&o.set, "set", nil, "set a lesson parameter: --set name=value (repeatable)")
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "seed of the lessons' simulations")
	cmd.Flags().DurationVar(&o.timeout, "timeout", o.timeout, "time limit of each cell")
	cmd.Flags().BoolVar(&o.interactive, "interactive", false, "ask quizzes and predictions in the terminal before revealing answers")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "fail the run when a self-check fails")
	cmd.Flags().BoolVar(&o.code, "code", true, "show each code cell's source in the terminal")
	return cmd
}

// errLessonsFailed is returned when a lesson stopped or (with --strict) a
// check failed; it exits 1.
var errLessonsFailed = errors.New("some lessons failed")

func runLessons(cmd *cobra.Command, args []string, o *runOptions) error {
	formats := map[string]bool{}
	for _, f := range strings.Split(o.formats, ",") {
		f = strings.TrimSpace(f)
		if err := oneOf("format", f, "term", "html", "md"); err != nil {
			return err
		}
		formats[f] = true
	}
	if o.timeout <= 0 {
		return usagef("invalid --timeout %v: must be positive, e.g. 10s", o.timeout)
	}
	sel, all, err := selectLessons(args)
	if err != nil {
		return err
	}
	set := map[string]string{}
	for _, kv := range o.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("invalid --set %q: want name=value", kv)
		}
		set[k] = v
	}
	// Each --set applies to the selected lessons that declare it; a name
	// none declares is an error that lists what they do declare.
	perLesson := make([]map[string]string, len(sel))
	for k, v := range set {
		used := false
		for i, l := range sel {
			for _, p := range l.Params {
				if p.Name == k {
					if perLesson[i] == nil {
						perLesson[i] = map[string]string{}
					}
					perLesson[i][k] = v
					used = true
				}
			}
		}
		if !used {
			var lists []string
			for _, l := range sel {
				lists = append(lists, l.ParamList())
			}
			return usagef("--set %s: no selected lesson has that parameter. %s", k, strings.Join(lists, " "))
		}
	}
	for i, l := range sel {
		if err := l.CheckSet(perLesson[i]); err != nil {
			return usageError{err}
		}
	}
	stdout := cmd.OutOrStdout()
	tty := false
	width := 80
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 40 {
			width = min(w, 100)
		}
	}
	// Figures are always saved, so the terminal can point at them.
	if err := os.MkdirAll(filepath.Join(o.out, "figures"), 0o755); err != nil {
		return usagef("creating --out: %v", err)
	}
	failed := 0
	results := map[string]*notebook.Result{}
	for i, l := range sel {
		res := notebook.Run(l, notebook.Options{Set: perLesson[i], Seed: o.seed, Timeout: o.timeout})
		results[l.Meta.ID] = res
		figs, err := saveFigures(o.out, res, formats["md"])
		if err != nil {
			return err
		}
		if formats["term"] {
			if err := notebook.RenderTerminal(stdout, res, notebook.TermOptions{Width: width, Color: tty,
				Interactive: o.interactive, In: cmd.InOrStdin(), Figures: figs, ShowCode: o.code}); err != nil {
				return err
			}
			fmt.Fprintln(stdout)
		}
		if formats["md"] {
			rel := map[*nbrt.Event]string{}
			for e, p := range figs {
				rel[e] = filepath.ToSlash(filepath.Join("..", "figures", filepath.Base(p)))
			}
			var b bytes.Buffer
			if err := notebook.RenderMarkdown(&b, res, rel); err != nil {
				return err
			}
			if err := writeFile(filepath.Join(o.out, "md", l.Meta.ID+".md"), b.Bytes()); err != nil {
				return err
			}
		}
		if res.Err != nil || (o.strict && res.FailedChecks > 0) {
			failed++
		}
		if res.Err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: lesson %s stopped: %v\n", l.Meta.ID, res.Err)
		}
	}
	if formats["html"] {
		if err := writeHTML(o.out, sel, all, results); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "HTML notebook: %s\n", filepath.Join(o.out, "html", "index.html"))
	}
	if formats["md"] {
		fmt.Fprintf(stdout, "Markdown: %s\n", filepath.Join(o.out, "md"))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lessons failed: %w", failed, len(sel), errLessonsFailed)
	}
	return nil
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return usagef("writing %s: %v", path, err)
	}
	if err := renameio.WriteFile(path, b, 0o644); err != nil {
		return usagef("writing %s: %v", path, err)
	}
	return nil
}

// saveFigures writes each figure of a run as SVG (and PNG when Markdown is
// wanted, for viewers without SVG) under out/figures, named after the
// lesson and the figure's number.
func saveFigures(out string, res *notebook.Result, png bool) (map[*nbrt.Event]string, error) {
	figs := map[*nbrt.Event]string{}
	for _, c := range res.Cells {
		for _, it := range c.Items {
			if it.Event == nil || it.Event.Kind != nbrt.Figure {
				continue
			}
			base := filepath.Join(out, "figures", fmt.Sprintf("%s-figure-%d", res.Lesson.Meta.ID, it.Event.N))
			b, err := plots.Render(it.Event.Plot, plots.Slide, "svg")
			if err != nil {
				return nil, err
			}
			if err := writeFile(base+".svg", b); err != nil {
				return nil, err
			}
			if png {
				if b, err = plots.Render(it.Event.Plot, plots.Slide, "png"); err != nil {
					return nil, err
				}
				if err := writeFile(base+".png", b); err != nil {
					return nil, err
				}
			}
			figs[it.Event] = base + ".svg"
		}
	}
	return figs, nil
}

// writeHTML writes a page per lesson run and the course map of the whole
// course, marking the lessons that ran.
func writeHTML(out string, sel, all []*notebook.Lesson, results map[string]*notebook.Result) error {
	for _, l := range sel {
		var prev, next *notebook.Meta
		for i, a := range all {
			if a.Meta.ID == l.Meta.ID {
				if i > 0 {
					prev = &all[i-1].Meta
				}
				if i+1 < len(all) {
					next = &all[i+1].Meta
				}
			}
		}
		var b bytes.Buffer
		if err := notebook.RenderHTML(&b, results[l.Meta.ID], prev, next); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(out, "html", l.Meta.ID+".html"), b.Bytes()); err != nil {
			return err
		}
	}
	var entries []notebook.CourseEntry
	for _, l := range all {
		entries = append(entries, notebook.CourseEntry{Meta: l.Meta, Result: results[l.Meta.ID]})
	}
	var b bytes.Buffer
	if err := notebook.RenderIndex(&b, entries); err != nil {
		return err
	}
	return writeFile(filepath.Join(out, "html", "index.html"), b.Bytes())
}

func newCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check [LESSON...]",
		Short: "Check lessons for errors and for constructs the interpreter mishandles",
		Long: `check parses and type-checks lessons (with the interpreter and the symbols they
run with) and reports, with the line and an alternative, the constructs the
embedded interpreter mishandles: range over an integer, the min, max and
clear builtins, generic standard-library functions, loop variables captured
in closures, and goroutines. It also checks the course's learn-before and
learn-after links. It exits non-zero on any problem.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, all, err := selectLessons(args)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			problems := 0
			for _, l := range sel {
				errs := l.Check()
				if errs == nil {
					if e := l.Compile(); e != nil {
						errs = notebook.ErrorList{e}
					}
				}
				for _, e := range errs {
					fmt.Fprintln(w, e)
				}
				problems += len(errs)
			}
			for _, e := range notebook.CheckCourse(all) {
				fmt.Fprintln(w, e)
				problems++
			}
			if problems > 0 {
				return fmt.Errorf("%d problems in %d lessons", problems, len(sel))
			}
			fmt.Fprintf(w, "%d lessons: no problems\n", len(sel))
			return nil
		},
	}
}

func newNewCmd() *cobra.Command {
	dir := "lessons"
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Start a new lesson from the template",
		Long: `new writes DIR/NAME/main.go from the lesson template (see lessons/README.md).
Run it with "rlhfsim run DIR/NAME" and check it with "rlhfsim check DIR/NAME".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := notebook.NewLesson(args[0])
			if err != nil {
				return usageError{err}
			}
			path := filepath.Join(dir, args[0], notebook.LessonFile)
			if _, err := os.Stat(path); err == nil {
				return usagef("%s exists already: choose another name", path)
			}
			if err := writeFile(path, src); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nrun it: rlhfsim run %s\n", path, filepath.Dir(path))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", dir, "directory to create the lesson in")
	return cmd
}

func newExportCmd() *cobra.Command {
	force := false
	cmd := &cobra.Command{
		Use:   "export DIR",
		Short: "Copy the embedded lessons into DIR for editing",
		Long: `export writes every embedded lesson (DIR/ID/main.go) and the instructors'
README into DIR. Edit a copy and run it with "rlhfsim run DIR/ID".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			n := 0
			err := fs.WalkDir(lessons.FS, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				dst := filepath.Join(dir, filepath.FromSlash(p))
				if _, err := os.Stat(dst); err == nil && !force {
					return usagef("%s exists already: use --force to overwrite", dst)
				}
				b, err := fs.ReadFile(lessons.FS, p)
				if err != nil {
					return err
				}
				n++
				return writeFile(dst, b)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d files to %s\nedit one, then: rlhfsim run %s\n", n, dir, filepath.Join(dir, "01-hidden-truth"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}
