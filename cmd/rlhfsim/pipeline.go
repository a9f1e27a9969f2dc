package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
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
		perPrompt: d.Policy.Settings.PerPrompt, clip: 0.2, ppoEpochs: 4,
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

// pipelineReport is the JSON report of pipeline.
type pipelineReport struct {
	Seed        uint64                   `json:"seed"`
	Data        prefs.Summary            `json:"data"`
	RewardModel metricsReport            `json:"reward_model"`
	Weights     []featureWeight          `json:"reward_model_weights,omitempty"`
	Ensemble    *ensembleReport          `json:"reward_model_ensemble,omitempty"`
	Direct      *pipeline.Direct         `json:"direct,omitempty"`
	Verifier    *pipeline.VerifierReport `json:"verifier,omitempty"`
	Policy      policyReport             `json:"policy"`
	BestOfN     []policy.BoN             `json:"best_of_n"`
}

// ensembleReport describes the ensemble the policy optimised, if any.
type ensembleReport struct {
	Members   int              `json:"members"`
	Aggregate reward.Aggregate `json:"aggregate"`
	K         float64          `json:"k"`
	// View is the fraction of the features each member saw; 1 means all.
	View float64 `json:"view"`
	// MemberGoldAgreement is each member's held-out gold agreement.
	MemberGoldAgreement []float64 `json:"member_gold_agreement"`
}

type policyReport struct {
	Kind            pipeline.PolicyKind `json:"kind"`
	Method          pipeline.Method     `json:"method"`
	Reward          pipeline.Reward     `json:"reward"`
	Algo            policy.Algo         `json:"algo,omitempty"` // RL's algorithm; empty for dpo and ipo
	Beta            float64             `json:"beta"`
	TargetKL        float64             `json:"target_kl"`
	KLEstimator     string              `json:"kl_estimator"`
	RewardEstimator string              `json:"reward_estimator"`
	Features        []string            `json:"features"`
	GoldPeakStep    int                 `json:"gold_peak_step"`
	GoldDrop        float64             `json:"gold_drop_from_peak"`
	Steps           []policy.Step       `json:"steps"`
}

func report(r *pipeline.Result) pipelineReport {
	peak, drop := r.GoldPeak()
	gold := r.Gold
	method, algo := r.Config.Policy.Method, r.Config.Policy.Settings.Algo
	if method == "" {
		method = pipeline.RLHF
	}
	rew := r.Config.Policy.Reward
	if rew == "" {
		rew = pipeline.RewardModel
	}
	if r.Direct != nil {
		algo = ""
	}
	return pipelineReport{
		Seed: r.Config.Seed,
		Data: r.Summary,
		RewardModel: metricsReport{Metrics: r.RM.Metrics, BestEpoch: r.RM.Result.Best,
			History: r.RM.Result.History},
		Weights: weightsOf(r.RM, &gold),
		Policy: policyReport{Kind: r.Config.Policy.Kind, Method: method, Reward: rew, Algo: algo,
			Beta: r.Config.Policy.Settings.Beta, TargetKL: r.Config.Policy.Settings.TargetKL,
			KLEstimator: r.Run.KLEstimator, RewardEstimator: r.Run.RewardEstimator,
			Features: world.FeatureNames(), GoldPeakStep: peak, GoldDrop: drop, Steps: r.Run.Steps},
		BestOfN:  r.BoN,
		Ensemble: ensembleOf(r),
		Direct:   r.Direct,
		Verifier: r.Verifier,
	}
}

func ensembleOf(r *pipeline.Result) *ensembleReport {
	if len(r.Ensemble) == 0 {
		return nil
	}
	e := &ensembleReport{Members: len(r.Ensemble), Aggregate: r.Config.RM.Aggregate, K: r.Config.RM.K}
	if e.Aggregate == "" {
		e.Aggregate = reward.Mean
	}
	if e.K == 0 {
		e.K = 1
	}
	if e.View = r.Config.RM.View; e.View <= 0 || e.View >= 1 {
		e.View = 1
	}
	for _, m := range r.Ensemble {
		e.MemberGoldAgreement = append(e.MemberGoldAgreement, m.Metrics.GoldAgreement)
	}
	return e
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

// writeOut writes the dataset, the model and the report into dir, each
// atomically.
func writeOut(dir string, r *pipeline.Result, rep pipelineReport) error {
	if err := prefs.WriteFile(filepath.Join(dir, "data.jsonl"), r.Data); err != nil {
		return err
	}
	if err := r.RM.Scorer.Save(filepath.Join(dir, "model.json")); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := writeJSON(&b, rep); err != nil {
		return err
	}
	return fileio.WriteBytes(filepath.Join(dir, "report.json"), b.Bytes())
}

func printPipeline(w io.Writer, r *pipeline.Result, rep *pipelineReport) {
	s := r.Summary
	m := r.RM.Metrics
	fmt.Fprintf(w, "data: %d prompts, K=%d, %d pairs; labels disagree with gold on %.1f%% of pairs\n",
		s.Prompts, s.K, s.Pairs, 100*s.LabelNoise)
	fmt.Fprintf(w, "reward model (%s): test accuracy %.3f against a ceiling of %.3f; Spearman with gold %.3f\n",
		r.RM.Scorer.Model.Kind(), m.TestAccuracy, m.CeilingAccuracy, m.SpearmanGold)
	for _, fw := range rep.Weights {
		if fw.Feature == "length" {
			fmt.Fprintf(w, "  its length weight: %.3f (the gold reward's linear length weight: %.3f)\n", fw.Learned, *fw.True)
		}
	}
	if e := rep.Ensemble; e != nil {
		how := map[reward.Aggregate]string{reward.Mean: "their mean", reward.Worst: "the lowest member's score",
			reward.LCB: fmt.Sprintf("their mean minus %g times their standard deviation", e.K)}[e.Aggregate]
		view := ""
		if e.View < 1 {
			view = fmt.Sprintf(", each seeing %.0f%% of the features", 100*e.View)
		}
		fmt.Fprintf(w, "ensemble: %d reward models on bootstrap resamples of the training prompts%s (held-out gold agreement %.3f to %.3f); the policy optimises %s\n",
			e.Members, view, slices.Min(e.MemberGoldAgreement), slices.Max(e.MemberGoldAgreement), how)
	}
	if d := rep.Direct; d != nil {
		fmt.Fprintf(w, "\n%s at beta %g fitted the %s policy to the training pairs (loss %.4f), without the reward model:\n", strings.ToUpper(string(d.Method)), d.Beta, rep.Policy.Kind, d.Loss)
		fmt.Fprintf(w, "  its implicit reward beta log(pi/pi_ref) orders the base policy's pairs as gold does %.3f of the time (the reward model on the same pairs: %.3f)\n", d.ImplicitGoldAgreement, rep.Policy.Steps[0].GoldAgreement)
		fmt.Fprintf(w, "  and as the reward model does %.4f of the time", d.ImplicitRMAgreement)
		if d.TVToRMOptimum != nil {
			fmt.Fprintf(w, "; total variation to RL's optimum pi_ref exp(r/beta)/Z for the reward model: %.2g", *d.TVToRMOptimum)
		}
		fmt.Fprintln(w)
	}
	p := rep.Policy
	algo := string(p.Algo)
	if rep.Direct != nil {
		algo = string(rep.Direct.Method) + " (its exact optimum)"
	}
	fmt.Fprintf(w, "\npolicy: %s, %s, beta %g, optimising %s; KL %s, rewards %s\n", p.Kind, algo, p.Beta, rewardNames[p.Reward], p.KLEstimator, p.RewardEstimator)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	accuracy := "RM accuracy"
	if p.Reward != pipeline.RewardModel {
		accuracy = "proxy accuracy"
	}
	fmt.Fprintf(tw, "step\tKL\tproxy\tgold\t%s\tlength (tokens)\tentropy\tbeta\t\n", accuracy)
	steps := p.Steps
	every := max(1, len(steps)/10)
	for i, st := range steps {
		if i%every != 0 && i != len(steps)-1 && st.Step != p.GoldPeakStep {
			continue
		}
		mark := ""
		if st.Step == p.GoldPeakStep {
			mark = " <- gold peak"
		}
		fmt.Fprintf(tw, "%d\t%.3f\t%+.3f\t%+.3f\t%.3f\t%d\t%.2f\t%.3f\t%s\n", st.Step, st.KL, st.Proxy, st.Gold, st.GoldAgreement, world.Tokens(st.Length), st.Entropy, st.Beta, mark)
	}
	tw.Flush()
	first, last := steps[0], steps[len(steps)-1]
	fmt.Fprintf(w, "\nproxy %+.3f -> %+.3f, gold %+.3f -> %+.3f (peak at step %d, final %.3f below it)\n",
		first.Proxy, last.Proxy, first.Gold, last.Gold, p.GoldPeakStep, p.GoldDrop)
	peak := steps[0]
	for _, st := range steps {
		if st.Step == p.GoldPeakStep {
			peak = st
		}
	}
	if p.Reward == pipeline.RewardModel {
		fmt.Fprintf(w, "RM accuracy (the %s agreement with gold on the policy's own samples): %.3f at the start (%s: %.3f), %.3f at the gold peak, %.3f at the end\n",
			map[bool]string{false: "reward model's", true: "ensemble's"}[rep.Ensemble != nil],
			first.GoldAgreement, map[bool]string{false: "held out", true: "the single model held out"}[rep.Ensemble != nil], m.GoldAgreement, peak.GoldAgreement, last.GoldAgreement)
	} else {
		fmt.Fprintf(w, "proxy accuracy (%s agreeing with gold on pairs of the policy's own samples, ties counting half): %.3f at the start, %.3f at the gold peak, %.3f at the end\n",
			rewardNames[p.Reward], first.GoldAgreement, peak.GoldAgreement, last.GoldAgreement)
	}
	if p.GoldDrop > 0.1 && last.Proxy > first.Proxy {
		fmt.Fprintf(w, "the proxy kept rising after the gold reward peaked: the policy is overoptimising %s\n", rewardNames[p.Reward])
	}
	if rep.Verifier != nil {
		printVerifier(w, rep.Verifier, p.GoldPeakStep)
	}
	if r.BoNSample.Size > 0 {
		fmt.Fprintf(w, "\nbest-of-n on the pool of %d base-policy samples for each of %d prompts (exact for the pool; drawing from it stands for drawing from the base policy while n is at most a quarter of it):\n", r.BoNSample.Size, r.BoNSample.Prompts)
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "n\tKL\tbound\tproxy\tgold\twin rate\tgold win rate\t")
	for _, b := range rep.BestOfN {
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%+.3f\t%+.3f\t%.3f\t%.3f\t\n", b.N, b.KL, b.Bound, b.Proxy, b.Gold, b.WinRate, b.GoldWinRate)
	}
	tw.Flush()
}
