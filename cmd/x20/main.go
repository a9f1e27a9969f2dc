package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/represent"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func main() {
	seed, _ := strconv.Atoi(os.Args[1])
	nuis, _ := strconv.Atoi(os.Args[2])
	s := uint64(seed)
	l2, _ := strconv.ParseFloat(os.Args[3], 64)
	width, _ := strconv.Atoi(os.Args[4])
	c := pipeline.Default()
	if l2 > 0 {
		c.RM.Settings.Optimizer = reward.LBFGS
		c.RM.Objective.L2 = l2
	}
	c.Seed = s
	// unlabelled responses for pretraining and the observer's standardisation
	pre := c
	pre.Data.Prompts = 1000
	pg := must(pre.Data.Generate(s*7 + 1))
	obs := must(represent.NewObserver(pg.Data.Phi, pg.Data.D(), &represent.Settings{Nuisance: nuis, Width: width}, rng.Stream(s, "obs")))
	W := obs.Width()
	k := pg.Data.D()
	pt := must(represent.Pretrain(obs.Observations(pg.Data, rng.Stream(s, "preobs")), W, k))
	rp := must(represent.Random(W, k, rng.Stream(s, "rand")))
	ev := c
	ev.Data.Prompts = 2000
	ev.Data.Test = 0.8
	eg := must(ev.Data.Generate(s*7 + 2))
	evObs := obs.Observations(eg.Data, rng.Stream(s, "evobs"))
	views := func(d *prefs.Dataset, x []float64) map[string]*prefs.Dataset {
		return map[string]*prefs.Dataset{
			"features": d,
			"raw":      must(represent.Apply(d, x, W, "x")),
			"pretrain": must(represent.Apply(d, pt.Map(x), k, "h")),
			"random":   must(represent.Apply(d, rp.Map(x), k, "r")),
		}
	}
	evViews := views(eg.Data, evObs)
	names := []string{"features", "pretrain", "raw", "random"}
	fmt.Printf("%6s", "n")
	for _, nm := range names {
		fmt.Printf(" %9s", nm)
	}
	fmt.Println()
	for _, n := range []int{25, 50, 100, 200, 400, 800, 1600, 3200} {
		tc := c
		tc.Data.Prompts = n
		g := must(tc.Data.Generate(s*1000 + uint64(n)))
		x := obs.Observations(g.Data, rng.Stream(s, "trobs"))
		vs := views(g.Data, x)
		fmt.Printf("%6d", n)
		for _, nm := range names {
			tr := must(c.RM.Train(vs[nm], s))
			m := must(reward.Evaluate(tr.Scorer.Model, evViews[nm], tr.Result.Objective))
			fmt.Printf(" %.3f/%.3f", m.GoldAgreement, m.TestAccuracy)
		}
		fmt.Println()
	}
}
