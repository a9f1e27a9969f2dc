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
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{addr: "127.0.0.1:0", timeout: worker.DefaultCellTimeout, lessonTimeout: worker.DefaultLessonTimeout, memory: "2GiB"}
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve the live notebook in the browser: move a slider, the lesson reruns",
		Long: `serve shows the course in the browser with every lesson parameter as a
control. Changing one reruns the lesson in a worker process with the usual
limits, and its cells update as their output arrives. Quiz answers and
progress stay in the browser's local storage.

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
	so := serve.Options{Limits: lim}
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
