// Command loadtest measures the live notebook under a class: simulated
// students load lessons at their defaults, then each changes a random
// parameter of a lesson every so often, as a student moving sliders
// would, and the command reports how long they waited.
//
// It starts a server in this process (as rlhfsim serve would, with the
// cache and prewarming on) unless --url names a running one (better on a
// small machine: the simulated browsers then do not share the server's
// process), and prints percentiles of two waits: from a change to the
// first output of the rerun (the first "item" of the stream, or the
// finished page when the run came from the cache; it may be a cell the
// change does not affect) and from a change to the finished lesson. A
// change replaced by the student's next one before it finished, or cut
// off when the test ends, counts as never finishing (∞), so a machine
// that cannot keep up shows as one. Issue 27's targets are printed beside
// them.
//
//	go run ./cmd/loadtest                        # 30 students, lessons 06-08, 2 minutes
//	go run ./cmd/loadtest --students 5 --duration 20s --lessons 00,03
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/stat"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/serve"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// config is one load test.
type config struct {
	students           int
	lessons            []string // lesson IDs or their number prefixes
	duration           time.Duration
	minEvery, maxEvery time.Duration
	seed               uint64
	url                string // a running server's URL with its token; empty starts one
	prewarm            bool
	names              bool      // students fill in their names, so none shares another's runs
	progress           io.Writer // a line per few seconds; nil for none
}

func main() {
	worker.Main() // the in-process server runs lessons in copies of this program
	cfg := config{students: 30, lessons: []string{"06", "07", "08"}, duration: 2 * time.Minute, minEvery: 10 * time.Second, maxEvery: 20 * time.Second, seed: 1, prewarm: true}
	var lessons string
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Measure the live notebook under a simulated class",
		Long: `loadtest simulates a class on the live notebook. First every student
opens each lesson at its defaults (one student first, then the rest at
once); then, for --duration, each student changes one random parameter of
a random lesson every --every (a random time in that range), keeping its
other settings, and waits for the lesson to run again. A change made before
the previous run finished replaces it, as in the browser.

It reports the 50th and 95th percentiles and the maximum of the time from a
change to the first updated cell and to the finished lesson, the server's
runs and cache use, and the targets of issue 27.`,
		Example: `  go run ./cmd/loadtest
  go run ./cmd/loadtest --students 5 --duration 20s --lessons 00,03
  go run ./cmd/loadtest --url 'http://127.0.0.1:8888/?token=...'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.lessons = strings.Split(lessons, ",")
			if cfg.students < 1 || cfg.duration <= 0 || cfg.minEvery <= 0 || cfg.maxEvery < cfg.minEvery {
				return fmt.Errorf("want --students ≥ 1, a positive --duration and 0 < --every-min ≤ --every-max")
			}
			cfg.progress = cmd.ErrOrStderr()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			rep, err := loadTest(ctx, cfg)
			if rep != nil {
				rep.print(cmd.OutOrStdout(), cfg) // what was measured, even when stopped early
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.students, "students", cfg.students, "simulated students")
	f.StringVar(&lessons, "lessons", strings.Join(cfg.lessons, ","), "lessons the students change, by ID or number, comma-separated")
	f.DurationVar(&cfg.duration, "duration", cfg.duration, "how long the students keep changing parameters")
	f.DurationVar(&cfg.minEvery, "every-min", cfg.minEvery, "shortest time between a student's changes")
	f.DurationVar(&cfg.maxEvery, "every-max", cfg.maxEvery, "longest time between a student's changes")
	f.Uint64Var(&cfg.seed, "seed", cfg.seed, "seed of the students' choices")
	f.StringVar(&cfg.url, "url", "", "a running live notebook's URL, with its token (default: start one in this process)")
	f.BoolVar(&cfg.prewarm, "prewarm", cfg.prewarm, "let the in-process server prewarm every lesson's defaults, as rlhfsim serve does")
	f.BoolVar(&cfg.names, "names", false, "students fill in their names (student-1, ...): each then has runs of its own, even at the defaults")
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
}

// report is what a load test measured, in seconds.
type report struct {
	firstLoad  map[string]float64 // the first load of each lesson at its defaults
	otherLoads []float64          // every later load at the defaults
	// Of every change: the time to the first output and to the finished
	// lesson, +Inf for one that never came.
	firstCell, finished []float64
	superseded          int // changes replaced by the student's next before they finished
	cutOff              int // changes still running when the test ended
	failed              []string
	stats               *serve.Stats // nil for a server in another process
}

// target is one of issue 27's numbers.
type target struct {
	what  string
	value float64
	limit float64
}

func loadTest(ctx context.Context, cfg config) (*report, error) {
	c, err := course.Embedded()
	if err != nil {
		return nil, err
	}
	var ls []*notebook.Lesson
	for _, want := range cfg.lessons {
		want = strings.TrimSpace(want)
		var found *notebook.Lesson
		for _, l := range c.Lessons {
			if l.Meta.ID == want || strings.HasPrefix(l.Meta.ID, want+"-") {
				found = l
			}
		}
		if found == nil {
			return nil, fmt.Errorf("--lessons: no lesson %q in the course", want)
		}
		ls = append(ls, found)
	}

	base, token := cfg.url, ""
	var srv *serve.Server
	if base == "" {
		srv, err = serve.New(serve.Options{})
		if err != nil {
			return nil, err
		}
		ln, u, err := srv.Listen("")
		if err != nil {
			return nil, err
		}
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(ln)
		defer hs.Close()
		base = u
		if cfg.prewarm {
			pctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go srv.Prewarm(pctx)
		}
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want the URL the live notebook printed, with its token", base)
	}
	token = u.Query().Get("token")
	root := u.Scheme + "://" + u.Host

	rep := &report{firstLoad: map[string]float64{}}
	var mu sync.Mutex
	client := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar, Transport: &http.Transport{DialContext: (&net.Dialer{}).DialContext, MaxIdleConnsPerHost: 4}}
		// The token travels in the first URL, then as a cookie.
		if resp, err := cl.Get(root + "/?token=" + url.QueryEscape(token)); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return cl
	}
	clients := make([]*http.Client, cfg.students)
	for i := range clients {
		clients[i] = client()
	}

	// Everyone at the defaults: one student opens each lesson, then the
	// rest at once.
	for _, l := range ls {
		t, err := load(ctx, clients[0], root, l.Meta.ID, "s0")
		if err != nil {
			return nil, fmt.Errorf("loading %s: %v", l.Meta.ID, err)
		}
		rep.firstLoad[l.Meta.ID] = t
		var wg sync.WaitGroup
		for i := 1; i < cfg.students; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t, err := load(ctx, clients[i], root, l.Meta.ID, "s"+strconv.Itoa(i))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					rep.failed = append(rep.failed, fmt.Sprintf("loading %s: %v", l.Meta.ID, err))
					return
				}
				rep.otherLoads = append(rep.otherLoads, t)
			}()
		}
		wg.Wait()
	}
	if cfg.progress != nil {
		fmt.Fprintf(cfg.progress, "loadtest: defaults loaded; %d students change parameters for %v\n", cfg.students, cfg.duration)
	}

	// Then everyone moves sliders.
	end := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for i := 0; i < cfg.students; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			student(ctx, cfg, i, clients[i], root, ls, end, rep, &mu)
		}()
	}
	if cfg.progress != nil {
		go func() {
			t := time.NewTicker(10 * time.Second)
			defer t.Stop()
			for time.Now().Before(end) {
				select {
				case <-t.C:
					mu.Lock()
					fmt.Fprintf(cfg.progress, "loadtest: %v left, %d changes measured, %d of them replaced before they finished\n", time.Until(end).Round(time.Second), len(rep.finished), rep.superseded)
					mu.Unlock()
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	wg.Wait()
	if srv != nil {
		st := srv.Stats()
		rep.stats = &st
	}
	return rep, ctx.Err()
}

// student is one simulated student changing parameters until end.
func student(ctx context.Context, cfg config, i int, cl *http.Client, root string, ls []*notebook.Lesson, end time.Time, rep *report, mu *sync.Mutex) {
	rng := rand.New(rand.NewPCG(cfg.seed, uint64(i)))
	settings := make([]map[string]string, len(ls))
	for k, l := range ls {
		settings[k] = map[string]string{}
		for _, p := range l.Params {
			settings[k][p.Name] = p.Default
		}
	}
	page := fmt.Sprintf("loadtest-%d", i)
	name := ""
	if cfg.names {
		name = fmt.Sprintf("student-%d", i+1)
	}
	var cancelPrev context.CancelFunc
	var replaced *atomic.Bool // the previous change's: set when this student's next change replaces it
	var running sync.WaitGroup
	defer running.Wait()
	wait := time.Duration(rng.Int64N(int64(cfg.maxEvery))) // the class does not start in step
	for {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		if time.Now().After(end) {
			break
		}
		k := rng.IntN(len(ls))
		l := ls[k]
		if len(l.Params) > 0 {
			p := l.Params[rng.IntN(len(l.Params))]
			settings[k][p.Name] = change(rng, p, settings[k][p.Name])
		}
		q := url.Values{"seed": {"1"}, "student": {name}, "variant": {""}, "page": {page}}
		for n, v := range settings[k] {
			q.Set(n, v)
		}
		if cancelPrev != nil {
			replaced.Store(true)
			cancelPrev() // the browser closes the old stream first
		}
		rctx, cancel := context.WithCancel(ctx)
		cancelPrev, replaced = cancel, new(atomic.Bool)
		mine := replaced
		running.Add(1)
		go func() {
			defer running.Done()
			first, done, err := stream(rctx, cl, root+"/api/run/"+l.Meta.ID+"?"+q.Encode())
			mu.Lock()
			defer mu.Unlock()
			inf := math.Inf(1)
			if first == 0 {
				first = inf
			}
			switch {
			case done > 0:
			case mine.Load():
				rep.superseded++
				done = inf
			case rctx.Err() != nil:
				rep.cutOff++
				done = inf
			default:
				rep.failed = append(rep.failed, fmt.Sprintf("%s %s: %v", l.Meta.ID, q.Encode(), err))
				return
			}
			rep.firstCell = append(rep.firstCell, first)
			rep.finished = append(rep.finished, done)
		}()
		wait = cfg.minEvery + time.Duration(rng.Int64N(int64(cfg.maxEvery-cfg.minEvery)+1))
	}
	if cancelPrev != nil {
		defer cancelPrev()
	}
	// Let the last run finish: a student who stops changing things
	// waits for it. A minute is past any target.
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
	case <-ctx.Done():
	}
}

// change returns a new value for p other than old where p has one: a
// point of the slider's grid, an option, the other truth value.
func change(rng *rand.Rand, p notebook.ParamSpec, old string) string {
	canon := func(v string) string {
		c, err := p.Parse(v)
		if err != nil {
			return v
		}
		return c
	}
	for try := 0; try < 20; try++ {
		if v := draw(rng, p, old); canon(v) != canon(old) {
			return v
		}
	}
	return old
}

// draw returns a value p can take: a point of the slider's grid, an
// option, the other truth value.
func draw(rng *rand.Rand, p notebook.ParamSpec, old string) string {
	switch p.Type {
	case notebook.BoolParam:
		if old == "true" {
			return "false"
		}
		return "true"
	case notebook.ChoiceParam:
		if len(p.Options) == 0 {
			return old
		}
		return p.Options[rng.IntN(len(p.Options))]
	case notebook.IntParam:
		lo, err1 := strconv.Atoi(p.Min)
		hi, err2 := strconv.Atoi(p.Max)
		if err1 != nil || err2 != nil || hi <= lo {
			return old
		}
		return strconv.Itoa(lo + rng.IntN(hi-lo+1))
	case notebook.FloatParam:
		lo, err1 := strconv.ParseFloat(p.Min, 64)
		hi, err2 := strconv.ParseFloat(p.Max, 64)
		if err1 != nil || err2 != nil || !(hi > lo) {
			return old
		}
		step, err := strconv.ParseFloat(render.SliderStep(p.Min, p.Max, p.Default), 64)
		if err != nil {
			step = (hi - lo) / 50
		}
		n := int((hi-lo)/step + 0.5)
		return strconv.FormatFloat(lo+float64(rng.IntN(n+1))*step, 'g', 10, 64)
	}
	return old
}

// load opens a lesson's page as a browser would: the page, then, if it
// came before its run, the stream that fills it in. It returns the time
// until the lesson shows whole.
func load(ctx context.Context, cl *http.Client, root, id, page string) (float64, error) {
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, "GET", root+"/lesson/"+id, nil)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d %v", resp.StatusCode, err)
	}
	if !strings.Contains(string(body), `data-pending="1"`) {
		return time.Since(t0).Seconds(), nil
	}
	q := url.Values{"seed": {"1"}, "student": {""}, "variant": {""}, "page": {page}}
	_, done, err := stream(ctx, cl, root+"/api/run/"+id+"?"+q.Encode())
	if done == 0 {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// stream reads a run's events and returns the seconds to the first
// updated cell and to "done" (zero when it did not come).
func stream(ctx context.Context, cl *http.Client, u string) (first, done float64, err error) {
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := cl.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		ev, ok := strings.CutPrefix(sc.Text(), "event: ")
		if !ok {
			continue
		}
		switch ev {
		case "item":
			if first == 0 {
				first = time.Since(t0).Seconds()
			}
		case "done":
			done = time.Since(t0).Seconds()
			if first == 0 {
				first = done
			}
			return first, done, nil
		case "broken", "failure":
			return first, 0, errors.New("the run ended with " + ev)
		}
	}
	if err := sc.Err(); err != nil {
		return first, 0, err
	}
	return first, 0, errors.New("the stream ended without a finished page")
}

// quantiles returns the 50th and 95th percentiles and the maximum.
func quantiles(xs []float64) (p50, p95, top float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(0.5, stat.Empirical, s, nil), stat.Quantile(0.95, stat.Empirical, s, nil), s[len(s)-1]
}

func (r *report) targets() []target {
	_, cellP95, _ := quantiles(r.firstCell)
	_, doneP95, _ := quantiles(r.finished)
	_, _, loadMax := quantiles(r.otherLoads)
	return []target{
		{"change → first output, 95th percentile", cellP95, 1},
		{"change → finished lesson, 95th percentile", doneP95, 3},
		{"a load at the defaults after the first, slowest", loadMax, 0.1},
	}
}

// seconds formats a time, ∞ for one that never came.
func seconds(x float64) string {
	if math.IsInf(x, 1) {
		return "∞"
	}
	return fmt.Sprintf("%.3f s", x)
}

func (r *report) print(w io.Writer, cfg config) {
	fmt.Fprintf(w, "loadtest: %d students, lessons %s, changes every %v-%v for %v, on %d cores (%s)\n\n",
		cfg.students, strings.Join(cfg.lessons, " "), cfg.minEvery, cfg.maxEvery, cfg.duration, runtime.NumCPU(), cpuModel())
	fmt.Fprintln(w, "at the defaults")
	for _, id := range slices.Sorted(maps.Keys(r.firstLoad)) {
		fmt.Fprintf(w, "  first load of %-32s %6.3f s\n", id, r.firstLoad[id])
	}
	p50, p95, top := quantiles(r.otherLoads)
	fmt.Fprintf(w, "  the other %d loads: p50 %.3f s, p95 %.3f s, max %.3f s\n\n", len(r.otherLoads), p50, p95, top)
	fmt.Fprintf(w, "changing parameters: %d changes, %d finished, %d replaced by the student's next change first, %d cut off at the end, %d failed\n",
		len(r.finished)+len(r.failed), len(r.finished)-r.superseded-r.cutOff, r.superseded, r.cutOff, len(r.failed))
	fmt.Fprintln(w, "  (a change that never finished counts as ∞)")
	p50, p95, top = quantiles(r.firstCell)
	fmt.Fprintf(w, "  change → first output of the rerun: p50 %s, p95 %s, max %s\n", seconds(p50), seconds(p95), seconds(top))
	p50, p95, top = quantiles(r.finished)
	fmt.Fprintf(w, "  change → finished lesson:           p50 %s, p95 %s, max %s\n", seconds(p50), seconds(p95), seconds(top))
	var done []float64
	for _, d := range r.finished {
		if !math.IsInf(d, 1) {
			done = append(done, d)
		}
	}
	p50, p95, top = quantiles(done)
	fmt.Fprintf(w, "  of the changes that finished:       p50 %s, p95 %s, max %s\n", seconds(p50), seconds(p95), seconds(top))
	for i, f := range r.failed {
		if i == 5 {
			fmt.Fprintf(w, "    … and %d more\n", len(r.failed)-5)
			break
		}
		fmt.Fprintf(w, "    %s\n", f)
	}
	if r.stats != nil {
		fmt.Fprintf(w, "\nserver: %d runs for students and %d prewarming, %d requests served by a finished run or one under way, at most %d runs at once, %d results cached (%.1f MiB)\n",
			r.stats.Runs, r.stats.Prewarmed, r.stats.Served, r.stats.Peak, r.stats.Cached, float64(r.stats.CachedBytes)/(1<<20))
	}
	fmt.Fprintln(w, "\nissue 27's targets")
	for _, t := range r.targets() {
		verdict := "met"
		if t.value > t.limit {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  %-50s %8s (target ≤ %g s): %s\n", t.what, seconds(t.value), t.limit, verdict)
	}
}

// cpuModel names the processor, for the report.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
