package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/rlhfsim/rlhfsim/internal/fileio"

	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

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
	printModels(w, rep)
	printPolicy(w, rep, m)
	printBestOfN(w, r, rep)
}

// printModels says what the ensemble is and what DPO or IPO did, when
// the run had them.
func printModels(w io.Writer, rep *pipelineReport) {
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
}

// printPolicy shows the policy's run, step by step, and what became of
// the proxy and the gold reward.
func printPolicy(w io.Writer, rep *pipelineReport, m reward.Metrics) {
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
}

// printBestOfN shows the best-of-n sweep.
func printBestOfN(w io.Writer, r *pipeline.Result, rep *pipelineReport) {
	if r.BoNSample.Size > 0 {
		fmt.Fprintf(w, "\nbest-of-n on the pool of %d base-policy samples for each of %d prompts (exact for the pool; drawing from it stands for drawing from the base policy while n is at most a quarter of it):\n", r.BoNSample.Size, r.BoNSample.Prompts)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "n\tKL\tbound\tproxy\tgold\twin rate\tgold win rate\t")
	for _, b := range rep.BestOfN {
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%+.3f\t%+.3f\t%.3f\t%.3f\t\n", b.N, b.KL, b.Bound, b.Proxy, b.Gold, b.WinRate, b.GoldWinRate)
	}
	tw.Flush()
}
