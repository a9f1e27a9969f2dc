package pipeline

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Data configures the preference data.
type Data struct {
	Prompts, K   int
	Tau          float64
	LengthBias   float64
	PositionBias float64
	FlatteryBias float64
	Annotators   int
	TauSpread    float64
	Gold         world.GoldName
	Val, Test    float64
	Distractors  int // irrelevant random features appended for the reward model
}

// RM configures the reward model and its training.
type RM struct {
	Model      reward.Kind // linear (the default), affine or mlp
	Hidden     []int       // the MLP's hidden widths
	Activation reward.Activation
	Objective  reward.Objective
	Optimizer  reward.Optimizer
	Epochs     int
	LR         float64
	Batch      int
	Patience   int
}

// Policy configures policy optimisation and best-of-n.
type Policy struct {
	Kind     PolicyKind
	Settings policy.Settings
	Prompts  int   // prompts the policy answers
	PoolSize int   // responses per prompt in the pool (also for best-of-n)
	Draws    int   // common random draws per prompt for the generative policy
	BoN      []int // n values of the best-of-n sweep
}

// Config is a whole pipeline run.
type Config struct {
	Seed   uint64
	Data   Data
	RM     RM
	Policy Policy
}

// Default returns the configuration of the default run: 2,000 prompts,
// K = 4, one annotator at temperature 1, the default (concave) gold, a
// linear reward model trained with Adam, and 300 RLOO steps of the
// generative policy at beta 0.05.
func Default() Config {
	return Config{
		Seed: 1,
		Data: Data{Prompts: 2000, K: 4, Tau: 1, Annotators: 1, Gold: world.GoldDefault, Val: 0.1, Test: 0.1},
		RM: RM{Model: reward.KindLinear, Hidden: []int{32}, Activation: reward.Tanh, Optimizer: reward.Adam,
			Epochs: 30, LR: 0.02, Batch: 32, Patience: 5},
		Policy: Policy{Kind: Generative, Prompts: 200, PoolSize: 128, Draws: 16,
			Settings: policy.Settings{Algo: policy.RLOO, Beta: 0.05, Steps: 300, LR: 0.02, Samples: 64, PerPrompt: 4},
			BoN:      []int{1, 2, 4, 8, 16, 32, 64, 128, 256}},
	}
}

// ErrConfig is wrapped by errors for a bad configuration.
var ErrConfig = errors.New("pipeline: bad configuration")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// World builds the simulated world the data configuration describes.
func (c Data) World() (*world.World, world.Gold, error) {
	gold, err := world.GoldByName(c.Gold)
	if err != nil {
		return nil, gold, config(err)
	}
	w, err := world.New(&world.Settings{Gold: gold.Func()})
	return w, gold, err
}

// Annotator returns the panel's shared settings.
func (c Data) Annotator() annotate.Annotator {
	a := annotate.Annotator{Tau: c.Tau}
	if c.LengthBias != 0 {
		a.Biases = append(a.Biases, annotate.LengthBias(c.LengthBias))
	}
	if c.PositionBias != 0 {
		a.Biases = append(a.Biases, annotate.PositionBias(c.PositionBias))
	}
	if c.FlatteryBias != 0 {
		a.Biases = append(a.Biases, annotate.FeatureBias{Feature: world.Flattery, B: c.FlatteryBias})
	}
	return a
}

// frac maps 0 ("none") to the negative value prefs uses for none.
func frac(f float64) float64 {
	if f == 0 {
		return -1
	}
	return f
}

// MemoryEstimate is about how many bytes the dataset and its training
// take: the responses' features (with Distractors), the gold rewards, the
// pairs and the rankings, and the reward model's per-response and per-pair
// work arrays. Commands compare it with the memory they may use before
// they allocate anything.
func (c Data) MemoryEstimate() int64 {
	n, k := int64(max(c.Prompts, 0)), int64(max(c.K, 0))
	d := int64(len(world.FeatureNames()) + max(c.Distractors, 0))
	responses, pairs := n*k, n*k*(k-1)/2
	data := responses*(d+1)*8 + pairs*int64(unsafe.Sizeof(prefs.Pair{})) +
		n*(int64(unsafe.Sizeof(prefs.Ranking{}))+k*8+64)
	training := responses*3*8 + pairs*2*8
	return data + training
}

// MemoryEstimate is about how many bytes the policy stage takes: the
// pool's features and scores and, for the generative policy, its draws.
func (c Policy) MemoryEstimate() int64 {
	n := int64(max(c.Prompts, 0))
	d := int64(len(world.FeatureNames()))
	pool := n * int64(max(c.PoolSize, 0)) * (d + 4) * 8
	draws := n * int64(max(c.Draws, 0)) * (2*d + 4) * 8
	return pool + draws
}

// Generate builds the world and the preference dataset.
func (c Data) Generate(seed uint64) (*world.World, world.Gold, *prefs.Dataset, error) {
	w, gold, err := c.World()
	if err != nil {
		return nil, gold, nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, gold, nil, err
	}
	panel := annotate.Panel(c.Annotators, c.Annotator(), c.TauSpread, rng.Stream(seed, rng.Panel))
	d, err := prefs.Generate(w, panel, &prefs.Settings{Prompts: c.Prompts, K: c.K, Val: frac(c.Val), Test: frac(c.Test)},
		rng.Stream(seed, rng.Data))
	if err != nil {
		return nil, gold, nil, err
	}
	if c.Distractors > 0 {
		d = prefs.WithDistractors(d, c.Distractors, rng.Stream(seed, rng.Distractors))
	}
	return w, gold, d, nil
}

// Trained is a reward model after training: its scorer, history and
// evaluation.
type Trained struct {
	Scorer  *reward.Scorer
	Result  *reward.Result
	Metrics reward.Metrics
}

// Train fits the configured reward model to d, evaluates it and normalises
// its scores on the training responses (base-policy samples).
func (c RM) Train(d *prefs.Dataset, seed uint64, progress func(reward.Epoch)) (*Trained, error) {
	for _, sp := range []prefs.Split{prefs.Train, prefs.Val, prefs.Test} {
		if len(d.SplitPairs(sp)) == 0 {
			return nil, bad("the dataset has no %s pairs: training needs train, validation and test prompts", sp)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var m reward.Model
	switch c.Model {
	case reward.KindMLP:
		mlp, err := reward.NewMLP(d.D(), c.Hidden, c.Activation, rng.Stream(seed, rng.Init))
		if err != nil {
			return nil, err
		}
		m = mlp
	case reward.KindAffine:
		m = reward.NewAffine(d.D())
	default:
		m = reward.NewLinear(d.D())
	}
	res, err := reward.Train(m, d, c.Objective, &reward.Settings{
		Optimizer: c.Optimizer, Epochs: c.Epochs, LR: c.LR, Batch: c.Batch,
		Patience: c.Patience, Progress: progress,
	}, rng.Stream(seed, rng.Train))
	if err != nil {
		return nil, err
	}
	mt, err := reward.Evaluate(m, d, res.Objective)
	if err != nil {
		return nil, err
	}
	sc := reward.NewScorer(m, d.Features, res.Objective)
	var refs []float64
	for _, ri := range d.SplitRankings(prefs.Train) {
		rk := &d.Rankings[ri]
		refs = append(refs, d.Phi[rk.First*d.D():(rk.First+rk.K)*d.D()]...)
	}
	sc.Normalize(refs)
	return &Trained{Scorer: sc, Result: res, Metrics: mt}, nil
}

// Proxy returns the scorer as a policy reward.
func Proxy(sc *reward.Scorer) policy.RewardFunc {
	return func(_ world.Prompt, phi []float64) float64 { return sc.Score(phi) }
}

// Result is everything a pipeline run produced.
type Result struct {
	Config  Config
	World   *world.World
	Gold    world.Gold
	Data    *prefs.Dataset
	Summary prefs.Summary
	RM      *Trained
	Policy  policy.Policy
	Run     *policy.Run
	// Pool is the pool the best-of-n sweep ran on (the policy itself when
	// it is a pool, at its starting point).
	Pool *policy.Pool
	BoN  []policy.BoN
	// PoolProxy and PoolGold score every pool member.
	PoolProxy, PoolGold []float64
}

// Progress reports a run's progress: stage is "data", "reward model",
// "policy" or "best-of-n"; done of total units of that stage are finished.
type Progress func(stage string, done, total int)

// Run executes the whole pipeline.
func Run(c Config, progress Progress) (*Result, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if c.Data.Distractors > 0 {
		return nil, bad("distractor features exist only for reward-model training; a policy cannot produce them")
	}
	pc := c.Policy
	if err := pc.Validate(); err != nil {
		return nil, err
	}
	r := &Result{Config: c}
	progress("data", 0, 1)
	w, gold, d, err := c.Data.Generate(c.Seed)
	if err != nil {
		return nil, err
	}
	r.World, r.Gold, r.Data, r.Summary = w, gold, d, prefs.Summarize(d)
	progress("data", 1, 1)
	r.RM, err = c.RM.Train(d, c.Seed, func(e reward.Epoch) { progress("reward model", e.Epoch, c.RM.Epochs) })
	if err != nil {
		return nil, err
	}
	proxy := Proxy(r.RM.Scorer)
	prompts := w.Prompts(pc.Prompts, 1_000_000, rng.Stream(c.Seed, rng.Prompts))
	r.Pool = policy.NewPool(w, prompts, pc.PoolSize, rng.Stream(c.Seed, rng.Pool))
	r.PoolProxy, r.PoolGold = r.Pool.Scores(proxy), r.Pool.Scores(w.Gold)
	if pc.Kind == PoolPolicy {
		r.Policy = r.Pool
	} else {
		r.Policy = policy.NewGaussian(w, prompts, pc.Draws, rng.Stream(c.Seed, rng.Draws))
	}
	// The sweep runs before optimisation, while the pool is still the base
	// policy: best-of-n samples from pi_ref.
	for i, n := range pc.BoN {
		r.BoN = append(r.BoN, policy.BestOfN(r.Pool, r.PoolProxy, r.PoolGold, n))
		progress("best-of-n", i+1, len(pc.BoN))
	}
	set := pc.Settings
	if set.Steps == 0 {
		set.Steps = 300
	}
	set.Progress = func(s policy.Step) { progress("policy", s.Step, set.Steps) }
	r.Run, err = policy.Optimize(r.Policy, proxy, w.Gold, &set, rng.Stream(c.Seed, rng.Optimize))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// GoldPeak returns the step at which the policy's gold reward peaked and
// how far the final gold lies below that peak.
func (r *Result) GoldPeak() (step int, drop float64) {
	best := math.Inf(-1)
	for _, s := range r.Run.Steps {
		if s.Gold > best {
			best, step = s.Gold, s.Step
		}
	}
	return step, best - r.Run.Steps[len(r.Run.Steps)-1].Gold
}

// Drift returns n samples of feature f under the base policy and under the
// optimised policy, for the same prompts, drawn from the seed's evaluation
// stream.
func (r *Result) Drift(f, n int) (before, after []float64) {
	rg := rng.Stream(r.Config.Seed, rng.Drift)
	prompts := r.Policy.Prompts()
	phi := make([]float64, world.NumFeatures)
	for i := 0; i < n; i++ {
		pi := i % len(prompts)
		r.World.Sample(prompts[pi], phi, rg)
		before = append(before, phi[f])
		s := r.Policy.Sample(pi, rg)
		after = append(after, s.Phi[f])
	}
	return before, after
}

// HeldOut returns the normalised scores and gold rewards of the test
// responses.
func (r *Result) HeldOut() (scores, gold []float64) {
	d := r.Data
	for _, ri := range d.SplitRankings(prefs.Test) {
		rk := &d.Rankings[ri]
		for j := rk.First; j < rk.First+rk.K; j++ {
			scores = append(scores, r.RM.Scorer.Score(d.Response(j)))
			gold = append(gold, d.Gold[j])
		}
	}
	return scores, gold
}

// RankingVsRating measures how consistent a training signal rankings and
// ratings give. For each spread of the annotators' rating offsets in
// offsetSDs it builds a panel of five annotators at temperature tau (rating
// scales vary with log-sd 0.3) and, over the given number of prompts with k
// responses each, returns the fraction of derived pair labels that agree
// with the gold reward:
//
//   - ranking: one annotator ranks all k responses of a prompt, giving
//     k(k-1)/2 pairs;
//   - rating: each response is rated 1-7 on its own by an annotator drawn
//     at random, as when responses are rated independently, and every pair
//     of a prompt is labelled by comparing its two ratings (a tie counts
//     one half).
//
// Within one annotator's ranking, offsets and scales cancel; across raters
// they do not.
func RankingVsRating(w *world.World, offsetSDs []float64, tau float64, prompts, k int, seed uint64) (ranking, rating []float64) {
	rg := rng.Stream(seed, rng.Ratings)
	ps := w.Prompts(prompts, 0, rg)
	D := world.NumFeatures
	phis := make([][]float64, len(ps))
	for i, p := range ps {
		phis[i] = make([]float64, k*D)
		for j := 0; j < k; j++ {
			w.Sample(p, world.Row(phis[i], D, j), rg)
		}
	}
	order := make([]int, k)
	rates := make([]int, k)
	for _, sd := range offsetSDs {
		panel := annotate.PanelSpread(5, annotate.Annotator{Tau: tau}, sd, 0.3, 0, rg)
		var rk, rt, n float64
		for i, p := range ps {
			g := make([]float64, k)
			for j := range g {
				g[j] = w.Gold(p, world.Row(phis[i], D, j))
			}
			panel[rg.IntN(len(panel))].Rank(w.Gold, p, phis[i], order, rg)
			for j := range rates {
				a := &panel[rg.IntN(len(panel))]
				rates[j] = a.Rate(w.Gold, p, world.Row(phis[i], D, j), rg)
			}
			pos := stats.Invert(nil, order)
			for a := 0; a < k; a++ {
				for b := a + 1; b < k; b++ {
					rk += stats.Concordance(float64(pos[b]-pos[a]), g[a]-g[b])
					rt += stats.Concordance(float64(rates[a]-rates[b]), g[a]-g[b])
					n++
				}
			}
		}
		ranking, rating = append(ranking, rk/n), append(rating, rt/n)
	}
	return ranking, rating
}

// Reward generates the configured data and trains the configured reward
// model on it: the first half of Run, for lessons that stop at the reward
// model.
func (c Config) Reward() (*prefs.Dataset, *Trained, error) {
	_, _, d, err := c.Data.Generate(c.Seed)
	if err != nil {
		return nil, nil, err
	}
	tr, err := c.RM.Train(d, c.Seed, nil)
	if err != nil {
		return nil, nil, err
	}
	return d, tr, nil
}
