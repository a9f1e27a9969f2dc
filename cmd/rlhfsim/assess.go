package main

import (
	"bytes"

	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/grade"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// lessonsAt selects lessons of the instructor's course: the embedded one,
// or the lessons in dir.
func lessonsAt(dir string, args []string) ([]*notebook.Lesson, error) {
	c, err := embedded()
	if dir != "" {
		c, err = course.FromDir(dir)
	}
	if err != nil {
		return nil, asUsage(err)
	}
	sel, err := c.Select(args)
	return sel, asUsage(err)
}

func newReleaseCmd() *cobra.Command {
	var out, from, formats string
	cmd := &cobra.Command{
		Use:   "release --out DIR [LESSON...]",
		Short: "Write the students' version of the course: solutions, hidden tests and answers left out",
		Long: `release writes the version of the course students work in:

  DIR/lessons/ID/main.go   each lesson with its exercises' solutions replaced
                           by a stub, its hidden tests removed, and its quiz
                           answers and explanations left out (they are graded
                           later); predictions and numbers stay, since each
                           student's own run reveals them
  DIR/html/                the lessons rendered for reading, answers hidden
  DIR/README.md            what students do, step by step

Every student copy is parsed and compiled before anything is written. The
course is the embedded one, or --lessons DIR (an instructor's own, edited
or written with "rlhfsim export" and "rlhfsim new"). Keep that directory
and the course secret to yourself: "rlhfsim grade" grades against them.`,
		Example: `  rlhfsim release --out release
  rlhfsim release --out release --lessons my-course 03 04 14`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRelease(cmd, args, out, from, formats)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the release to (must not exist, or be empty)")
	cmd.Flags().StringVar(&from, "lessons", "", "the instructor's course directory (default: the embedded course)")
	cmd.Flags().StringVar(&formats, "format", "html", "rendered pages to include: html, md, ipynb (comma-separated), or none")
	return cmd
}

func runRelease(cmd *cobra.Command, args []string, out, from, formats string) error {
	if out == "" {
		return usagef("release needs --out DIR")
	}
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return usagef("--out %s is not empty: release into a new directory, so that no student file is overwritten", out)
	}
	// Pages only: a release is files, so no terminal.
	var pages []course.Format
	for _, n := range course.FormatNames() {
		if n != course.Term {
			pages = append(pages, n)
		}
	}
	f, err := parseFormats(formats, append(pages, "none")...)
	if err != nil {
		return err
	}
	sel, err := lessonsAt(from, args)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	// Make and check every student copy before writing one.
	var copies []*notebook.Lesson
	exercises := 0
	for _, l := range sel {
		src, err := l.StudentSource()
		if err != nil {
			return fmt.Errorf("%s: %w", l.Meta.ID, err)
		}
		file := filepath.Join(out, "lessons", l.Meta.ID, notebook.LessonFile)
		sl, err := notebook.Parse(l.Meta.ID, file, src)
		if err != nil {
			return fmt.Errorf("%s: the student copy does not parse: %w", l.Meta.ID, err)
		}
		if errs := worker.Compile(cmd.Context(), sl, worker.Options{}); len(errs) > 0 {
			return fmt.Errorf("%s: the student copy does not compile (is an import used only in a solution? use it outside too, or move the code): %w", l.Meta.ID, errs)
		}
		copies = append(copies, sl)
		exercises += len(sl.Exercises())
	}
	for _, sl := range copies {
		if err := course.WriteFile(sl.File, sl.Source); err != nil {
			return err
		}
	}
	if err := course.WriteFile(filepath.Join(out, "README.md"), []byte(studentGuide)); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %d student lessons (%d exercises) to %s\n", len(copies), exercises, filepath.Join(out, "lessons"))
	if len(f) > 0 {
		fmt.Fprintf(w, "rendering them in the standard world (a few seconds a lesson)…\n")
		rep, err := (&course.Course{Lessons: copies}).Run(cmd.Context(), copies, nil, course.Options{Out: out, Formats: f,
			Stderr: io.Discard, Limits: worker.Limits{}})
		if err != nil {
			return asUsage(err)
		}
		for _, l := range copies {
			if r := rep.Results[l.Meta.ID]; r != nil && r.Err != nil && !strings.Contains(r.Err.Error(), "not written yet") {
				fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: the student copy of %s stopped: %s\n", l.Meta.ID, termsafe.String(r.Err.Error()))
			}
		}
		fmt.Fprintf(w, "pages: %s\n", filepath.Join(out, "html", "index.html"))
	}
	fmt.Fprintf(w, "give students %s, with their name and variant code (rlhfsim codes)\n", out)
	return nil
}

// studentGuide is the README of a release.
const studentGuide = `# Your copy of the rlhfsim course

Your instructor gave you this directory, your name as they wrote it, and a
16-digit variant code. The code gives you your own variant of the hidden
world: your numbers, and some of your answers, are not your classmates'.

1. Read and run a lesson in your world:

       rlhfsim run lessons/01-hidden-truth --student "Your Name" --variant CODE --interactive --answers answers.json

   --interactive asks each question before showing what answers it, and
   --answers keeps what you answer in answers.json (the first answer to a
   question stands). Or work in the browser: rlhfsim serve lessons, fill
   in your name and code on a lesson page, answer there, and use
   "Download your answers" on the course map.

2. Exercises: a cell marked "exercise NAME" stops with "not written yet".
   Replace that line in lessons/ID/main.go with your code and run the
   lesson again; the cells after it use your code.

3. Hand in one file:

       rlhfsim submit lessons --student "Your Name" --variant CODE --answers answers.json --out submission.json

   It gathers your answers (several --answers files may be given, such as
   the one the browser downloaded) and your exercises' code.

Your instructor grades it by running every lesson in your world and your
exercises against hidden tests, and sends you a feedback page.
`

func newSubmitCmd() *cobra.Command {
	f := &studentFlags{}
	var out string
	var answers []string
	cmd := &cobra.Command{
		Use:   "submit LESSONS-DIR --student NAME --variant CODE --out FILE [--answers FILE...]",
		Short: "Gather your answers and exercise code into one file to hand in",
		Long: `submit writes one submission file: the answers in the --answers files (from
"rlhfsim run --answers" or the browser's "Download your answers"; the first
answer to a question stands) and the code of every exercise you wrote in
LESSONS-DIR (your copy of the course, from your instructor's release).
Exercises still stopping with "not written yet" are left out.`,
		Example: `  rlhfsim submit lessons --student "Ada Lovelace" --variant 4e3cf135a77f6953 --answers answers.json --out submission.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSubmit(cmd, args[0], f, answers, out)
		},
	}
	f.add(cmd, true)
	cmd.Flags().StringArrayVar(&answers, "answers", nil, "a file of answers to include (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "the submission file to write")
	return cmd
}

func runSubmit(cmd *cobra.Command, dir string, f *studentFlags, answers []string, out string) error {
	if out == "" {
		return usagef("submit needs --out FILE")
	}
	if f.name == "" || f.code == "" {
		return usagef("submit needs --student NAME and --variant CODE, as your instructor gave them")
	}
	if _, err := world.Student(f.name, f.code); err != nil {
		return usagef("--student or --variant: %v", err)
	}
	s := &grade.Submission{Format: grade.Format, Student: strings.TrimSpace(f.name), Variant: strings.ToLower(f.code)}
	for _, a := range answers {
		in, err := readSubmission(a)
		if err != nil {
			return usagef("--answers %s: %v", a, err)
		}
		if world.NormalName(in.Student) != world.NormalName(s.Student) {
			return usagef("--answers %s holds %q's answers, not %q's", a, in.Student, s.Student)
		}
		for _, x := range in.Answers {
			s.Add(x)
		}
	}
	c, err := course.FromDir(dir)
	if err != nil {
		return asUsage(err)
	}
	var skipped []string
	for _, l := range c.Lessons {
		for _, name := range l.Exercises() {
			code, _ := l.ExerciseCode(name)
			if strings.Contains(code, "not written yet") {
				skipped = append(skipped, l.Meta.ID+"/"+name)
				continue
			}
			s.SetExercise(grade.Exercise{Lesson: l.Meta.ID, Name: name, Code: code})
		}
	}
	if err := s.Check(); err != nil {
		return usageError{err}
	}
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		return err
	}
	if err := course.WriteFile(out, b.Bytes()); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote %s: %d answers, %d exercises\n", out, len(s.Answers), len(s.Exercises))
	if len(skipped) > 0 {
		fmt.Fprintf(w, "not written yet, so left out: %s\n", strings.Join(skipped, ", "))
	}
	return nil
}

// readSubmission reads a submission or answers file.
func readSubmission(path string) (*grade.Submission, error) {
	b, err := readSmall(path, grade.MaxBytes)
	if err != nil {
		return nil, err
	}
	return grade.Read(bytes.NewReader(b))
}

func newGradeCmd() *cobra.Command {
	f := &studentFlags{}
	var out, from, only string
	cmd := &cobra.Command{
		Use:   "grade --secret FILE --out DIR SUBMISSION...",
		Short: "Grade students' submissions in their own variants, with hidden tests",
		Long: `grade reruns every lesson in each student's variant of the hidden world
(drawn from the submission's name and the course secret), marks every
answer against that run, and runs each exercise's hidden tests on the
student's code, in lesson workers with the usual limits. It writes

  DIR/grades.csv          one row per student and item: points, max and a
                          one-line feedback
  DIR/feedback/NAME.html  each student's feedback page

A submission that is malformed, tampered with, too large or hostile gets a
row that says so and never stops the others. The instructor's course is
the embedded one or --lessons DIR; --only grades some lessons.`,
		Example: `  rlhfsim grade --secret course.secret --out grades submissions/*.json
  rlhfsim grade --secret course.secret --lessons my-course --only 03,04 --out grades submissions/*.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGrade(cmd, args, f, out, from, only)
		},
	}
	cmd.Flags().StringVar(&f.secretFile, "secret", "", "file holding the course secret (or set "+secretEnv+")")
	cmd.Flags().StringVar(&out, "out", "", "directory for grades.csv and the feedback pages")
	cmd.Flags().StringVar(&from, "lessons", "", "the instructor's course directory (default: the embedded course)")
	cmd.Flags().StringVar(&only, "only", "", "grade only these lessons (comma-separated IDs or their starts)")
	return cmd
}

func runGrade(cmd *cobra.Command, files []string, f *studentFlags, out, from, only string) error {
	if out == "" {
		return usagef("grade needs --out DIR")
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return usagef("--out %s is a file: grade writes a directory (grades.csv and feedback/)", out)
	}
	secret, err := f.needSecret("grade")
	if err != nil {
		return err
	}
	var ids []string
	if only != "" {
		ids = strings.Split(only, ",")
	}
	sel, err := lessonsAt(from, ids)
	if err != nil {
		return err
	}
	var in []grade.Input
	owner := map[string]string{} // normal name: the first file with it
	for _, p := range files {
		s, err := readSubmission(p)
		name := filepath.Base(p)
		if err == nil {
			n := world.NormalName(s.Student)
			if first, ok := owner[n]; ok {
				err = fmt.Errorf("%q is also the student of %s: hand in one file per student (this one is not graded)", s.Student, first)
				s = nil
			} else {
				owner[n] = name
			}
		}
		in = append(in, grade.Input{Name: name, Sub: s, Err: err})
	}
	g := &grade.Grader{Lessons: sel, Secret: secret, Parallel: runtime.NumCPU()}
	stderr := cmd.ErrOrStderr()
	start := time.Now()
	graded := g.GradeAll(cmd.Context(), in, func(done, total int) {
		fmt.Fprintf(stderr, "graded %d of %d submissions (%s)\n", done, total, time.Since(start).Round(time.Second))
	})
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := grade.WriteCSV(&b, graded); err != nil {
		return err
	}
	if err := course.WriteFile(filepath.Join(out, "grades.csv"), b.Bytes()); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "student\tpoints\tfeedback page")
	for _, g := range graded {
		p, m := g.Total()
		who := g.Name
		page := "-"
		if len(g.Items) > 0 && g.Items[0].Variant != "" {
			who = g.Items[0].Student
			page = filepath.Join(out, "feedback", grade.FeedbackFile(who))
			b.Reset()
			if err := grade.Feedback(&b, g); err != nil {
				return err
			}
			if err := course.WriteFile(page, b.Bytes()); err != nil {
				return err
			}
		}
		fmt.Fprintf(tw, "%s\t%g of %g\t%s\n", termsafe.String(who), p, m, page)
	}
	tw.Flush()
	fmt.Fprintf(w, "grades: %s\n", filepath.Join(out, "grades.csv"))
	return nil
}

// answerLog keeps the answers given with "run --interactive --answers".
type answerLog struct {
	path string
	sub  *grade.Submission
}

func openAnswerLog(path string, v world.Variant) (*answerLog, error) {
	if v.Student == "" {
		return nil, usagef("--answers needs --student NAME (and your --variant CODE): answers are handed in under your name")
	}
	log := &answerLog{path: path, sub: &grade.Submission{Format: grade.Format, Student: v.Student, Variant: v.Code}}
	old, err := readSubmission(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, usagef("--answers %s: %v (give a new file, or one this command wrote)", path, err)
	case world.NormalName(old.Student) != world.NormalName(v.Student):
		return nil, usagef("--answers %s holds %q's answers, not %q's", path, old.Student, v.Student)
	default:
		log.sub.Answers = old.Answers
	}
	return log, nil
}

func (a *answerLog) add(res *notebook.Result, e *notebook.Event, answer string) {
	a.sub.Add(grade.Answer{Lesson: res.Lesson.Meta.ID, Kind: string(e.Kind), Question: e.Text, Choice: answer, Seed: res.Seed})
}

func (a *answerLog) save(w io.Writer) error {
	var b bytes.Buffer
	if err := a.sub.Write(&b); err != nil {
		return err
	}
	if err := course.WriteFile(a.path, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(w, "answers: %s (%d)\n", a.path, len(a.sub.Answers))
	return nil
}
