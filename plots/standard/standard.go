package standard

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Standard builds the course's standard figure set from a pipeline run.
func Standard(r *pipeline.Result, th *plots.Theme) ([]plots.Figure, error) {
	if th == nil {
		th = plots.Slide()
	}
	var figs set
	add := figs.add
	d := r.Data
	rk := d.Rankings[0]
	labels := make([]string, rk.K)
	for i, pos := range rk.Order {
		labels[i] = fmt.Sprintf("%c", 'A'+pos)
	}
	p, err := plots.RankingToPairs(labels, th)
	if err := add("ranking_to_pairs", fmt.Sprintf("One annotator's ranking of %d responses becomes %d preference pairs, the winner first.", rk.K, rk.K*(rk.K-1)/2), p, err); err != nil {
		return nil, err
	}
	m := r.RM.Metrics
	p, err = plots.TrainingCurves(r.RM.Result.History, m.ValCeiling, th)
	if err := add("training_curves", "Pairwise loss and accuracy per epoch; validation accuracy approaches, but does not pass, the gold reward's own accuracy on the same labels.", p, err); err != nil {
		return nil, err
	}
	sc, gold := r.HeldOut()
	p, err = plots.ScoreVsGold(sc, gold, th)
	if err := add("score_vs_gold", "Trained on comparisons, used as a scorer: held-out responses' scores against their hidden gold reward.", p, err); err != nil {
		return nil, err
	}
	if lin, ok := linearWeights(r); ok {
		typical := world.Prompt{Category: world.Advice}
		slope := r.Gold.Gradient(typical, r.World.Mean(typical, nil), nil)
		n := world.NumNamed
		p, err = plots.Weights(d.Features[:n], lin[:n], slope[:n], th)
		if err := add("weights", "Learned weights of the named features beside the gold reward's slope at a typical base-policy answer (the 24 cues weigh nothing).", p, err); err != nil {
			return nil, err
		}
	}
	p, err = plots.Calibration(m.Calibration, th)
	if err := add("calibration", "Predicted against observed preference frequency on test pairs.", p, err); err != nil {
		return nil, err
	}
	raw := make([]float64, len(sc))
	for i, s := range sc {
		raw[i] = s + r.RM.Scorer.Offset
	}
	p, err = plots.ScoreDistributions(raw, sc, th)
	if err := add("score_distributions", "Held-out scores before and after subtracting the offset that gives base-policy responses mean 0.", p, err); err != nil {
		return nil, err
	}
	p, err = plots.PolicyCurves(r.Run.Steps, th)
	if err := add("policy_curves", "Proxy reward and hidden gold reward during policy optimisation (the overoptimisation figure draws them against KL).", p, err); err != nil {
		return nil, err
	}
	p, err = plots.AccuracyUnderShift(r.Run.Steps, m.GoldAgreement, th)
	if err := add("accuracy_under_shift", "The reward model's pairwise accuracy against gold on the policy's own samples as optimisation moves it away from the base policy, beside its held-out accuracy.", p, err); err != nil {
		return nil, err
	}
	// A curve too short to fit is drawn without its law.
	bon, _ := plots.BoNCurve(r.BoN).Fitted(stats.GaoBoN)
	rl, _ := plots.StepsCurve(r.Run.Steps).Fitted(stats.GaoRL)
	p, err = plots.Overoptimisation(bon, rl, th)
	if err := add("overoptimisation", "Gold and proxy gain against sqrt(KL), with Gao et al.'s fitted laws for best-of-n and RL.", p, err); err != nil {
		return nil, err
	}
	p, err = plots.BestOfN(r.BoN, th)
	if err := add("best_of_n", "Best-of-n on the pool: exact proxy, gold and KL, with the KL bound.", p, err); err != nil {
		return nil, err
	}
	before, after := r.Drift(world.Length, 4000)
	p, err = plots.FeatureDrift("length (log tokens)", before, after, th)
	if err := add("feature_drift", "Answer length under the base policy and after optimisation.", p, err); err != nil {
		return nil, err
	}
	sds := []float64{0, 0.25, 0.5, 0.75, 1, 1.5}
	rank, rate := pipeline.RankingVsRating(r.World, &pipeline.RatingExperiment{OffsetSDs: sds, Tau: r.Config.Data.Tau, K: r.Config.Data.K}, r.Config.Seed)
	p, err = plots.RankingVsRating(sds, "spread of the annotators' rating offsets (sd, Likert points)", rank, rate, th)
	if err := add("ranking_vs_rating", "How often pair labels agree with the gold reward when one annotator ranks a prompt's responses, and when different annotators rate them 1-7 with their own offsets.", p, err); err != nil {
		return nil, err
	}
	return figs, nil
}

// set collects a figure set, stopping at the first figure that cannot be
// built.
type set []plots.Figure

func (s *set) add(name, caption string, p *plot.Plot, err error) error {
	if err != nil {
		return fmt.Errorf("figure %s: %w", name, err)
	}
	*s = append(*s, plots.Figure{Name: name, Caption: caption, Plot: p})
	return nil
}

func linearWeights(r *pipeline.Result) ([]float64, bool) {
	type weighter interface{ Weights() []float64 }
	if w, ok := r.RM.Scorer.Model.(weighter); ok && r.RM.Scorer.Model.Kind() == reward.KindLinear {
		return w.Weights(), true
	}
	return nil, false
}
