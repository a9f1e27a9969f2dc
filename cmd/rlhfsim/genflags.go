package main

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// genFlags are the flags that generate a preference dataset, shared by every
// command that can make its own data.
type genFlags struct {
	seed         uint64
	prompts, k   int
	tau          float64
	lengthBias   float64
	positionBias float64
	flattery     float64
	annotators   int
	tauSpread    float64
	gold         string
	val, test    float64
	memory       string
}

func defaultGenFlags() genFlags {
	return genFlags{seed: 1, prompts: 1000, k: 4, tau: 1, annotators: 1, gold: "default", val: 0.1, test: 0.1, memory: defaultMemory}
}

func (g *genFlags) register(fs *pflag.FlagSet) {
	fs.Uint64Var(&g.seed, "seed", g.seed, "random seed: the same seed gives byte-identical output")
	fs.IntVar(&g.prompts, "prompts", g.prompts, "number of prompts (1 to 1000000)")
	fs.IntVar(&g.k, "k", g.k, fmt.Sprintf("responses ranked per prompt (2 to %d)", prefs.MaxK))
	fs.Float64Var(&g.tau, "tau", g.tau, "annotator temperature (0 = perfect, large = coin flips; 0 to 100)")
	fs.Float64Var(&g.lengthBias, "length-bias", g.lengthBias, "annotator utility added per log token of length (-10 to 10)")
	fs.Float64Var(&g.positionBias, "position-bias", g.positionBias, "annotator utility added to the response shown first (-10 to 10)")
	fs.Float64Var(&g.flattery, "flattery-bias", g.flattery, "annotator utility added per unit of flattery (-10 to 10)")
	fs.IntVar(&g.annotators, "annotators", g.annotators, "number of annotators; each has its own rating offset and scale (1 to 100)")
	fs.Float64Var(&g.tauSpread, "tau-spread", g.tauSpread, "log-sd of the annotators' temperatures around --tau (0 to 2)")
	fs.StringVar(&g.gold, "gold", g.gold, "hidden gold reward: "+enum.List(world.GoldNames()...)+" (concave in length, or not)")
	fs.Float64Var(&g.val, "val", g.val, "fraction of prompts held out for validation (0 to 0.5)")
	fs.Float64Var(&g.test, "test", g.test, "fraction of prompts held out for test (0 to 0.5)")
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
	if err := firstError(
		checkIntRange("prompts", g.prompts, 1, 1_000_000),
		checkIntRange("k", g.k, 2, prefs.MaxK),
		checkRange("tau", g.tau, 0, 100),
		checkRange("length-bias", g.lengthBias, -10, 10),
		checkRange("position-bias", g.positionBias, -10, 10),
		checkRange("flattery-bias", g.flattery, -10, 10),
		checkIntRange("annotators", g.annotators, 1, 100),
		checkRange("tau-spread", g.tauSpread, 0, 2),
		checkRange("val", g.val, 0, 0.5),
		checkRange("test", g.test, 0, 0.5),
	); err != nil {
		return err
	}
	if err := option("gold", world.GoldName(g.gold).Validate()); err != nil {
		return err
	}
	if g.val+g.test >= 0.9 {
		return usagef("invalid --val %v with --test %v: together they must leave at least 10%% of the prompts for training", g.val, g.test)
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
	return pipeline.Data{Prompts: g.prompts, K: g.k, Tau: g.tau, LengthBias: g.lengthBias,
		PositionBias: g.positionBias, FlatteryBias: g.flattery, Annotators: g.annotators,
		TauSpread: g.tauSpread, Gold: world.GoldName(g.gold), Val: g.val, Test: g.test}
}

// generate validates the flags and builds the world and the dataset.
func (g *genFlags) generate() (*pipeline.Generated, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if err := g.checkMemory(0); err != nil {
		return nil, err
	}
	return g.config().Generate(g.seed)
}
