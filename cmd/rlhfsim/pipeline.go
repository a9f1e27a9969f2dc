package main

import (
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
	gen       genFlags
	train     trainFlags
	kind      string
	algo      string
	beta      float64
	targetKL  float64
	steps     int
	lr        float64
	samples   int
	perPrompt int
	clip      float64
	ppoEpochs int
	prompts   int
	poolSize  int
	bon       string
	method    string
	ensemble  int
	agg       string
	ensK      float64
	ensView   float64
	verifier  verifierFlags
	asJSON    bool
	out       string
}

func newPipelineCmd() *cobra.Command {
	d := pipeline.Default()
	o := &pipelineOptions{gen: defaultGenFlags(), train: defaultTrainFlags(),
		kind: string(d.Policy.Kind), algo: string(d.Policy.Settings.Algo), beta: d.Policy.Settings.Beta,
		steps: d.Policy.Settings.Steps, lr: d.Policy.Settings.LR, samples: d.Policy.Settings.Samples,
		perPrompt: d.Policy.Settings.PerPrompt, clip: policy.DefaultSettings().Clip, ppoEpochs: policy.DefaultSettings().PPOEpochs,
		prompts: d.Policy.Prompts, poolSize: d.Policy.PoolSize, bon: joinInts(d.Policy.BoN)}
	o.gen.prompts = d.Data.Prompts
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
	o.train.register(fs, "rm-lr")
	fs.StringVar(&o.kind, "policy", o.kind, "policy: "+enum.List(pipeline.PolicyKinds()...)+" (new responses that can leave the training region, or exact reweighting of base-policy samples)")
	fs.StringVar(&o.algo, "algo", o.algo, "algorithm: "+enum.List(policy.Algos()...)+" (mean baseline, leave-one-out, clipped, or exact on the pool)")
	fs.Float64Var(&o.beta, "beta", o.beta, "KL coefficient of E[r] - beta KL (0 to 100)")
	fs.Float64Var(&o.targetKL, "target-kl", o.targetKL, "adapt beta towards this KL; 0 keeps beta fixed (0 to 1000)")
	fs.IntVar(&o.steps, "steps", o.steps, "policy updates (1 to 100000)")
	fs.Float64Var(&o.lr, "lr", o.lr, "policy learning rate, Adam (above 0, at most 10)")
	fs.IntVar(&o.samples, "samples", o.samples, "responses sampled per step (1 to 100000)")
	fs.IntVar(&o.perPrompt, "per-prompt", o.perPrompt, "responses per prompt within a step; rloo and ppo need 2 or more (1 to 1000)")
	fs.Float64Var(&o.clip, "clip", o.clip, "PPO clip range (above 0, below 1)")
	fs.IntVar(&o.ppoEpochs, "ppo-epochs", o.ppoEpochs, "PPO updates per batch (1 to 100)")
	fs.IntVar(&o.prompts, "policy-prompts", o.prompts, "prompts the policy answers (1 to 100000)")
	fs.IntVar(&o.poolSize, "pool-size", o.poolSize, "base-policy responses per prompt in the pool (1 to 10000)")
	fs.StringVar(&o.bon, "bon", o.bon, fmt.Sprintf("best-of-n sweep: comma-separated n values (1 to %d; each prompt gets a pool of four times the largest)", pipeline.MaxBoN))
	fs.StringVar(&o.method, "method", string(pipeline.RLHF), "how the policy learns from the pairs: "+enum.List(pipeline.Methods()...)+" (reward model then RL, or the policy fitted to the pairs directly)")
	fs.IntVar(&o.ensemble, "ensemble", 0, fmt.Sprintf("train this many reward models on bootstrap resamples and optimise their aggregate; 0 or 1 uses one model (0 to %d)", pipeline.MaxEnsemble))
	fs.StringVar(&o.agg, "ensemble-agg", string(reward.Mean), "how the ensemble combines scores: "+enum.List(reward.Aggregates()...)+" (mean, worst member, mean minus k standard deviations)")
	fs.Float64Var(&o.ensK, "ensemble-k", 1, "standard deviations lcb subtracts (0 to 100)")
	fs.Float64Var(&o.ensView, "ensemble-view", 0, "fraction of the features each ensemble member is trained on, a random subset of its own; 0 or 1 means all (0 to 1)")
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
	if err := o.train.validate(); err != nil {
		return pipeline.Config{}, err
	}
	if o.train.distractors > 0 {
		return pipeline.Config{}, usagef("invalid --distractors %d: a policy cannot produce distractor features; use it with train", o.train.distractors)
	}
	if err := firstError(
		option("policy", pipeline.PolicyKind(o.kind).Validate()),
		option("algo", policy.Algo(o.algo).Validate()),
		checkRange("beta", o.beta, 0, 100),
		checkRange("target-kl", o.targetKL, 0, 1000),
		checkIntRange("steps", o.steps, 1, 100000),
		checkRange("lr", o.lr, 1e-12, 10),
		checkIntRange("samples", o.samples, 1, 100000),
		checkIntRange("per-prompt", o.perPrompt, 1, 1000),
		checkRange("clip", o.clip, 1e-9, 0.999999),
		checkIntRange("ppo-epochs", o.ppoEpochs, 1, 100),
		checkIntRange("policy-prompts", o.prompts, 1, 100000),
		checkIntRange("pool-size", o.poolSize, 1, 10000),
		option("method", pipeline.Method(o.method).Validate()),
		checkIntRange("ensemble", o.ensemble, 0, pipeline.MaxEnsemble),
		option("ensemble-agg", reward.Aggregate(o.agg).Validate()),
		checkRange("ensemble-k", o.ensK, 0, 100),
		checkRange("ensemble-view", o.ensView, 0, 1),
		o.verifier.validate(),
	); err != nil {
		return pipeline.Config{}, err
	}
	bon, err := parseBoN(o.bon)
	if err != nil {
		return pipeline.Config{}, err
	}
	pol := pipeline.Policy{Prompts: o.prompts, PoolSize: o.poolSize, Draws: pipeline.Default().Policy.Draws}
	if err := checkMemory(o.gen.config().MemoryEstimate()+pol.MemoryEstimate(), o.gen.memory, "--prompts, --k, --policy-prompts or --pool-size"); err != nil {
		return pipeline.Config{}, err
	}
	c := pipeline.Default()
	c.Seed = o.gen.seed
	c.Data = o.gen.config()
	c.RM = o.train.rmConfig()
	c.RM.Ensemble, c.RM.Aggregate, c.RM.K, c.RM.View = o.ensemble, reward.Aggregate(o.agg), o.ensK, o.ensView
	c.Policy = pipeline.Policy{Kind: pipeline.PolicyKind(o.kind), Method: pipeline.Method(o.method), Prompts: o.prompts, PoolSize: o.poolSize, Draws: c.Policy.Draws, BoN: bon,
		Settings: policy.Settings{Algo: policy.Algo(o.algo), Beta: o.beta, TargetKL: o.targetKL, Steps: o.steps, LR: o.lr,
			Samples: o.samples, PerPrompt: o.perPrompt, Clip: o.clip, PPOEpochs: o.ppoEpochs}}
	o.verifier.apply(&c.Policy)
	if err := settings(c.Policy.Validate()); err != nil {
		return pipeline.Config{}, err
	}
	return c, nil
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
