package site

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"net/http/httptest"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// changed picks one parameter of a lesson and a value other than its
// default, cheap to run: another option of a choice, the other value of
// a flag, or a number a quarter of the way towards its minimum (a tenth
// towards its maximum when the default is the minimum), on its slider's
// grid.
func changed(l *notebook.Lesson) (name, value string, ok bool) {
	for _, p := range l.Params {
		switch p.Type {
		case notebook.ChoiceParam:
			for _, o := range p.Options {
				if o != p.Default {
					return p.Name, o, true
				}
			}
		case notebook.BoolParam:
			return p.Name, strconv.FormatBool(p.Default != "true"), true
		}
	}
	for _, p := range l.Params {
		lo, err1 := strconv.ParseFloat(p.Min, 64)
		hi, err2 := strconv.ParseFloat(p.Max, 64)
		d, err3 := strconv.ParseFloat(p.Default, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		x := d - (d-lo)/4
		if d == lo {
			x = d + (hi-d)/10
		}
		if p.Type == notebook.IntParam {
			x = math.Round(x)
			if x == d && d > lo {
				x = d - 1
			} else if x == d {
				x = d + 1
			}
			return p.Name, strconv.Itoa(int(x)), true
		}
		// On the slider's grid, or the browser snaps it to another value.
		if st, err := strconv.ParseFloat(render.SliderStep(p.Min, p.Max, p.Default), 64); err == nil {
			x = lo + math.Round((x-lo)/st)*st
		}
		if x == d {
			continue
		}
		return p.Name, strconv.FormatFloat(x, 'g', 6, 64), true
	}
	return "", "", false
}

var number = regexp.MustCompile(`[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?`)

// agree compares two pages' outputs: identical, or the same words with
// every number within a relative 1e-6 (six significant digits), where
// numbers of magnitude below 1e-6 are numerical residuals compared as
// zero (a centred mean printed as -0.000 on one platform and +0.000 on
// the other, 1e-15 against 2e-15, or a distance to an optimum found
// numerically, 1.1e-9 against 1.3e-9). It returns the first difference,
// or "" when they agree.
func agree(native, browser []string) (identical bool, diff string) {
	if strings.Join(native, "\x00") == strings.Join(browser, "\x00") {
		return true, ""
	}
	if len(native) != len(browser) {
		return false, fmt.Sprintf("%d outputs natively, %d in the browser", len(native), len(browser))
	}
	for i := range native {
		a, b := native[i], browser[i]
		if a == b {
			continue
		}
		if number.ReplaceAllString(a, "#") != number.ReplaceAllString(b, "#") {
			return false, fmt.Sprintf("output %d: %q against %q", i, a, b)
		}
		na, nb := number.FindAllString(a, -1), number.FindAllString(b, -1)
		for j := range na {
			x, _ := strconv.ParseFloat(na[j], 64)
			y, _ := strconv.ParseFloat(nb[j], 64)
			zero := math.Abs(x) < 1e-6 && math.Abs(y) < 1e-6
			if x != y && !zero && math.Abs(x-y) > 1e-6*math.Max(math.Abs(x), math.Abs(y)) {
				return false, fmt.Sprintf("output %d: %s against %s in %q", i, na[j], nb[j], a)
			}
		}
	}
	return false, ""
}

const outputsJS = `Array.from(document.querySelectorAll('main .out, main .check, main table.nbt, main .quiz, main figcaption, main .error, main .notrun')).map(e=>e.textContent)`

// TestSiteMatchesNativeRuns runs every lesson in headless Chromium, at its
// defaults and with one parameter changed, and compares each output with
// a native run's: the same self-checks pass and every number agrees to
// six significant digits. It logs the times: native on both cores, native
// on one core (the browser gives a lesson one thread), in the browser. It
// takes several minutes, so it runs only with RLHFSIM_SITE_FIDELITY=1;
// RLHFSIM_SITE_REPORT=FILE writes its table there.
func TestSiteMatchesNativeRuns(t *testing.T) {
	if os.Getenv("RLHFSIM_SITE_FIDELITY") != "1" {
		t.Skip("set RLHFSIM_SITE_FIDELITY=1 to compare every lesson in the browser with its native run (several minutes)")
	}
	c, err := course.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	sel := c.Lessons
	if ids := os.Getenv("RLHFSIM_SITE_LESSONS"); ids != "" {
		if sel, err = c.Select(strings.Fields(ids)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if _, err := Build(context.Background(), c, sel, Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	// Native runs one after another, each alone on the machine, for the
	// times; the changed runs' pages are written beside the others.
	type row struct {
		id, name, value        string
		native, nativeChanged  time.Duration
		oneCore                time.Duration
		browser, browserChange float64
		same                   [2]string
	}
	rows := make([]*row, len(sel))
	for i, l := range sel {
		r := &row{id: l.Meta.ID}
		rows[i] = r
		res := worker.Run(context.Background(), l, worker.Options{})
		r.native = res.Duration
		// The browser gives a lesson one thread: the same run natively
		// on one core says how much of the gap is the second core.
		os.Setenv("GOMAXPROCS", "1")
		r.oneCore = worker.Run(context.Background(), l, worker.Options{}).Duration
		os.Unsetenv("GOMAXPROCS")
		name, value, ok := changed(l)
		if !ok {
			continue
		}
		r.name, r.value = name, value
		res = worker.Run(context.Background(), l, worker.Options{Set: map[string]string{name: value}})
		r.nativeChanged = res.Duration
		b, err := Page(res, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, l.Meta.ID+".changed.html"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	ctx, _ := browser(t, 40*time.Minute)
	took := regexp.MustCompile(`ran in this browser in ([0-9.]+) s`)
	// rerun loads page, reads its native outputs, reruns it in the browser
	// by an input event on control, and compares.
	rerun := func(page, control string) (string, float64, error) {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"+page)); err != nil {
			return "", 0, err
		}
		if err := until(ctx, `document.getElementById('controls') !== null`, 20*time.Second); err != nil {
			return "", 0, err
		}
		native, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](outputsJS))
		if err != nil {
			return "", 0, err
		}
		// Time the run from a warm start: the runtime compiled, the
		// next lesson worker waiting.
		if err := until(ctx, `window.rlhfsimWarm === true`, 2*time.Minute); err != nil {
			return "", 0, err
		}
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('p-`+control+`').dispatchEvent(new Event('input',{bubbles:true})); undefined`)); err != nil {
			return "", 0, err
		}
		if err := until(ctx, `/ran in this browser|stopped|does not load|Failed|Not run/.test(document.getElementById('status').textContent)`, 10*time.Minute); err != nil {
			return "", 0, err
		}
		status, _ := chromedp.Run(ctx, chromedp.Text(`#status`))
		m := took.FindStringSubmatch(status)
		if m == nil {
			return "", 0, fmt.Errorf("%s: %s", page, status)
		}
		secs, _ := strconv.ParseFloat(m[1], 64)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](outputsJS))
		if err != nil {
			return "", 0, err
		}
		identical, diff := agree(native, got)
		switch {
		case diff != "":
			return "", secs, fmt.Errorf("%s: %s", page, diff)
		case identical:
			return "identical", secs, nil
		}
		return "within 1e-6", secs, nil
	}
	for _, r := range rows {
		var err error
		r.same[0], r.browser, err = rerun(r.id+".html", "seed")
		if err != nil {
			t.Errorf("%s at its defaults: %v", r.id, err)
		}
		if r.name == "" {
			continue
		}
		r.same[1], r.browserChange, err = rerun(r.id+".changed.html", r.name)
		if err != nil {
			t.Errorf("%s with %s=%s: %v", r.id, r.name, r.value, err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| lesson | native (s) | one core (s) | browser (s) | ratio | outputs | changed | native (s) | browser (s) | ratio | outputs |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.1f | %.1f | %s | %s=%s | %.2f | %.1f | %.1f | %s |\n", r.id[:2], r.native.Seconds(), r.oneCore.Seconds(), r.browser, r.browser/r.native.Seconds(), r.same[0],
			r.name, r.value, r.nativeChanged.Seconds(), r.browserChange, r.browserChange/max(r.nativeChanged.Seconds(), 1e-9), r.same[1])
	}
	t.Logf("\n%s", b.String())
	if f := os.Getenv("RLHFSIM_SITE_REPORT"); f != "" {
		os.WriteFile(f, []byte(b.String()), 0o644)
	}
}

// TestAgree checks the comparison itself on cases worked by hand.
func TestAgree(t *testing.T) {
	for _, c := range []struct {
		a, b      string
		identical bool
		ok        bool
	}{
		{"gold 1.234567", "gold 1.234567", true, true},
		{"gold 1.2345678", "gold 1.2345679", false, true},     // 8e-8 relative
		{"gold 1.23456", "gold 1.23457", false, false},        // 8e-6 relative
		{"mean -0.000", "mean +0.000", false, true},           // a zero's sign
		{"mean -1.22e-15", "mean -2.13e-15", false, true},     // a zero's rounding
		{"distance 1.1e-09", "distance 1.3e-09", false, true}, // a residual
		{"mean -1.22e-5", "mean -2.13e-5", false, false},      // not a zero
		{"accuracy 0.753", "precision 0.753", false, false},   // the words differ
	} {
		identical, diff := agree([]string{c.a}, []string{c.b})
		if identical != c.identical || (diff == "") != c.ok {
			t.Errorf("agree(%q, %q) = %v, %q", c.a, c.b, identical, diff)
		}
	}
}
