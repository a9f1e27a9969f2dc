package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/notebook/serve"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

type serveOptions struct {
	addr          string
	open          bool
	timeout       time.Duration
	lessonTimeout time.Duration
	memory        string
	prewarm       bool
	cache         string
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{addr: "127.0.0.1:0", timeout: worker.DefaultCellTimeout, lessonTimeout: worker.DefaultLessonTimeout, memory: "2GiB", prewarm: true, cache: "256MiB"}
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve the live notebook in the browser: move a slider, the lesson reruns",
		Long: `serve shows the course in the browser with every lesson parameter as a
control. Changing one reruns the lesson in a worker process with the usual
limits, and its cells update as their output arrives. Quiz answers and
progress stay in the browser's local storage.

Finished runs are kept in memory (--cache bounds them) by everything that
determines them: the lesson's source, its parameters, the seed and the
student. A class asking for the same settings costs one run, and requests
that arrive while it is under way join it and see its cells as they come.
As it starts, the server runs every lesson at its defaults in the
background (--prewarm), only while no student's run is under way, so the
first page of each lesson comes from the cache.

With DIR (an exported course, see rlhfsim export) the lessons are read from
there on every request, and an open page reloads when its file changes; a
lesson that does not parse shows its error with the file, the line and the
source around it.

It listens on 127.0.0.1 on a free port unless --addr says otherwise, and
prints a URL with a random token that every request must carry (then a
cookie); requests from other sites are refused. Stop it with Ctrl-C.`,
		Example: `  rlhfsim serve
  rlhfsim export mycourse && rlhfsim serve mycourse
  rlhfsim serve --addr 127.0.0.1:8888 --open`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, args, o) },
	}
	cmd.Flags().StringVar(&o.addr, "addr", o.addr, "address to listen on (host:port; port 0 picks a free one)")
	cmd.Flags().BoolVar(&o.open, "open", false, "open the URL in the default browser")
	cmd.Flags().BoolVar(&o.prewarm, "prewarm", o.prewarm, "run every lesson's defaults in the background when idle, so first loads come from the cache")
	cmd.Flags().StringVar(&o.cache, "cache", o.cache, "memory for finished runs, e.g. 512MiB; 0 keeps none")
	cmd.Flags().DurationVar(&o.timeout, "timeout", o.timeout, "time limit of each cell")
	cmd.Flags().DurationVar(&o.lessonTimeout, "lesson-timeout", o.lessonTimeout, "time limit of each lesson run")
	cmd.Flags().StringVar(&o.memory, "memory", o.memory, "memory limit of each lesson run, e.g. 2GiB")
	return cmd
}

func runServe(cmd *cobra.Command, args []string, o *serveOptions) error {
	ro := &runOptions{timeout: o.timeout, lessonTimeout: o.lessonTimeout, memory: o.memory}
	lim, err := ro.limits()
	if err != nil {
		return err
	}
	cacheBytes, err := parseBytes(o.cache)
	if err != nil {
		return usagef("invalid --cache %q: want a size such as 256MiB, or 0 to keep no results", o.cache)
	}
	so := serve.Options{Limits: lim, CacheBytes: cacheBytes}
	if cacheBytes == 0 {
		so.CacheBytes = -1
	}
	if len(args) == 1 {
		so.Dir = args[0]
	}
	s, err := serve.New(so)
	if err != nil {
		return usagef("%v", err)
	}
	ln, url, err := s.Listen(o.addr)
	if err != nil {
		return usagef("invalid --addr %q: %v", o.addr, err)
	}
	w := cmd.OutOrStdout()
	if !serve.Loopback(ln.Addr().String()) {
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: warning: listening on %s, which other machines can reach; the token still guards every request\n", ln.Addr())
	}
	fmt.Fprintf(w, "rlhfsim serve: the live notebook is at\n\n    %s\n\nStop with Ctrl-C.\n", url)
	if o.open {
		openBrowser(cmd, url)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	if o.prewarm {
		go s.Prewarm(ctx)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openBrowser asks the desktop to open url, and says so if it cannot.
func openBrowser(cmd *cobra.Command, url string) {
	name := map[string]string{"darwin": "open", "windows": "explorer"}[runtime.GOOS]
	if name == "" {
		name = "xdg-open"
	}
	if err := exec.Command(name, url).Start(); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: could not open a browser (%v); open the URL above yourself\n", err)
	}
}
