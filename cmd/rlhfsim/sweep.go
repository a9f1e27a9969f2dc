package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/plots/standard"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/sweep"
)

type sweepOptions struct {
	prompts, seeds, betas, methods, algos, models, ensembles string
	memory                                                   string
	kind, agg                                                string
	workers                                                  int
	out                                                      string
	// c is every run's configuration before the grid's axes apply; its
	// numbers are flags from pipeline.Params.
	c      pipeline.Config
	params paramFlags
}

// sweepParams are the numbers every run of a sweep shares.
var sweepParams = []string{"steps", "policy-prompts", "k", "ensemble-k"}

func newSweepCmd() *cobra.Command {
	d := pipeline.Default()
	o := &sweepOptions{prompts: "200,2000,20000", seeds: "1,2,3", kind: string(d.Policy.Kind), out: "rlhfsim-sweep", c: d}
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run a grid of pipelines on all cores and plot how the gold peak moves",
		Long: `sweep runs the pipeline for every combination of the listed values, in
parallel on all cores, and writes sweep.csv (one tidy row per run),
sweep.json (the same with each run's trajectory) and three figures: gold
against sqrt(KL) for each setting with its fitted Gao law, and the peak gold
gain and the KL at the peak against the data size. Results do not depend
on --workers. An axis left empty keeps the pipeline's default; the
best-of-n sweep is left out, as it does not depend on the grid's policy
settings.`,
		Example: `  rlhfsim sweep
  rlhfsim sweep --prompts 500,5000 --betas 0.05,0.2,0.8 --seeds 1,2
  rlhfsim sweep --policy pool --methods rlhf,dpo --prompts 200,2000
  rlhfsim sweep --ensembles 1,5 --ensemble-agg lcb --prompts 2000 --out ens`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSweep(cmd, o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.prompts, "prompts", o.prompts, fmt.Sprintf("preference-data prompts, comma-separated (%d to %v each)", minSweepPrompts, param("prompts").Max))
	fs.StringVar(&o.seeds, "seeds", o.seeds, "seeds, comma-separated")
	fs.StringVar(&o.betas, "betas", "", "KL coefficients, comma-separated ("+param("beta").Range()+" each)")
	fs.StringVar(&o.methods, "methods", "", "methods: "+enum.List(pipeline.Methods()...))
	fs.StringVar(&o.algos, "algos", "", "RL algorithms: "+enum.List(policy.Algos()...))
	fs.StringVar(&o.models, "models", "", "reward models: "+enum.List(reward.Kinds()...))
	fs.StringVar(&o.ensembles, "ensembles", "", fmt.Sprintf("ensemble sizes, comma-separated (0 or 1: one model; up to %d)", pipeline.MaxEnsemble))
	fs.StringVar(&o.agg, "ensemble-agg", string(reward.Mean), "how every ensemble combines scores: "+enum.List(reward.Aggregates()...))
	fs.StringVar(&o.kind, "policy", o.kind, "policy of every run: "+enum.List(pipeline.PolicyKinds()...))
	o.params.register(fs, &o.c, func(p pipeline.Param) bool { return slices.Contains(sweepParams, p.Name) }, nil)
	fs.StringVar(&o.memory, "memory", defaultMemory, "memory budget of the whole sweep: settings estimated to need more are refused before anything runs (lowered to what the machine has available)")
	fs.IntVar(&o.workers, "workers", 0, "runs at once; 0 uses every core")
	fs.StringVar(&o.out, "out", o.out, "directory for sweep.csv, sweep.json and the figures")
	return cmd
}

// minSweepPrompts is the smallest data size of a sweep's cell: fewer
// prompts leave a split without pairs.
const minSweepPrompts = 10

// param is the pipeline parameter called name.
func param(name string) pipeline.Param {
	for _, p := range pipeline.Params() {
		if p.Name == name {
			return p
		}
	}
	panic("pipeline.Params has no " + name)
}

// list parses a comma-separated flag; an empty flag is an empty axis.
func list[T any](flag, s string, parse func(string) (T, error)) ([]T, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, usagef("invalid --%s %q: %v", flag, s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func intIn(lo, hi int) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not an integer from %d to %d", s, lo, hi)
		}
		return n, nil
	}
}

func optionOf[T ~string](validate func(T) error) func(string) (T, error) {
	return func(s string) (T, error) { return T(s), validate(T(s)) }
}

func (o *sweepOptions) grid() (pipeline.Config, sweep.Grid, error) {
	var g sweep.Grid
	// Each list is parsed; the first bad flag, in the order of --help, is
	// the one reported.
	var errs [7]error
	g.Prompts, errs[0] = list("prompts", o.prompts, intIn(minSweepPrompts, int(param("prompts").Max)))
	g.Seeds, errs[1] = list("seeds", o.seeds, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) })
	g.Betas, errs[2] = list("betas", o.betas, func(s string) (float64, error) {
		b, err := strconv.ParseFloat(s, 64)
		if p := param("beta"); err != nil || !p.In(b) {
			return 0, fmt.Errorf("%q is not a number from %s", s, p.Range())
		}
		return b, nil
	})
	g.Methods, errs[3] = list("methods", o.methods, optionOf(pipeline.ValidateMethod))
	g.Algos, errs[4] = list("algos", o.algos, optionOf(policy.Algo.Validate))
	g.Models, errs[5] = list("models", o.models, optionOf(reward.Kind.Validate))
	g.Ensembles, errs[6] = list("ensembles", o.ensembles, intIn(0, pipeline.MaxEnsemble))
	for _, err := range append(errs[:],
		option("policy", pipeline.PolicyKind(o.kind).Validate()),
		o.params.validate(),
		checkIntRange("workers", o.workers, 0, 1024),
		option("ensemble-agg", reward.Aggregate(o.agg).Validate()),
	) {
		if err != nil {
			return pipeline.Config{}, g, err
		}
	}
	c := o.c
	c.RM.Aggregate = reward.Aggregate(o.agg)
	c.Policy.Kind, c.Policy.BoN = pipeline.PolicyKind(o.kind), nil
	// Validate refuses too many runs and every invalid cell before any
	// file is written.
	if err := g.Validate(c); err != nil {
		return c, g, usageError{err}
	}
	// Each worker holds one run's data at a time: the largest run, times
	// the workers that may hold one at once.
	var most int64
	for _, cell := range g.Cells(c) {
		cc := cell.Config(c)
		most = max(most, cc.Data.MemoryEstimate()+cc.Policy.MemoryEstimate())
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.NumCPU()
	}
	if err := checkMemory(most*int64(min(workers, len(g.Cells(c)))), o.memory, "--prompts, --k, --policy-prompts or --workers"); err != nil {
		return c, g, err
	}
	return c, g, nil
}

func runSweep(cmd *cobra.Command, o *sweepOptions) error {
	base, g, err := o.grid()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return usagef("creating --out: %v", err)
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.NumCPU()
	}
	n := len(g.Cells(base))
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "sweep: %d %s on %d %s\n", n, plural(n, "run"), workers, plural(workers, "worker"))
	pr := newProgress(cmd.ErrOrStderr())
	rows, err := sweep.Run(base, g, workers, func(done, total int) { pr.update("runs", done, total) })
	pr.done()
	if err != nil {
		if errors.Is(err, sweep.ErrGrid) {
			return usageError{err}
		}
		return err
	}
	var csv bytes.Buffer
	if err := sweep.WriteCSV(&csv, rows); err != nil {
		return err
	}
	if err := fileio.WriteBytes(filepath.Join(o.out, "sweep.csv"), csv.Bytes()); err != nil {
		return usagef("writing --out: %v", err)
	}
	type runJSON struct {
		sweep.Row
		Steps []policy.Step `json:"steps"`
	}
	js := make([]runJSON, len(rows))
	for i, r := range rows {
		js[i] = runJSON{r, r.Steps}
	}
	var jb bytes.Buffer
	if err := writeJSON(&jb, js); err != nil {
		return err
	}
	if err := fileio.WriteBytes(filepath.Join(o.out, "sweep.json"), jb.Bytes()); err != nil {
		return usagef("writing --out: %v", err)
	}
	names, err := writeSweepFigures(o.out, rows)
	if err != nil {
		return err
	}
	printSweep(w, rows)
	fmt.Fprintf(w, "\nwrote sweep.csv, sweep.json and %s to %s\n", strings.Join(names, ", "), o.out)
	return nil
}

func printSweep(w io.Writer, rows []sweep.Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "setting\tprompts\tseeds\tRM test acc\tpeak gold gain\tpeak KL\tfinal gold gain\tfinal KL\t")
	for _, g := range sweep.Groups(rows) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%+.3f\t%.2f\t%+.3f\t%.2f\t\n", g.Setting, g.Prompts, len(g.Rows),
			g.RMTestAccuracy, g.PeakGoldGain, g.PeakKL, g.FinalGoldGain, g.FinalKL)
	}
	tw.Flush()
	fmt.Fprintln(w, "(means over seeds; gains are over the base policy)")
}

// writeSweepFigures writes the sweep's figures (standard.Sweep) as SVG.
func writeSweepFigures(dir string, rows []sweep.Row) ([]string, error) {
	figs, err := standard.Sweep(sweep.Groups(rows), plots.Slide())
	if err != nil {
		return nil, err
	}
	return writeFigures(dir, figs)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
