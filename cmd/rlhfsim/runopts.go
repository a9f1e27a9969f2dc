package main

import (
	"fmt"

	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/muesli/termenv"
	"github.com/spf13/cobra"
	xterm "golang.org/x/term"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/internal/termsafe"
	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// termOptions picks the terminal's width and style: colour only on a
// terminal, in the style its background asks for, and none with
// --style plain or NO_COLOR.
func (o *runOptions) termOptions(cmd *cobra.Command) render.TermOptions {
	term := render.TermOptions{Width: 80, Interactive: o.interactive, Reveal: o.reveal, In: cmd.InOrStdin(), ShowCode: o.code}
	if f, ok := cmd.OutOrStdout().(*os.File); ok && xterm.IsTerminal(int(f.Fd())) {
		term.Style = o.style
		if w, _, err := xterm.GetSize(int(f.Fd())); err == nil && w > 40 {
			term.Width = min(w, 100)
		}
	}
	switch {
	case o.style == "plain" || os.Getenv("NO_COLOR") != "":
		term.Style = ""
	case o.style == "auto" && term.Style != "":
		// The background the terminal reports picks the style: glamour's
		// dark style paints prose light grey, unreadable on white.
		term.Style = "dark"
		if !termenv.HasDarkBackground() {
			term.Style = "light"
		}
	case o.style == "dark" || o.style == "light":
		term.Style = o.style
	}
	return term
}

// answerLog opens the --answers file, or returns nil without one.
func (o *runOptions) answerLog(v world.Variant) (*answerLog, error) {
	if o.answers == "" {
		return nil, nil
	}
	if !o.interactive {
		return nil, usagef("--answers keeps the answers --interactive asks for: add --interactive")
	}
	if len(o.set) > 0 {
		return nil, usagef("--answers with --set: answers are graded against a run with the default parameters, so answer without --set")
	}
	return openAnswerLog(o.answers, v)
}

// wrote says where the files of each format went.
func wrote(w io.Writer, f course.Formats, out string) {
	if f.Has(course.HTML) {
		fmt.Fprintf(w, "HTML notebook: %s\n", filepath.Join(out, "html", "index.html"))
	}
	if f.Has(course.Markdown) {
		fmt.Fprintf(w, "Markdown: %s\n", filepath.Join(out, "md"))
	}
	if f.Has(course.IPynb) {
		fmt.Fprintf(w, "Jupyter notebooks: %s\n", filepath.Join(out, "ipynb"))
	}
}

// parseFormats reads a comma-separated --format list, each one of
// allowed ("none" stands for no format).
func parseFormats(list string, allowed ...course.Format) (course.Formats, error) {
	var f course.Formats
	for _, name := range strings.Split(list, ",") {
		name := course.Format(strings.TrimSpace(name))
		if err := option("format", enum.Check("format", name, allowed...)); err != nil {
			return nil, err
		}
		if name != "none" && !f.Has(name) {
			f = append(f, name)
		}
	}
	return f, nil
}

// limits checks the limit flags.
func (o *runOptions) limits() (worker.Limits, error) {
	if o.timeout <= 0 {
		return worker.Limits{}, usagef("invalid --timeout %v: must be positive, e.g. 10s", o.timeout)
	}
	if o.lessonTimeout <= 0 {
		return worker.Limits{}, usagef("invalid --lesson-timeout %v: must be positive, e.g. 5m", o.lessonTimeout)
	}
	mem, err := parseBytes(o.memory)
	if err != nil || mem < 256<<20 || mem > 1<<40 {
		return worker.Limits{}, usagef("invalid --memory %q: want a size from 256MiB to 1TiB, e.g. 2GiB", o.memory)
	}
	return worker.Limits{Cell: o.timeout, Lesson: o.lessonTimeout, Memory: mem}, nil
}

// parseBytes reads a size such as 2GiB, 512MiB, 1.5GB or 1000000.
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || x*mult > 1<<62 {
		return 0, fmt.Errorf("not a size")
	}
	return int64(x * mult), nil
}

// summary ends a run of several lessons with a line for each and a total.
func summary(w io.Writer, sel []*notebook.Lesson, rep *course.Report) {
	fmt.Fprintln(w, "\nsummary")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	clean, stopped, checks, passed := 0, 0, 0, 0
	for _, l := range sel {
		res := rep.Results[l.Meta.ID]
		if res == nil {
			fmt.Fprintf(tw, "  -\t%s\tnot run\n", l.Meta.ID)
			continue
		}
		checks += res.Checks
		passed += res.Checks - res.FailedChecks
		switch {
		case res.Err != nil:
			stopped++
			msg := termsafe.String(res.Err.Error())
			if len(msg) > 70 {
				msg = msg[:69] + "…"
			}
			fmt.Fprintf(tw, "  ✗\t%s\tstopped: %s\n", l.Meta.ID, msg)
		case res.FailedChecks > 0:
			fmt.Fprintf(tw, "  ✗\t%s\tself-checks: %d of %d pass\n", l.Meta.ID, res.Checks-res.FailedChecks, res.Checks)
		default:
			clean++
			fmt.Fprintf(tw, "  ✓\t%s\tself-checks: %d of %d pass\n", l.Meta.ID, res.Checks, res.Checks)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d %s: %d with every self-check passing, %d stopped; self-checks: %d of %d pass\n", len(sel), plural(len(sel), "lesson"), clean, stopped, passed, checks)
}
