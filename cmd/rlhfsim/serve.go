package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/notebook/gradebook"
	"github.com/rlhfsim/rlhfsim/notebook/serve"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

type serveOptions struct {
	addr          string
	open          bool
	timeout       time.Duration
	lessonTimeout time.Duration
	memory        string
	prewarm       bool
	cache         string
	hosts         []string
	tlsCert       string
	tlsKey        string
	class         string
	links         string
	db            string
	revoke        []string
	site          string
	secret        studentFlags
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{addr: "127.0.0.1:0", timeout: worker.DefaultCellTimeout, lessonTimeout: worker.DefaultLessonTimeout, memory: "2GiB", prewarm: true, cache: "256MiB"}
	cmd := &cobra.Command{
		Use:   "serve [DIR]",
		Short: "Serve the live notebook in the browser: move a slider, the lesson reruns",
		Long: `serve shows the course in the browser with every lesson parameter as a
control. Changing one reruns the lesson in a worker process with the usual
limits, and its cells update as their output arrives. Quiz answers and
progress stay in the browser's local storage (with --class, on the server).

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
cookie); requests from other sites are refused. Stop it with Ctrl-C.

To serve a classroom's LAN, listen on all addresses (--addr 0.0.0.0:8888)
or on one interface's: the server answers to the machine's own addresses
and to the names --host gives (say the name the room's DNS has for it),
and refuses every other Host name, so that a web page elsewhere cannot
reach it through a name it controls. It prints a URL for each. Plain HTTP
on a LAN can be read by anyone on the network, token included, and the
server says so; --tls-cert and --tls-key serve HTTPS instead.

With --class ROSTER (one name a line, or a CSV file with the names first)
and the course secret, each student gets a personal link, printed and
written to --links (owner-only): its token says who they are, and their
variant of the hidden world comes from it and the secret, never from a
field they can edit. The token is the same on every start, so links
survive a restart; --revoke NAME replaces a link that leaked (the old one
stays refused). The URL printed first stays the instructor's. Each
student has one run at a time (a newer change cancels the older), a freed
slot goes to the student served longest ago, and past a bounded queue a
run is refused at once with "busy" instead of waiting for minutes; a
waiting page shows its place in the queue.

With --site DIR (a site built by rlhfsim site --out DIR --release, the
students' version) the class's lessons run in the students' browsers from
its pages and WebAssembly runtime, each in the student's own variant, and
the server only serves files and keeps the answers; those answers are
marked when the instructor grades the class from the dashboard.

A class's work is kept in an SQLite file (--db): each answer as the student
gives it, marked against their own run, the lessons they opened and the
exercise files they hand in from the course map. A student sees their
answers again from any browser with their link, and a restart loses
nothing saved. The instructor's dashboard, at /class, shows the progress
of each student in each lesson, what the class chose for every question and
the most common wrong answer, updates while the class works, runs the
grader on request and exports everything as CSV. One server at a time
uses a gradebook; a file that is not one is refused and left alone.`,
		Example: `  rlhfsim serve
  rlhfsim export mycourse && rlhfsim serve mycourse
  rlhfsim serve --addr 127.0.0.1:8888 --open
  rlhfsim serve --addr 0.0.0.0:8888 --host rlhfsim.local
  rlhfsim serve --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
  rlhfsim serve --addr 0.0.0.0:8888 --class roster.txt --secret course.secret`,
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
	cmd.Flags().StringSliceVar(&o.hosts, "host", nil, "a further name the server answers to, e.g. rlhfsim.local (repeat or separate with commas)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM; needs --tls-key)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "the certificate's private key (PEM)")
	cmd.Flags().StringVar(&o.class, "class", "", "a roster (one name a line, or CSV with names first): a personal link per student, with their own variant")
	cmd.Flags().StringVar(&o.links, "links", filepath.Join("rlhfsim-out", "class-links.csv"), "where --class writes the students' links (readable by you only)")
	cmd.Flags().StringVar(&o.db, "db", filepath.Join("rlhfsim-out", "class.db"), "the class's gradebook (SQLite), made if missing: answers, progress, exercises handed in, grades (with --class)")
	cmd.Flags().StringVar(&o.site, "site", "", "with --class: a site built with rlhfsim site --out DIR --release; the students' lessons then run in their browsers, and the server keeps their answers")
	cmd.Flags().StringArrayVar(&o.revoke, "revoke", nil, "with --class: a student whose link leaked gets a new one, and the old stops working (repeat for several)")
	cmd.Flags().StringVar(&o.secret.secretFile, "secret", "", "file holding the course secret (or set "+secretEnv+"), for --class")
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
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
	}
	var cert tls.Certificate
	if o.tlsCert != "" {
		if cert, err = tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return usagef("reading --tls-cert %s and --tls-key %s: %v", o.tlsCert, o.tlsKey, err)
		}
	}
	for i, h := range o.hosts {
		if h == "" || strings.ContainsAny(h, ":/ ") {
			return usagef("invalid --host %q: give a name such as rlhfsim.local, without port or scheme", h)
		}
		// As browsers send it: lower case, no final dot.
		o.hosts[i] = strings.TrimSuffix(strings.ToLower(h), ".")
	}
	so := serve.Options{Limits: lim, CacheBytes: cacheBytes, Hosts: o.hosts, TLS: o.tlsCert != ""}
	if o.class != "" {
		secret, err := o.secret.needSecret("--class")
		if err != nil {
			return err
		}
		var names []string
		if err := fileio.Read(o.class, func(r io.Reader) (err error) {
			names, err = serve.ReadRoster(r, strings.EqualFold(filepath.Ext(o.class), ".csv"))
			return err
		}); err != nil {
			return usagef("--class: %v", err)
		}
		so.Class = &serve.Class{Secret: secret, Students: names}
		if err := os.MkdirAll(filepath.Dir(o.db), 0o755); err != nil {
			return usagef("--db %s: %v", o.db, err)
		}
		book, err := gradebook.Open(o.db)
		if err != nil {
			return usagef("--db: %v", err)
		}
		defer book.Close()
		so.Book = book
		if err := revoke(cmd, book, names, o.revoke); err != nil {
			return err
		}
		if so.Class.Epochs, err = book.Epochs(cmd.Context()); err != nil {
			return usagef("--db: %v", err)
		}
		so.Site = o.site
	} else if cmd.Flags().Changed("db") || len(o.revoke) > 0 || o.site != "" {
		return usagef("--db, --revoke and --site are about a class: give --class ROSTER too")
	}
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
	lan := !serve.Loopback(ln.Addr().String())
	if lan {
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: warning: listening on %s, which other machines can reach; the token still guards every request\n", ln.Addr())
	}
	urls := s.URLs()
	fmt.Fprintf(w, "rlhfsim serve: the live notebook is at\n\n    %s\n\n", url)
	if len(urls) > 1 {
		fmt.Fprintf(w, "and, from other machines, at\n\n")
		for _, u := range urls[1:] {
			fmt.Fprintf(w, "    %s\n", u)
		}
		fmt.Fprintln(w)
	}
	if o.class != "" {
		if err := writeLinks(cmd, s, o, ln.Addr().String()); err != nil {
			return err
		}
	}
	if so.Book != nil {
		fmt.Fprintf(w, "The class's work is saved in %s; its dashboard (yours alone) is at\n\n    %s\n\n", o.db, strings.Replace(url, "/?token=", "/class?token=", 1))
	}
	if o.site != "" {
		fmt.Fprintf(w, "The students' lessons run in their browsers, from the site in %s (the students' version); the server serves its files and keeps the answers.\n\n", o.site)
	}
	if o.tlsCert != "" {
		warnUncovered(cmd, cert, urls)
	}
	if lan && o.tlsCert == "" {
		fmt.Fprintf(w, "This is plain HTTP: anyone on the network can read what passes, the token included. Give --tls-cert and --tls-key to serve HTTPS.\n")
	}
	fmt.Fprintf(w, "Stop with Ctrl-C.\n")
	if o.open {
		openBrowser(cmd, url)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	if o.tlsCert != "" {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	// A service manager stops with SIGTERM: the gradebook closes as on
	// Ctrl-C.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.prewarm && o.site == "" { // with a site the lessons run in the browsers
		go s.Prewarm(ctx)
	}
	return serveUntil(ctx, srv, ln)
}

// revoke gives each named student of the roster a new link, recorded in
// the gradebook so that their old link stays refused after restarts.
func revoke(cmd *cobra.Command, book *gradebook.Book, roster, names []string) error {
	for _, name := range names {
		n := world.NormalName(name)
		found := ""
		for _, r := range roster {
			if world.NormalName(r) == n {
				found = strings.TrimSpace(r)
			}
		}
		if found == "" {
			return usagef("--revoke %q: no such name in the roster", name)
		}
		e, err := book.Revoke(cmd.Context(), n)
		if err != nil {
			return usagef("--revoke %q: %v", name, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s's link is revoked (a link of theirs made before no longer opens; this is their link number %d): hand them the new one from the links file.\n", found, e+1)
	}
	return nil
}

// warnUncovered warns of the URLs whose host the certificate does not
// name: a browser refuses them, and students would see a warning page
// they should not learn to click through.
func warnUncovered(cmd *cobra.Command, cert tls.Certificate, urls []string) {
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	if leaf == nil {
		return
	}
	var bad []string
	for _, u := range urls {
		p, err := neturl.Parse(u)
		if err == nil && leaf.VerifyHostname(p.Hostname()) != nil {
			bad = append(bad, p.Hostname())
		}
	}
	if len(bad) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: warning: the certificate %s does not name %s: browsers will refuse those addresses; give students a URL whose host it names (see --host)\n", leafName(leaf), strings.Join(bad, ", "))
	}
}

func leafName(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return "(for " + strings.Join(c.DNSNames, ", ") + ")"
	}
	return "(for " + c.Subject.CommonName + ")"
}

// serveUntil serves ln until ctx ends (Ctrl-C), then gives the requests
// under way 5 s to finish.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
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

// csvField quotes a CSV field that needs it, and keeps a spreadsheet
// from reading a name as a formula.
func csvField(s string) string {
	if strings.ContainsAny(s[:min(1, len(s))], "=+-@") {
		s = "'" + s
	}
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// writeLinks writes the students' links to --links, owner-only, and says
// where. The links use the address students will reach: the first --host
// name, or the machine's first IPv4 address on the LAN; the instructor's
// line uses loopback, so that token need not cross the network.
func writeLinks(cmd *cobra.Command, s *serve.Server, o *serveOptions, addr string) error {
	urls := s.URLs()
	_, port, _ := net.SplitHostPort(addr)
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	base := ""
	switch {
	case len(o.hosts) > 0:
		base = scheme + "://" + net.JoinHostPort(o.hosts[0], port) + "/"
	default:
		for _, u := range urls[1:] {
			if !strings.Contains(u, "[") { // IPv4
				base = u
				break
			}
		}
	}
	if base == "" {
		base = urls[0]
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: warning: the class's links use %s, which only this machine reaches: listen on the LAN (--addr 0.0.0.0:8888) for students to use them\n", strings.SplitN(base, "?", 2)[0])
	}
	if strings.HasSuffix(o.addr, ":0") {
		fmt.Fprintf(cmd.ErrOrStderr(), "rlhfsim: warning: a free port was picked; the links change with it on the next start unless --addr gives one\n")
	}
	links := s.Links(base)
	var b strings.Builder
	b.WriteString("name,link\n")
	for _, l := range links {
		fmt.Fprintf(&b, "%s,%s\n", csvField(l.Name), l.URL)
	}
	fmt.Fprintf(&b, "(instructor),%s\n", urls[0])
	if err := os.MkdirAll(filepath.Dir(o.links), 0o755); err != nil {
		return usagef("--links: %v", err)
	}
	if err := fileio.WritePrivate(o.links, []byte(b.String())); err != nil {
		return usagef("--links: %v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "The personal links of the %d students (and yours) are in %s, readable by you only: hand each student their own.\n\n", len(links), o.links)
	return nil
}
