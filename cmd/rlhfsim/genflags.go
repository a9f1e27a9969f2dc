package main

import (
	"math"

	"github.com/spf13/pflag"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// genFlags are the flags that generate a preference dataset, shared by every
// command that can make its own data. The numbers are pipeline.Params,
// written into c.Data; the defaults are pipeline.Default's, except the
// number of prompts, which is prefs' default of 1,000 unless a command
// says otherwise.
type genFlags struct {
	c      *pipeline.Config
	params paramFlags
	gold   string
	memory string
}

func defaultGenFlags() genFlags {
	c := pipeline.Default()
	dp, _ := (&prefs.Settings{}).Resolve()
	c.Data.Prompts = dp.Prompts
	return genFlags{c: &c, gold: string(c.Data.Gold), memory: defaultMemory}
}

// quirk is a student's hidden annotator taste: it means something only in
// a student's variant of the world, which the command line does not set.
const quirk = "quirk"

func (g *genFlags) register(fs *pflag.FlagSet) {
	fs.Uint64Var(&g.c.Seed, "seed", g.c.Seed, "random seed: the same seed gives byte-identical output")
	g.params.register(fs, g.c, func(p pipeline.Param) bool {
		return p.Part == pipeline.PartData && p.Name != quirk && p.Name != distractors
	}, nil)
	fs.StringVar(&g.gold, "gold", g.gold, "hidden gold reward: "+enum.List(world.GoldNames()...)+" (concave in length, or not)")
	fs.StringVar(&g.memory, "memory", g.memory, "memory budget: settings estimated to need more are refused before anything runs (lowered to what the machine has available)")
}

// firstError returns the first of errs that is not nil: flag checks are
// listed in the order of the help text, and the first failure is
// reported.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkRange reports a flag value outside [lo, hi] or not finite.
func checkRange(flag string, v, lo, hi float64) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return usagef("invalid --%s %v: must be from %v to %v", flag, v, lo, hi)
	}
	return nil
}

func checkIntRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usagef("invalid --%s %d: must be an integer from %d to %d", flag, v, lo, hi)
	}
	return nil
}

func (g *genFlags) validate() error {
	if err := g.params.validate(); err != nil {
		return err
	}
	if err := option("gold", world.GoldName(g.gold).Validate()); err != nil {
		return err
	}
	if r, err := g.c.Data.Settings.Resolve(); err != nil || r.Val+r.Test >= 0.9 {
		return usagef("invalid --val %v with --test %v: together they must leave at least 10%% of the prompts for training", r.Val, r.Test)
	}
	return nil
}

// checkMemory refuses settings that would need more memory than the
// budget, counting distractor features the command will add.
func (g *genFlags) checkMemory(distractors int) error {
	c := g.config()
	c.Distractors = distractors
	return checkMemory(c.MemoryEstimate(), g.memory, "--prompts or --k")
}

// config returns the flags as a pipeline data configuration.
func (g *genFlags) config() pipeline.Data {
	d := g.c.Data
	d.Gold = world.GoldName(g.gold)
	d.Distractors = 0 // train adds them to generated and read data alike
	return d
}

// generate validates the flags and builds the world and the dataset.
func (g *genFlags) generate() (*pipeline.Generated, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if err := g.checkMemory(0); err != nil {
		return nil, err
	}
	return g.config().Generate(g.c.Seed)
}
