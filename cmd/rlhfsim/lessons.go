package main

import (
	"errors"
	"fmt"

	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/lessons"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// embedded loads the course built into the binary.
func embedded() (*course.Course, error) { return course.Embedded() }

// asUsage marks the course's input errors as usage errors (exit 2).
func asUsage(err error) error {
	var ie *course.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	return err
}

func newLessonsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lessons",
		Short: "List the course's lessons with their prerequisites",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := embedded()
			if err != nil {
				return err
			}
			ls := c.Lessons
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
	out     string
	formats string
	set     []string
	seed    uint64
	studentFlags
	timeout       time.Duration
	lessonTimeout time.Duration
	memory        string
	interactive   bool
	style         string
	reveal        bool
	answers       string
	strict        bool
	code          bool
}

func defaultRunOptions() *runOptions {
	return &runOptions{out: "rlhfsim-out", formats: "term,html", seed: 1, timeout: worker.DefaultCellTimeout,
		lessonTimeout: worker.DefaultLessonTimeout, memory: "2GiB", code: true}
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
with figure files under --out/md; ipynb writes Jupyter notebooks (nbformat
4.5) with every output, figures as PNG (nbconvert empties SVG), under --out/ipynb. Figures are saved under --out/figures.

Each lesson runs in a process of its own, with standard input closed and
limits enforced from outside: --timeout per cell, --lesson-timeout per
lesson, --memory. A lesson that fails (a compile error, a panic, a time or
memory limit, a crash) gives a non-zero exit code and a message that names
its file, cell and line; the other lessons still run, and each lesson's
pages are written as soon as it ends. Failed self-checks are reported; with
--strict they also fail the run.`,
		Example: `  rlhfsim run
  rlhfsim run 01 --set k=5
  rlhfsim run 05 --interactive
  rlhfsim run all --format html,md --out course
  rlhfsim run 08 --student "Ada Lovelace" --variant 4e3cf135a77f6953`,
		RunE: func(cmd *cobra.Command, args []string) error { return runLessons(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.out, "out", o.out, "directory for HTML, Markdown and figure files")
	cmd.Flags().StringVar(&o.formats, "format", o.formats, "comma-separated: term, html, md, ipynb")
	cmd.Flags().StringArrayVar(&o.set, "set", nil, "set a lesson parameter: --set name=value (repeatable)")
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "seed of the lessons' simulations")
	o.add(cmd, true)
	cmd.Flags().DurationVar(&o.timeout, "timeout", o.timeout, "time limit of each cell (and of compiling a lesson)")
	cmd.Flags().DurationVar(&o.lessonTimeout, "lesson-timeout", o.lessonTimeout, "time limit of each lesson")
	cmd.Flags().StringVar(&o.memory, "memory", o.memory, "memory limit of each lesson, e.g. 2GiB or 512MiB")
	cmd.Flags().BoolVar(&o.interactive, "interactive", false, "ask quizzes and predictions in the terminal before revealing answers")
	cmd.Flags().StringVar(&o.answers, "answers", "", "with --interactive, keep your answers in this file, to hand in with rlhfsim submit")
	cmd.Flags().BoolVar(&o.reveal, "reveal", false, "show every answer in the terminal without asking (otherwise answers, and what a prediction would give away, stay hidden)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "fail the run when a self-check fails")
	cmd.Flags().StringVar(&o.style, "style", "auto", "terminal colours: auto (from the terminal's background), dark, light or plain; NO_COLOR turns them off")
	cmd.Flags().BoolVar(&o.code, "code", true, "show each code cell's source in the terminal")
	return cmd
}

// lessonsFailed is the error of a run in which n of the lessons stopped
// or (with --strict) failed a check; it exits 1.
func lessonsFailed(n, of int, what string) error {
	return fmt.Errorf("%d of %d %s %s", n, of, plural(of, "lesson"), what)
}

func runLessons(cmd *cobra.Command, args []string, o *runOptions) error {
	if err := oneOf("style", o.style, "auto", "dark", "light", "plain"); err != nil {
		return err
	}
	f, err := parseFormats(o.formats, course.FormatNames()...)
	if err != nil {
		return err
	}
	lim, err := o.limits()
	if err != nil {
		return err
	}
	v, note, err := o.variant()
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), note)
	}
	if o.reveal && v.Code != "" {
		if s, err := o.secret(); err != nil || s == nil {
			return usagef("--reveal shows the answers of a graded variant, which only the course secret may: answer with --interactive instead")
		}
	}
	log, err := o.answerLog(v)
	if err != nil {
		return err
	}
	c, err := embedded()
	if err != nil {
		return err
	}
	sel, err := c.Select(args)
	if err != nil {
		return asUsage(err)
	}
	set, err := course.ParseSet(o.set)
	if err != nil {
		return asUsage(err)
	}
	per, err := course.Route(sel, set)
	if err != nil {
		return asUsage(err)
	}
	stdout := cmd.OutOrStdout()
	term := o.termOptions(cmd)
	if log != nil {
		term.Answered = log.add
	}
	rep, err := c.Run(cmd.Context(), sel, per, course.Options{Out: o.out, Formats: f, Seed: o.seed, Variant: v, Limits: lim,
		Term: term, Stdout: stdout, Stderr: cmd.ErrOrStderr()})
	if log != nil {
		if err := log.save(stdout); err != nil {
			return err
		}
	}
	if err != nil {
		return asUsage(err)
	}
	if f.Has(course.Term) && len(sel) > 1 {
		summary(stdout, sel, rep)
	}
	wrote(stdout, f, o.out)
	failed := rep.Stopped
	if o.strict {
		failed = 0
		for _, res := range rep.Results {
			if res.Err != nil || res.FailedChecks > 0 {
				failed++
			}
		}
	}
	if failed > 0 {
		return lessonsFailed(failed, len(sel), "failed")
	}
	return nil
}

func newCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check [LESSON...]",
		Short: "Check lessons for errors and for constructs the interpreter mishandles",
		Long: `check parses and type-checks lessons (with the interpreter and the symbols they
run with) and reports, with the line and an alternative, the constructs the
embedded interpreter mishandles: range over an integer, the min, max and
clear builtins, generic standard-library functions, loop variables captured
in closures; and what lessons may not do: goroutines, imports and functions
outside the sandbox (files, standard input), assignments to package
variables, line directives. It compiles each lesson in a worker process, so
a lesson that crashes the compiler is reported, not fatal. It also checks the course's learn-before and
learn-after links. It exits non-zero on any problem.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := embedded()
			if err != nil {
				return err
			}
			sel, err := c.Select(args)
			if err != nil {
				return asUsage(err)
			}
			w := cmd.OutOrStdout()
			problems := 0
			for _, l := range sel {
				errs := course.Check(cmd.Context(), l, worker.Limits{})
				for _, e := range errs {
					fmt.Fprintln(w, termsafe.String(e.Error()))
				}
				problems += len(errs)
			}
			for _, e := range notebook.CheckCourse(c.Lessons) {
				fmt.Fprintln(w, termsafe.String(e.Error()))
				problems++
			}
			if problems > 0 {
				return fmt.Errorf("%d %s in %d %s", problems, plural(problems, "problem"), len(sel), plural(len(sel), "lesson"))
			}
			fmt.Fprintf(w, "%d %s: no problems\n", len(sel), plural(len(sel), "lesson"))
			return nil
		},
	}
}

func newNewCmd() *cobra.Command {
	dir := ""
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Start a new lesson from the template",
		Long: `new writes DIR/NAME/main.go from the lesson template (see lessons/README.md).
Run it with "rlhfsim run DIR/NAME" and check it with "rlhfsim check DIR/NAME".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := course.NewLesson(args[0])
			if err != nil {
				return asUsage(err)
			}
			if dir == "" {
				// Inside an exported course, the lesson goes beside the
				// others, not into a new lessons/ folder.
				dir = "lessons"
				if course.IsCourseDir(".") {
					dir = "."
				}
			}
			path := filepath.Join(dir, args[0], notebook.LessonFile)
			if _, err := os.Stat(path); err == nil {
				return usagef("%s exists already: choose another name", path)
			}
			if err := course.WriteFile(path, src); err != nil {
				return usageError{err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\nrun it: rlhfsim run %s\n", path, filepath.Dir(path))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", dir, "directory to create the lesson in (default: the current directory inside a course, else lessons)")
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
				return course.WriteFile(dst, b)
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
