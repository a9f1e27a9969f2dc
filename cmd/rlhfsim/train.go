package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// trainFlags configure reward-model training, shared by train and pipeline.
// trainFlags configure reward-model training, shared by train and
// pipeline. The numbers are pipeline.Params, written into c.RM (and
// c.Data.Distractors); the named choices are strings checked against
// their enums.
type trainFlags struct {
	c          *pipeline.Config
	params     paramFlags
	model      string
	hidden     string
	activation string
	loss       string
	optimizer  string
	grouping   string
}

// distractors is the parameter only train has: a policy cannot produce
// distractor features.
const distractors = "distractors"

// defaultTrainFlags returns the flags at c's reward model.
func defaultTrainFlags(c *pipeline.Config) trainFlags {
	rm := c.RM
	hs := make([]string, len(rm.Hidden))
	for i, h := range rm.Hidden {
		hs[i] = strconv.Itoa(h)
	}
	o := rm.Objective
	return trainFlags{c: c, model: string(rm.Model), hidden: strings.Join(hs, ","), activation: string(rm.Activation),
		loss: string(cmp.Or(o.Loss, reward.BradleyTerry)), optimizer: string(rm.Optimizer), grouping: string(cmp.Or(o.Grouping, reward.GroupByPrompt))}
}

// register adds the flags; lrFlag names the learning rate's ("lr" where
// no policy shares the command, "rm-lr" beside one).
func (t *trainFlags) register(fs *pflag.FlagSet, lrFlag string, withDistractors bool) {
	fs.StringVar(&t.model, "model", t.model, "reward model: "+enum.List(reward.Kinds()...)+" (affine has a bias, to show it gets no gradient)")
	fs.StringVar(&t.hidden, "hidden", t.hidden, fmt.Sprintf("mlp hidden widths, one or two, e.g. 32 or 32,16 (1 to %d each)", reward.MaxWidth))
	fs.StringVar(&t.activation, "activation", t.activation, "mlp activation: "+enum.List(reward.Activations()...))
	fs.StringVar(&t.loss, "loss", t.loss, "loss: "+enum.List(reward.Losses()...)+" (pairwise Bradley-Terry or listwise Plackett-Luce)")
	fs.StringVar(&t.optimizer, "optimizer", t.optimizer, "optimizer: "+enum.List(reward.Optimizers()...)+" (lbfgs: full batch, exact for linear)")
	fs.StringVar(&t.grouping, "grouping", t.grouping, "grouping: "+enum.List(reward.Groupings()...)+" (all pairs of a prompt together, weight 1/C(K,2); or shuffled pairs)")
	t.params.register(fs, t.c, func(p pipeline.Param) bool {
		return (p.Part == pipeline.PartRM && !strings.HasPrefix(p.Name, "ensemble")) || (withDistractors && p.Name == distractors)
	}, map[string]string{"rm-lr": lrFlag})
}

func option(flag string, err error) error {
	if err == nil {
		return nil
	}
	var ee *enum.Error
	if errors.As(err, &ee) {
		return usagef("invalid --%s %q: want %s", flag, ee.Value, ee.Valid)
	}
	return usagef("invalid --%s: %v", flag, err)
}

// oneOf checks a flag whose values only the command line knows, such as
// an output format.
func oneOf(flag, v string, allowed ...string) error {
	return option(flag, enum.Check(flag, v, allowed...))
}

// settings turns the error of a settings struct's Validate, which checks
// rules between options, into a usage error.
func settings(err error) error {
	if err == nil {
		return nil
	}
	return usagef("invalid flags: %v", err)
}

func (t *trainFlags) validate() error {
	if err := firstError(
		option("model", t.kind().Validate()),
		option("activation", reward.Activation(t.activation).Validate()),
		option("loss", reward.Loss(t.loss).Validate()),
		option("optimizer", reward.Optimizer(t.optimizer).Validate()),
		option("grouping", reward.Grouping(t.grouping).Validate()),
		t.params.validate(),
	); err != nil {
		return err
	}
	if _, err := t.hiddenWidths(); err != nil {
		return err
	}
	return settings(t.rmConfig().Validate())
}

func (t *trainFlags) kind() reward.Kind { return reward.Kind(t.model) }

func (t *trainFlags) hiddenWidths() ([]int, error) {
	var hs []int
	for _, p := range strings.Split(t.hidden, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, usagef("invalid --hidden %q: give one or two whole-number widths, e.g. 32 or 32,16", t.hidden)
		}
		hs = append(hs, h)
	}
	if err := reward.CheckHidden(hs); err != nil {
		return nil, option("hidden", err)
	}
	return hs, nil
}

// dataSource is where train and pipeline get their preference data: a JSONL
// file or a freshly generated dataset.
type dataSource struct {
	gen  genFlags
	data string
}

// load returns the dataset, and the gold spec when the data were generated
// here (it is unknown for a file).
// distractors is the number of distractor features training will add,
// which the memory check counts.
func (s *dataSource) load(cmd *cobra.Command, distractors int) (*prefs.Dataset, *world.Gold, error) {
	if s.data == "" {
		if err := s.gen.validate(); err != nil {
			return nil, nil, err
		}
		if err := s.gen.checkMemory(distractors); err != nil {
			return nil, nil, err
		}
		g, err := s.gen.generate()
		if err != nil {
			return nil, nil, err
		}
		return g.Data, &g.Gold, nil
	}
	var set []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "gold" || slices.Contains(s.gen.params.flagNames(), f.Name) {
			set = append(set, "--"+f.Name)
		}
	})
	if len(set) > 0 {
		return nil, nil, usagef("%s generate data and cannot be combined with --data", strings.Join(set, ", "))
	}
	d, err := prefs.ReadFile(s.data)
	if err != nil {
		return nil, nil, usagef("reading --data: %v", err)
	}
	if distractors > 0 {
		need := int64(d.NumResponses()) * int64(len(d.Features)+distractors) * 8 * 2
		if err := checkMemory(need, s.gen.memory, "--distractors"); err != nil {
			return nil, nil, err
		}
	}
	return d, nil, nil
}

func (t *trainFlags) rmConfig() pipeline.RM {
	rm := t.c.RM
	rm.Hidden, _ = t.hiddenWidths()
	rm.Model, rm.Activation, rm.Optimizer = t.kind(), reward.Activation(t.activation), reward.Optimizer(t.optimizer)
	rm.Objective.Loss, rm.Objective.Grouping = reward.Loss(t.loss), reward.Grouping(t.grouping)
	return rm
}

// fit trains a reward model on d as the flags say.
func (t *trainFlags) fit(d *prefs.Dataset, seed uint64, progress func(reward.Epoch)) (*pipeline.Trained, timing, error) {
	if err := t.validate(); err != nil {
		return nil, timing{}, err
	}
	if n := t.c.Data.Distractors; n > 0 {
		d = prefs.WithDistractors(d, n, rng.Stream(seed, rng.Distractors))
	}
	c := t.rmConfig()
	c.Progress = progress
	at := map[string]time.Time{}
	c.Stage = func(name string) { at[name] = time.Now() }
	tr, err := c.Train(d, seed)
	tm := timing{train: at["evaluate"].Sub(at["train"]), evaluate: at["done"].Sub(at["evaluate"])}
	if err != nil {
		if errors.Is(err, reward.ErrData) || errors.Is(err, reward.ErrShape) || errors.Is(err, pipeline.ErrConfig) {
			return nil, tm, usageError{err}
		}
		return nil, tm, err
	}
	return tr, tm, nil
}

// timing is how long training and evaluating took, for --timings.
type timing struct{ train, evaluate time.Duration }

type trainOptions struct {
	src     dataSource
	train   trainFlags
	asJSON  bool
	save    string
	timings bool
}

func newTrainCmd() *cobra.Command {
	o := &trainOptions{src: dataSource{gen: defaultGenFlags()}}
	o.train = defaultTrainFlags(o.src.gen.c)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a reward model on pairwise preferences and evaluate it against the gold reward",
		Long: `train fits a reward model as a ranker: it sees only which response of each
pair was preferred and learns scores whose differences reproduce those
preferences. It then evaluates the model on held-out prompts against the
labels and against the hidden gold reward, and normalises its scores so the
training responses have mean 0.

The data come from --data (a JSONL file written by "rlhfsim data") or are
generated with the same flags as "rlhfsim data".`,
		Example: `  rlhfsim train --prompts 2000 --gold linear
  rlhfsim train --length-bias 1 --save-model biased.json
  rlhfsim train --data data.jsonl --model mlp --hidden 32 --json
  rlhfsim train --prompts 40 --k 2 --distractors 100   # too little data: loss stays near ln 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runTrain(cmd, o) },
	}
	o.src.gen.register(cmd.Flags())
	o.train.register(cmd.Flags(), "lr", true)
	cmd.Flags().StringVar(&o.src.data, "data", "", "train on this JSONL dataset instead of generating one")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print a JSON report instead of tables")
	cmd.Flags().StringVar(&o.save, "save-model", "", "save the trained model to this JSON file (written atomically)")
	cmd.Flags().BoolVar(&o.timings, "timings", false, "print on stderr how long reading (or generating) the data and training took, for benchmarks")
	return cmd
}

// trainReport is the JSON report of train.
type trainReport struct {
	Data      prefs.Summary    `json:"data"`
	Model     modelInfo        `json:"model"`
	Metrics   metricsReport    `json:"metrics"`
	Weights   []featureWeight  `json:"weights,omitempty"`
	Objective reward.Objective `json:"objective"`
	Minimised string           `json:"objective_minimised"`
	Stopped   string           `json:"stopped"`
}

type modelInfo struct {
	Kind   reward.Kind `json:"kind"`
	Params int         `json:"params"`
	Offset float64     `json:"offset"`
}

// metricsReport is reward.Metrics with the training history.
type metricsReport struct {
	reward.Metrics
	BestEpoch int            `json:"best_epoch"`
	History   []reward.Epoch `json:"history"`
}

type featureWeight struct {
	Feature string   `json:"feature"`
	Learned float64  `json:"learned"`
	True    *float64 `json:"true,omitempty"`
}

func weightsOf(tr *pipeline.Trained, gold *world.Gold) []featureWeight {
	lin, ok := tr.Scorer.Model.(*reward.Linear)
	if !ok {
		return nil
	}
	var ws []featureWeight
	for i, name := range tr.Scorer.Features {
		fw := featureWeight{Feature: name, Learned: lin.Weights()[i]}
		if gold != nil {
			if fi := world.FeatureIndex(name); fi >= 0 {
				v := gold.W[fi]
				fw.True = &v
			} else {
				v := 0.0 // distractors carry no weight
				fw.True = &v
			}
		}
		ws = append(ws, fw)
	}
	return ws
}

func runTrain(cmd *cobra.Command, o *trainOptions) error {
	if err := o.train.validate(); err != nil {
		return err
	}
	if o.save != "" && o.src.data != "" && samePath(o.save, o.src.data) {
		return usagef("invalid --save-model %q: it is the --data file, which saving the model would replace; choose another name", o.save)
	}
	t0 := time.Now()
	d, gold, err := o.src.load(cmd, o.src.gen.c.Data.Distractors)
	if err != nil {
		return err
	}
	t1 := time.Now()
	pr := newProgress(cmd.ErrOrStderr())
	rm := o.train.rmConfig()
	epochs := rm.Settings.Resolve().Epochs
	tr, tm, err := o.train.fit(d, o.src.gen.c.Seed, func(e reward.Epoch) { pr.update("training", e.Epoch, epochs) })
	pr.done()
	if err != nil {
		return err
	}
	if o.timings {
		// Wall times vary from run to run, so they go to stderr and never
		// into the report, which stays the same for the same seed.
		fmt.Fprintf(cmd.ErrOrStderr(), "timings: data %.3f s, training %.3f s, evaluating %.3f s\n",
			t1.Sub(t0).Seconds(), tm.train.Seconds(), tm.evaluate.Seconds())
	}
	if o.save != "" {
		if err := tr.Scorer.Save(o.save); err != nil {
			return usagef("writing --save-model: %v", err)
		}
	}
	rep := trainReport{
		Data:      prefs.Summarize(d),
		Model:     modelInfo{Kind: tr.Scorer.Model.Kind(), Params: len(tr.Scorer.Model.Params()), Offset: tr.Scorer.Offset},
		Metrics:   metricsReport{Metrics: tr.Metrics, BestEpoch: tr.Result.Best, History: tr.Result.History},
		Weights:   weightsOf(tr, gold),
		Objective: tr.Result.Objective,
		Minimised: tr.Result.Objective.Describe(),
		Stopped:   tr.Result.Stopped,
	}
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, rep)
	}
	printTrain(w, &rep)
	if o.save != "" {
		fmt.Fprintf(w, "\nsaved the model to %s\n", o.save)
	}
	return nil
}

func f3(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.3f", x)
}

func printTrain(w io.Writer, r *trainReport) {
	m := r.Metrics
	fmt.Fprintf(w, "%s model, %d parameters, trained on %d pairs (%d prompts, K=%d)\n", r.Model.Kind, r.Model.Params, r.Data.Train.Pairs, r.Data.Train.Prompts, r.Data.K)
	fmt.Fprintf(w, "objective: %s\n", r.Minimised)
	fmt.Fprintf(w, "%s\n\n", r.Stopped)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\tmeaning")
	fmt.Fprintf(tw, "train accuracy\t%s\tpairs ordered as labelled\n", f3(m.TrainAccuracy))
	fmt.Fprintf(tw, "val accuracy\t%s\t\n", f3(m.ValAccuracy))
	fmt.Fprintf(tw, "test accuracy\t%s\t\n", f3(m.TestAccuracy))
	fmt.Fprintf(tw, "ceiling accuracy\t%s\tthe gold reward's own accuracy on the test labels\n", f3(m.CeilingAccuracy))
	fmt.Fprintf(tw, "gold agreement\t%s\ttest pairs ordered as the gold reward orders them\n", f3(m.GoldAgreement))
	fmt.Fprintf(tw, "Spearman with gold\t%s\tover %d held-out responses\n", f3(m.SpearmanGold), m.HeldOut)
	fmt.Fprintf(tw, "Kendall with gold\t%s\t\n", f3(m.KendallGold))
	fmt.Fprintf(tw, "val loss\t%s\tln 2 = 0.693 is what knowing nothing scores\n", f3(m.ValLoss))
	fmt.Fprintf(tw, "score offset\t%s\tsubtracted so training responses average 0\n", f3(r.Model.Offset))
	tw.Flush()
	if len(r.Weights) > 0 && len(r.Weights) <= 20 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "feature\tlearned\ttrue\t")
		for _, fw := range r.Weights {
			t := "?"
			if fw.True != nil {
				t = fmt.Sprintf("%.3f", *fw.True)
			}
			fmt.Fprintf(tw, "%s\t%.3f\t%s\t\n", fw.Feature, fw.Learned, t)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "epoch\tloss\tval loss\ttrain acc\tval acc\tmean reward\tgrad norm\t")
	h := m.History
	step := max(1, (len(h)+11)/12)
	for i, e := range h {
		if i%step != 0 && i != len(h)-1 && i != m.BestEpoch {
			continue
		}
		mark := ""
		if i == m.BestEpoch {
			mark = " (kept)"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Epoch, mark, f3(e.Loss), f3(e.ValLoss), f3(e.TrainAcc), f3(e.ValAcc), f3(e.MeanReward), f3(e.GradNorm))
	}
	tw.Flush()
}
