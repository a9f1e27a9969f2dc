package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/plots/standard"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/seq"
)

// seqPRM names the learned process reward model among the rewards the
// seq command compares; the engine's process reward with a PRM set.
const seqPRM = "prm"

var seqRewardNames = map[string]string{
	string(seq.Outcome): "outcome (verdict at the end)",
	string(seq.Process): "process (exact step labels)",
	seqPRM:              "process (learned PRM)",
}

type seqOptions struct {
	seed                    uint64
	rewards                 string
	prompts, updates, batch int
	lr, beta                float64
	maxSteps                int
	rightSound, rightLucky  float64
	rightShort              float64
	fn, fp, weak            float64
	labels                  int
	labelNoise              float64
	memory                  string
	asJSON                  bool
	out                     string
}

func newSeqCmd() *cobra.Command {
	o := &seqOptions{seed: 1, rewards: "outcome,process,prm", prompts: 500, updates: 300, batch: 64, lr: 0.5, beta: 0.02,
		maxSteps: 6, rightSound: 0.9, rightLucky: 0.25, rightShort: 0.1, labels: 100, labelNoise: 0.2}
	cmd := &cobra.Command{
		Use:   "seq",
		Short: "Train step-by-step answers on outcome or process rewards and compare",
		Long: `seq trains a policy that answers step by step (sound, flawed or filler
steps, then a final answer) with each of the listed rewards, from the same
start and the same samples:

  outcome  one reward at the end: the verifier's verdict on the final answer,
           shared by every step, sound or not
  process  one reward per step from exact step labels: + for a sound step,
           - for a flawed one
  prm      the same from a process reward model trained on --labels labelled
           answers of the reference policy, each step's label wrong with
           probability --label-noise

Every number is exact (dynamic programming over the answer's states), so
the table shows the truth: how fast sound reasoning spreads, how often an
answer is right after a flawed step (lucky), and what the verifier passes.
With --out it writes seq.json and two figures.`,
		Example: `  rlhfsim seq
  rlhfsim seq --rewards outcome,process --updates 600
  rlhfsim seq --right-sound 0.2 --right-lucky 0.05 --right-short 0.02 --weak-tests 1
  rlhfsim seq --rewards prm --labels 5 --label-noise 0.4 --out prm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSeq(cmd, o) },
	}
	fs := cmd.Flags()
	fs.Uint64Var(&o.seed, "seed", o.seed, "random seed: the same seed gives the same run")
	fs.StringVar(&o.rewards, "rewards", o.rewards, "rewards to train on, comma-separated: outcome, process or prm")
	fs.IntVar(&o.prompts, "prompts", o.prompts, "prompts, with difficulties drawn from [0, 1] (1 to 100000)")
	fs.IntVar(&o.updates, "updates", o.updates, "policy updates (1 to 100000)")
	fs.IntVar(&o.batch, "batch", o.batch, "answers sampled per update (2 to 100000)")
	fs.Float64Var(&o.lr, "lr", o.lr, "step size of gradient ascent (above 0, at most 100)")
	fs.Float64Var(&o.beta, "beta", o.beta, "KL coefficient (0 to 100)")
	fs.IntVar(&o.maxSteps, "max-steps", o.maxSteps, "step limit of an answer (3 to 50)")
	fs.Float64Var(&o.rightSound, "right-sound", o.rightSound, "chance an answer with enough sound steps and no flawed one is right (0 to 1)")
	fs.Float64Var(&o.rightLucky, "right-lucky", o.rightLucky, "chance an answer with a flawed step is right anyway (0 to 1)")
	fs.Float64Var(&o.rightShort, "right-short", o.rightShort, "chance an answer with too few sound steps and no flawed one is right (0 to 1)")
	fs.Float64Var(&o.fn, "verifier-fn", 0, "chance the verifier fails a right answer (0 to 1)")
	fs.Float64Var(&o.fp, "verifier-fp", 0, "chance the verifier passes a wrong answer (0 to 1)")
	fs.Float64Var(&o.weak, "weak-tests", 0, "chance the verifier passes a wrong answer made of filler alone (0 to 1)")
	fs.IntVar(&o.labels, "labels", o.labels, "answers labelled step by step to train the PRM (1 to 1000000)")
	fs.StringVar(&o.memory, "memory", defaultMemory, "memory budget: settings estimated to need more are refused before anything runs (lowered to what the machine has available)")
	fs.Float64Var(&o.labelNoise, "label-noise", o.labelNoise, "chance a step label is wrong (0 to 1)")
	fs.BoolVar(&o.asJSON, "json", false, "print a JSON report instead of tables")
	fs.StringVar(&o.out, "out", "", "write seq.json and the figures into this directory")
	return cmd
}

func (o *seqOptions) validate() ([]string, error) {
	if err := firstError(
		checkIntRange("prompts", o.prompts, 1, 100000),
		checkIntRange("updates", o.updates, 1, 100000),
		checkIntRange("batch", o.batch, 2, 100000),
		checkRange("lr", o.lr, 1e-12, 100),
		checkRange("beta", o.beta, 0, 100),
		checkIntRange("max-steps", o.maxSteps, 3, 50),
		checkRange("right-sound", o.rightSound, 0, 1),
		checkRange("right-lucky", o.rightLucky, 0, 1),
		checkRange("right-short", o.rightShort, 0, 1),
		checkRange("verifier-fn", o.fn, 0, 1),
		checkRange("verifier-fp", o.fp, 0, 1),
		checkRange("weak-tests", o.weak, 0, 1),
		checkIntRange("labels", o.labels, 1, 1000000),
		checkRange("label-noise", o.labelNoise, 0, 1),
	); err != nil {
		return nil, err
	}
	var rs []string
	for _, r := range strings.Split(o.rewards, ",") {
		r = strings.TrimSpace(r)
		if _, ok := seqRewardNames[r]; !ok {
			return nil, usagef("invalid --rewards %q: %q is not outcome, process or prm", o.rewards, r)
		}
		for _, seen := range rs {
			if seen == r {
				return nil, usagef("invalid --rewards %q: %s is listed twice", o.rewards, r)
			}
		}
		rs = append(rs, r)
	}
	if int64(o.updates)*int64(o.batch) > 50_000_000 {
		return nil, usagef("--updates times --batch is %d answers: keep it at most 50,000,000", int64(o.updates)*int64(o.batch))
	}
	if err := checkMemory(o.memoryEstimate(), o.memory, "--labels, --prompts, --batch or --max-steps"); err != nil {
		return nil, err
	}
	return rs, nil
}

// memoryEstimate bounds what a seq run holds at once: the step labels (at
// most one per step of every labelled answer), the exact state tables of
// the prompts, and one batch of sampled answers with their per-step
// work. Measured: 2.5 GB resident at every flag's maximum, estimated 3.4.
func (o *seqOptions) memoryEstimate() int64 {
	steps := int64(o.maxSteps)
	labels := int64(o.labels) * steps * 48
	tables := int64(o.prompts) * steps * 2 * int64(seq.NumKinds) * 8 * 2
	batch := int64(o.batch) * steps * 64
	return labels + tables + batch + 64<<20
}

// world turns the flags into the engine's world; a probability of 0 is
// written as a negative value, which the engine reads as none.
func (o *seqOptions) world() *seq.World {
	zeroIsNone := func(v float64) float64 {
		if v == 0 {
			return -1
		}
		return v
	}
	return &seq.World{MaxSteps: o.maxSteps, RightSound: zeroIsNone(o.rightSound), RightLucky: zeroIsNone(o.rightLucky),
		RightShort: zeroIsNone(o.rightShort), FalseNegative: o.fn, FalsePositive: o.fp, WeakTests: o.weak}
}

// seqRun is one reward's training in the report.
type seqRun struct {
	Reward string `json:"reward"`
	// Labels is the number of labels the reward cost: one per answer
	// for outcome, one per step of every labelled answer for a PRM, and
	// one per step of every sampled answer for exact step labels.
	Labels int `json:"labels"`
	// ReachedSoundRate is the number of answers sampled before the
	// sound-step rate reached 0.8, or -1.
	ReachedSoundRate int         `json:"answers_to_sound_rate_0_8"`
	Points           []seq.Point `json:"points"`
}

type seqReport struct {
	Seed  uint64    `json:"seed"`
	World seq.World `json:"world"`
	Runs  []seqRun  `json:"runs"`
}

func runSeq(cmd *cobra.Command, o *seqOptions) error {
	rewards, err := o.validate()
	if err != nil {
		return err
	}
	prompts := seq.Prompts(o.prompts, rng.Stream(o.seed, rng.SeqPrompts))
	rep := seqReport{Seed: o.seed}
	pr := newProgress(cmd.ErrOrStderr())
	for _, r := range rewards {
		p, err := seq.New(o.world(), prompts)
		if err != nil {
			return usageError{err}
		}
		rep.World = p.World()
		set := &seq.Settings{Reward: seq.Reward(r), Beta: o.beta, Steps: o.updates, Batch: o.batch, LR: o.lr,
			Progress: func(pt seq.Point) { pr.update(r, pt.Update, o.updates) }}
		if o.beta == 0 {
			set.Beta = -1 // the engine reads a negative beta as none
		}
		run := seqRun{Reward: r}
		if r == seqPRM {
			set.Reward = seq.Process
			labels, err := p.Label(&seq.Labelling{Answers: o.labels, Noise: o.labelNoise}, rng.Stream(o.seed, rng.SeqLabels))
			if err != nil {
				return usageError{err}
			}
			if set.PRM, err = seq.TrainPRM(p, labels); err != nil {
				return usageError{err}
			}
			run.Labels = len(labels)
		}
		run.Points, err = seq.Train(p, set, rng.Stream(o.seed, rng.SeqTrain))
		if err != nil {
			pr.done()
			return err
		}
		run.count(o.batch)
		rep.Runs = append(rep.Runs, run)
	}
	pr.done()
	names, err := writeSeq(o.out, rep)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, rep)
	}
	printSeq(w, &rep)
	if o.out != "" {
		fmt.Fprintf(w, "\nwrote seq.json, %s to %s\n", strings.Join(names, ", "), o.out)
	}
	return nil
}

// count fills in when the run reached a sound-step rate of 0.8 and, for
// the outcome and exact process rewards, the labels it cost.
func (run *seqRun) count(batch int) {
	run.ReachedSoundRate = -1
	for _, pt := range run.Points {
		if run.ReachedSoundRate < 0 && pt.SoundRate() >= 0.8 {
			run.ReachedSoundRate = pt.Samples
		}
	}
	last := run.Points[len(run.Points)-1]
	switch seq.Reward(run.Reward) {
	case seq.Outcome:
		run.Labels = last.Samples
	case seq.Process:
		// Exact labels for every step of every sampled answer: the
		// expected steps per answer, summed over the updates.
		n := 0.0
		for _, pt := range run.Points[:len(run.Points)-1] {
			n += pt.Steps * float64(batch)
		}
		run.Labels = int(n + 0.5)
	}
}

// writeSeq writes seq.json and the figures into out, if set, and returns
// the figures' file names.
func writeSeq(out string, rep seqReport) ([]string, error) {
	if out == "" {
		return nil, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, usagef("creating --out: %v", err)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, rep); err != nil {
		return nil, err
	}
	if err := fileio.WriteBytes(filepath.Join(out, "seq.json"), b.Bytes()); err != nil {
		return nil, usagef("writing --out: %v", err)
	}
	return writeSeqFigures(out, rep.Runs)
}

func printSeq(w io.Writer, rep *seqReport) {
	wd := rep.World
	fmt.Fprintf(w, "answers of up to %d steps; right with probability %.2f after enough sound steps, %.2f after a flawed one (lucky), %.2f when too short\n",
		wd.MaxSteps, wd.RightSound, wd.RightLucky, wd.RightShort)
	if wd.FalseNegative+wd.FalsePositive+wd.WeakTests > 0 {
		fmt.Fprintf(w, "verifier: fails a right answer %.0f%%, passes a wrong one %.0f%%, passes filler-only answers %.0f%%\n",
			100*wd.FalseNegative, 100*wd.FalsePositive, 100*wd.WeakTests)
	}
	start := rep.Runs[0].Points[0]
	fmt.Fprintf(w, "reference policy: sound-step rate %.2f, right %.3f, passed %.3f, lucky %.3f, %.2f flawed steps per answer\n\n",
		start.SoundRate(), start.Right, start.Pass, start.Lucky, start.Flawed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "reward\tlabels\tanswers to sound rate 0.8\tsound rate\tright\tpassed\tlucky\tflawed steps\tKL\t")
	for _, r := range rep.Runs {
		e := r.Points[len(r.Points)-1]
		reach := "never"
		if r.ReachedSoundRate >= 0 {
			reach = fmt.Sprint(r.ReachedSoundRate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.2f\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t\n", seqRewardNames[r.Reward], r.Labels, reach,
			e.SoundRate(), e.Right, e.Pass, e.Lucky, e.Flawed, e.KL)
	}
	tw.Flush()
	fmt.Fprintln(w, "(after the last update; every rate is exact, averaged over the prompts)")
	for _, r := range rep.Runs {
		e := r.Points[len(r.Points)-1]
		if e.Pass-e.Right > 0.2 {
			fmt.Fprintf(w, "%s: the verifier passes %.2f of answers but only %.2f are right: the policy found its weakness\n", seqRewardNames[r.Reward], e.Pass, e.Right)
		}
		if e.Right < start.Right-0.05 {
			fmt.Fprintf(w, "%s: answers are right less often than at the start (%.3f -> %.3f): the reward rewards the wrong thing\n", seqRewardNames[r.Reward], start.Right, e.Right)
		}
	}
}

// writeSeqFigures writes the step-by-step figures (standard.Seq) as SVG.
func writeSeqFigures(dir string, runs []seqRun) ([]string, error) {
	named := make([]standard.SeqRun, len(runs))
	for i, r := range runs {
		named[i] = standard.SeqRun{Name: seqRewardNames[r.Reward], Points: r.Points}
	}
	figs, err := standard.Seq(named, plots.Slide())
	if err != nil {
		return nil, err
	}
	return writeFigures(dir, figs)
}

// writeFigures renders each figure as SVG into dir/NAME.svg, atomically,
// and returns the files' names.
func writeFigures(dir string, figs []plots.Figure) ([]string, error) {
	var names []string
	for _, f := range figs {
		name, err := writeFigure(dir, f.Name, f.Plot, nil)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

// writeFigure renders p as SVG into dir/name.svg, atomically, and returns
// the file's name; err is the error of building p, passed through.
func writeFigure(dir, name string, p *plot.Plot, err error) (string, error) {
	if err != nil {
		return "", fmt.Errorf("figure %s: %w", name, err)
	}
	b, err := plots.Render(p, plots.Slide(), "svg")
	if err != nil {
		return "", err
	}
	if err := fileio.WriteBytes(filepath.Join(dir, name+".svg"), b); err != nil {
		return "", usagef("writing --out: %v", err)
	}
	return name + ".svg", nil
}
