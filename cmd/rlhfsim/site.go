package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/site"
)

type siteOptions struct {
	out     string
	runtime string
	serve   string
	only    bool
	release bool
}

func newSiteCmd() *cobra.Command {
	o := &siteOptions{}
	cmd := &cobra.Command{
		Use:   "site --out DIR [LESSON...]",
		Short: "Write the course as a static website whose lessons rerun in the browser",
		Long: `site writes the course (or the lessons named) as a static website: a
course map and a page per lesson with its prose, code and the outputs of a
run at the defaults, so every page reads before anything loads. Moving a
control reruns the lesson in the browser: the simulator, compiled to
WebAssembly, runs each run in a Web Worker with the same checks, sandbox
and output caps as a native run (the time limits six times the native
ones, as the browser runs lessons two to six times slower; the memory
limit is the Go runtime's target only, with WebAssembly's 4 GB as the
hard bound), and a newer change stops the older run. Each page has an editor to change the lesson's code and rerun it;
errors point at the line. Quiz answers, progress and edits stay in the
browser. A student's name picks a variant of the hidden world from the
name alone, since a static site has no course secret: the site is for
study, not for graded work.

Without --release each page holds the lesson's whole source, for its
editor: quiz answers, exercise solutions and hidden tests included. To
publish for a class, use --release (the students' version, as rlhfsim
release writes it).

The runtime is built with the Go toolchain from the source in the current
directory (run this in a clone of the repository; about a minute the
first time), or taken from --runtime, the rt folder of a site built
before. The files are written beside gzip-compressed copies (.gz) for
hosts that serve precompressed files.

Publish DIR on any static host. Browsers do not run the simulator for
pages opened as files (file://): serve the folder with any web server,
for example with --serve, which also serves the compressed copies.`,
		Example: `  rlhfsim site --out public
  rlhfsim site --out public --serve 127.0.0.1:8000
  rlhfsim site --out mini 00 03 --runtime public/rt
  rlhfsim site --out public --serve 127.0.0.1:8000 --serve-only`,
		RunE: func(cmd *cobra.Command, args []string) error { return runSite(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the site's directory (required)")
	cmd.Flags().StringVar(&o.runtime, "runtime", "", "take rlhfsim.wasm and wasm_exec.js from this folder (a built site's rt) instead of building them")
	cmd.Flags().StringVar(&o.serve, "serve", "", "then serve the site at this address (host:port), with its compressed files, until Ctrl-C")
	cmd.Flags().BoolVar(&o.release, "release", false, "publish the students' version (as rlhfsim release writes it): exercises to write, hidden tests and quiz answers left out")
	cmd.Flags().BoolVar(&o.only, "serve-only", false, "serve a site built before without building it again (needs --serve)")
	return cmd
}

func runSite(cmd *cobra.Command, args []string, o *siteOptions) error {
	if o.out == "" {
		return usagef("site needs --out DIR, the directory to write the site in")
	}
	if o.only && o.serve == "" {
		return usagef("--serve-only needs --serve ADDR")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	if !o.only {
		c, err := embedded()
		if err != nil {
			return err
		}
		sel, err := c.Select(args)
		if err != nil {
			return usagef("%v", err)
		}
		if o.release {
			if sel, err = studentCopies(sel); err != nil {
				return err
			}
			c = &course.Course{Lessons: sel}
		}
		start := time.Now()
		rep, err := site.Build(ctx, c, sel, site.Options{Out: o.out, Runtime: o.runtime, Log: cmd.ErrOrStderr(), Release: o.release})
		var ie *course.InputError
		if errors.As(err, &ie) {
			return usagef("%v", ie.Err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "rlhfsim site: %d lesson pages in %s in %.0f s; the runtime is %.1f MB, %.1f MB compressed\n",
			len(rep.Pages), o.out, time.Since(start).Seconds(), float64(rep.Runtime)/1e6, float64(rep.Compressed)/1e6)
		switch {
		case rep.Stopped > 0 && o.release:
			fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim site: %d lessons stopped at their defaults, as the students' version does at an exercise not yet written; their pages say where\n", rep.Stopped)
		case rep.Stopped > 0:
			fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim site: %d lessons stopped at their defaults; their pages say why\n", rep.Stopped)
		}
	}
	if o.serve == "" {
		return nil
	}
	if _, err := os.Stat(o.out + "/index.html"); err != nil {
		return usagef("%s holds no site (no index.html): build it first, without --serve-only", o.out)
	}
	ln, err := net.Listen("tcp", o.serve)
	if err != nil {
		return usagef("invalid --serve %q: %v", o.serve, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "rlhfsim site: serving %s at\n\n    http://%s/\n\nStop with Ctrl-C.\n", o.out, ln.Addr())
	srv := &http.Server{Handler: site.Handler(o.out), ReadHeaderTimeout: 10 * time.Second}
	return serveUntil(ctx, srv, ln)
}

// studentCopies returns the students' version of each lesson, as rlhfsim
// release writes it.
func studentCopies(sel []*notebook.Lesson) ([]*notebook.Lesson, error) {
	var out []*notebook.Lesson
	for _, l := range sel {
		src, err := l.StudentSource()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Meta.ID, err)
		}
		sl, err := notebook.Parse(l.Meta.ID, l.File, src)
		if err != nil {
			return nil, fmt.Errorf("%s: the student copy does not parse: %w", l.Meta.ID, err)
		}
		out = append(out, sl)
	}
	return out, nil
}
