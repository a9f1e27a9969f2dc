package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// TestALoadTestMeasuresAClass runs a tiny class on the tour lesson: the
// second student's load at the defaults comes from the cache, every
// change is measured, and the report prints the targets.
func TestALoadTestMeasuresAClass(t *testing.T) {
	cfg := config{students: 2, lessons: []string{"00"}, duration: 2 * time.Second, minEvery: 300 * time.Millisecond, maxEvery: 600 * time.Millisecond, seed: 1}
	rep, err := loadTest(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.firstLoad) != 1 || len(rep.otherLoads) != 1 || len(rep.failed) != 0 {
		t.Fatalf("loads %v then %v, failures %v", rep.firstLoad, rep.otherLoads, rep.failed)
	}
	finite := 0
	for _, d := range rep.finished {
		if !math.IsInf(d, 1) {
			finite++
		}
	}
	if finite == 0 || len(rep.firstCell) != len(rep.finished) || finite+rep.superseded+rep.cutOff != len(rep.finished) {
		t.Errorf("%d changes measured, %d finished, %d replaced, %d cut off, %d first outputs", len(rep.finished), finite, rep.superseded, rep.cutOff, len(rep.firstCell))
	}
	if rep.stats == nil || rep.stats.Served < 1 || rep.stats.Runs < 1 {
		t.Errorf("server stats %+v: want the second load served from the cache", rep.stats)
	}
	var b bytes.Buffer
	rep.print(&b, cfg)
	for _, want := range []string{"first load of 00-notebook-tour", "change → finished lesson", "issue 27's targets", "p95"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := loadTest(context.Background(), config{students: 1, lessons: []string{"99"}, duration: time.Second, minEvery: time.Second, maxEvery: time.Second}); err == nil || !strings.Contains(err.Error(), `no lesson "99"`) {
		t.Errorf("an unknown lesson: %v", err)
	}
}

// TestChangesStayOnTheControlsGrid: a simulated student picks only
// values the page's controls can take.
func TestChangesStayOnTheControlsGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range []notebook.ParamSpec{
		{Type: notebook.FloatParam, Min: "0", Max: "1", Default: "0.5"},
		{Type: notebook.FloatParam, Min: "0.1", Max: "3", Default: "1"},
		{Type: notebook.IntParam, Min: "2", Max: "5", Default: "3"},
		{Type: notebook.ChoiceParam, Options: []string{"a", "b"}, Default: "a"},
		{Type: notebook.BoolParam, Default: "false"},
	} {
		seen := map[string]bool{}
		for i := 0; i < 500; i++ {
			v := change(rng, p, p.Default)
			if _, err := p.Parse(v); err != nil {
				t.Fatalf("%+v: %q: %v", p, v, err)
			}
			seen[v] = true
		}
		// The page's slider over [0, 1] with default 0.5 steps by 0.02
		// (render.SliderStep: the range over 50).
		if p.Type == notebook.FloatParam {
			lo, _ := strconv.ParseFloat(p.Min, 64)
			for v := range seen {
				x, _ := strconv.ParseFloat(v, 64)
				if k := (x - lo) / 0.02; p.Max == "1" && (k-float64(int(k+0.5)))*(k-float64(int(k+0.5))) > 1e-12 {
					t.Errorf("%q is off the slider's grid of 0.02", v)
				}
			}
		}
		if seen[p.Default] {
			t.Errorf("%+v: a change from %s kept it", p, p.Default)
		}
		if p.Type != notebook.BoolParam && p.Type != notebook.ChoiceParam && len(seen) < 2 {
			t.Errorf("%+v: only %v", p, seen)
		}
	}
}
