package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

type pipelineOptions struct {
	gen      genFlags
	train    trainFlags
	params   paramFlags // the policy's and the ensemble's numbers
	kind     string
	algo     string
	bon      string
	method   string
	agg      string
	verifier verifierFlags
	asJSON   bool
	out      string
}

func newPipelineCmd() *cobra.Command {
	o := &pipelineOptions{gen: defaultGenFlags()}
	c := o.gen.c
	c.Data.Prompts = pipeline.Default().Data.Prompts
	o.train = defaultTrainFlags(c)
	o.kind, o.algo, o.bon = string(c.Policy.Kind), string(c.Policy.Algo), joinInts(c.Policy.BoN)
	o.method, o.agg = string(cmp.Or(c.Policy.Method, pipeline.RLHF)), string(cmp.Or(c.RM.Aggregate, reward.Mean))
	// Zero settings mean the optimiser's defaults; the flags show them.
	c.Policy.Settings = resolvedPolicy(c.Policy.Settings)
	cmd := &cobra.Command{
		Use:   "pipeline",
		Short: "Run the whole chain: data, reward model, policy optimisation, best-of-n",
		Long: `pipeline runs the simulated RLHF chain end to end. Annotators rank responses,
a reward model is trained on the pairs as a ranker, its normalised scores
become the reward of a policy-gradient run, and a best-of-n sweep samples
against the same scores. At every step the hidden gold reward is measured
beside the proxy, so you can watch the proxy climb while the gold reward
stalls or falls.

Reward-model flags are those of "train", except that its learning rate is
--rm-lr: --lr is the policy's.`,
		Example: `  rlhfsim pipeline
  rlhfsim pipeline --length-bias 1 --beta 0 --steps 400
  rlhfsim pipeline --policy pool --algo ppo --target-kl 3
  rlhfsim pipeline --json --out run1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runPipeline(cmd, o) },
	}
	fs := cmd.Flags()
	o.gen.register(fs)
	o.train.register(fs, "rm-lr", true)
	fs.StringVar(&o.kind, "policy", o.kind, "policy: "+enum.List(pipeline.PolicyKinds()...)+" (new responses that can leave the training region, or exact reweighting of base-policy samples)")
	fs.StringVar(&o.algo, "algo", o.algo, "algorithm: "+enum.List(policy.Algos()...)+" (mean baseline, leave-one-out, clipped, or exact on the pool)")
	fs.StringVar(&o.bon, "bon", o.bon, fmt.Sprintf("best-of-n sweep: comma-separated n values (1 to %d; each prompt gets a pool of four times the largest)", pipeline.MaxBoN))
	fs.StringVar(&o.method, "method", o.method, "how the policy learns from the pairs: "+enum.List(pipeline.Methods()...)+" (reward model then RL, or the policy fitted to the pairs directly)")
	fs.StringVar(&o.agg, "ensemble-agg", o.agg, "how the ensemble combines scores: "+enum.List(reward.Aggregates()...)+" (mean, worst member, mean minus k standard deviations)")
	o.params.register(fs, c, func(p pipeline.Param) bool {
		return (p.Part == pipeline.PartPolicy && p.Name != verifierWeight) || strings.HasPrefix(p.Name, "ensemble")
	}, nil)
	o.verifier.register(fs)
	fs.BoolVar(&o.asJSON, "json", false, "print a JSON report instead of tables")
	fs.StringVar(&o.out, "out", "", "write data.jsonl, model.json and report.json into this directory")
	return cmd
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func parseBoN(s string) ([]int, error) {
	var ns []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > pipeline.MaxBoN {
			return nil, usagef("invalid --bon %q: give comma-separated integers from 1 to %d, e.g. 1,2,4,8", s, pipeline.MaxBoN)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

func (o *pipelineOptions) config() (pipeline.Config, error) {
	if err := o.gen.validate(); err != nil {
		return pipeline.Config{}, err
	}
	if err := firstError(o.params.validate(), o.train.validate()); err != nil {
		return pipeline.Config{}, err
	}
	if n := o.gen.c.Data.Distractors; n > 0 {
		return pipeline.Config{}, usagef("invalid --distractors %d: a policy cannot produce distractor features; use it with train", n)
	}
	if err := firstError(
		option("policy", pipeline.PolicyKind(o.kind).Validate()),
		option("algo", policy.Algo(o.algo).Validate()),
		option("method", pipeline.Method(o.method).Validate()),
		option("ensemble-agg", reward.Aggregate(o.agg).Validate()),
		o.verifier.validate(),
	); err != nil {
		return pipeline.Config{}, err
	}
	bon, err := parseBoN(o.bon)
	if err != nil {
		return pipeline.Config{}, err
	}
	c := *o.gen.c
	c.Data = o.gen.config()
	c.RM = o.train.rmConfig()
	c.RM.Aggregate = reward.Aggregate(o.agg)
	c.Policy.Kind, c.Policy.Method, c.Policy.Algo, c.Policy.BoN = pipeline.PolicyKind(o.kind), pipeline.Method(o.method), policy.Algo(o.algo), bon
	if err := checkMemory(c.Data.MemoryEstimate()+c.Policy.MemoryEstimate(), o.gen.memory, "--prompts, --k, --policy-prompts or --pool-size"); err != nil {
		return pipeline.Config{}, err
	}
	o.verifier.apply(&c.Policy)
	if err := settings(c.Policy.Validate()); err != nil {
		return pipeline.Config{}, err
	}
	return c, nil
}

// resolvedPolicy is s with its zero values replaced by the optimiser's
// defaults, so that the flags show the values a run uses.
func resolvedPolicy(s policy.Settings) policy.Settings {
	r, err := s.Resolve()
	if err != nil {
		panic(err) // pipeline.Default is valid
	}
	return r
}

// progressReporter draws a progress bar on standard error once a run has
// taken more than a second, and only when standard error is a terminal.
type progressReporter struct {
	w      io.Writer
	tty    bool
	start  time.Time
	bar    *progressbar.ProgressBar
	stage  string
	stageN int
}

func newProgress(stderr io.Writer) *progressReporter {
	p := &progressReporter{w: stderr, start: time.Now()}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progressReporter) update(stage string, done, total int) {
	if !p.tty || time.Since(p.start) < time.Second {
		return
	}
	if p.bar == nil || stage != p.stage || total != p.stageN {
		if p.bar != nil {
			p.bar.Finish()
		}
		p.stage, p.stageN = stage, total
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%-12s", stage)),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	p.bar.Set(done)
}

func (p *progressReporter) done() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Exit()
	}
}

func runPipeline(cmd *cobra.Command, o *pipelineOptions) error {
	c, err := o.config()
	if err != nil {
		return err
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return usagef("creating --out: %v", err)
		}
	}
	pr := newProgress(cmd.ErrOrStderr())
	res, err := pipeline.Run(c, pr.update)
	pr.done()
	if err != nil {
		if errors.Is(err, pipeline.ErrConfig) || errors.Is(err, policy.ErrSettings) {
			return usageError{err}
		}
		return err
	}
	rep := report(res)
	if o.out != "" {
		if err := writeOut(o.out, res, rep); err != nil {
			return usagef("writing --out: %v", err)
		}
	}
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, rep)
	}
	printPipeline(w, res, &rep)
	if o.out != "" {
		fmt.Fprintf(w, "\nwrote data.jsonl, model.json and report.json to %s\n", o.out)
	}
	return nil
}
