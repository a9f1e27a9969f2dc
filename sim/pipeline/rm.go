package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// RM configures the reward model and its training: the training
// settings are reward.Settings, with its zero values and defaults.
type RM struct {
	reward.Settings
	Model      reward.Kind // linear (the default), affine or mlp
	Hidden     []int       // the MLP's hidden widths; nil means one layer of 32
	Activation reward.Activation
	Objective  reward.Objective
	// Ensemble, if 2 or more, also trains that many reward models, each
	// on its own bootstrap resample of the training prompts with its own
	// initialisation and minibatch order, and the policy optimises their
	// Aggregate instead of the single model's score. Zero or 1 means no
	// ensemble.
	Ensemble  int
	Aggregate reward.Aggregate // mean (the default), min or lcb
	K         float64          // lcb's number of standard deviations; zero means 1
	// View, if between 0 and 1, is the fraction of the features each
	// ensemble member is trained on, a random subset of its own (the
	// random subspace method, Ho 1998); the others read as 0 to it, so a
	// linear member puts no weight on them. Members that see different
	// features disagree about answers that move the features only some
	// of them weigh. Zero or 1 means every member sees every feature.
	View float64
	// Stage, if not nil, is told as Train begins training ("train") and
	// evaluating ("evaluate"), and when it is done ("done"): how the
	// command line times the stages, with no clock in the engine.
	Stage func(name string) `json:"-"`
}

// DefaultWidth is the width of the MLP's one hidden layer when
// RM.Hidden is nil.
const DefaultWidth = 32

func (c RM) hidden() []int {
	if c.Hidden == nil {
		return []int{DefaultWidth}
	}
	return c.Hidden
}

// MaxEnsemble is the largest ensemble RM.Validate accepts.
const MaxEnsemble = 64

// TrainEnsemble trains the configured ensemble on bootstrap resamples of
// d's training prompts. Member seeds are drawn from a stream of their
// own, so the single model of the same seed is unchanged by them.
func (c RM) TrainEnsemble(d *prefs.Dataset, seed uint64, progress func(member int)) ([]*Trained, *reward.Ensemble, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	src := rng.Stream(seed, rng.Ensemble)
	c.Stage, c.Progress = nil, nil // the hooks follow the single model, not each member
	members := make([]*Trained, c.Ensemble)
	e := &reward.Ensemble{Aggregate: c.Aggregate, K: c.K}
	for m := range members {
		ms := src.Uint64()
		md := prefs.Bootstrap(d, rng.Stream(ms, rng.Bootstrap))
		if c.View > 0 && c.View < 1 {
			md = view(md, c.View, rng.Stream(ms, rng.View))
		}
		tr, err := c.Train(md, ms)
		if err != nil {
			return nil, nil, fmt.Errorf("ensemble member %d: %w", m+1, err)
		}
		members[m] = tr
		e.Members = append(e.Members, tr.Scorer)
		if progress != nil {
			progress(m + 1)
		}
	}
	return members, e, nil
}

// view returns d with all but a random fraction f of its features (at
// least one) set to 0 in every response.
func view(d *prefs.Dataset, f float64, src rand.Source) *prefs.Dataset {
	D := d.D()
	keep := max(1, int(math.Round(f*float64(D))))
	perm := rand.New(src).Perm(D)
	hide := make([]bool, D)
	for _, j := range perm[keep:] {
		hide[j] = true
	}
	out := *d
	out.Phi = append([]float64(nil), d.Phi...)
	for i := range out.Phi {
		if hide[i%D] {
			out.Phi[i] = 0
		}
	}
	return &out
}

// Trained is a reward model after training: its scorer, history and
// evaluation.
type Trained struct {
	Scorer  *reward.Scorer
	Result  *reward.Result
	Metrics reward.Metrics
}

// Train fits the configured reward model to d, evaluates it and normalises
// its scores on the training responses (base-policy samples). The seed
// draws its initialisation and minibatch order; Config.Reward trains with
// the run's seed.
func (c RM) Train(d *prefs.Dataset, seed uint64) (*Trained, error) {
	stage := c.Stage
	if stage == nil {
		stage = func(string) {}
	}
	for _, sp := range []prefs.Split{prefs.Train, prefs.Val, prefs.Test} {
		if len(d.SplitPairs(sp)) == 0 {
			return nil, bad("the dataset has no %s pairs: training needs train, validation and test prompts", sp)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m, err := reward.New(c.Model, d.D(), reward.Spec{Hidden: c.hidden(), Activation: c.Activation}, rng.Stream(seed, rng.Init))
	if err != nil {
		return nil, err
	}
	stage("train")
	res, err := reward.Train(m, d, c.Objective, &c.Settings, rng.Stream(seed, rng.Train))
	if err != nil {
		return nil, err
	}
	stage("evaluate")
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
	stage("done")
	return &Trained{Scorer: sc, Result: res, Metrics: mt}, nil
}

// proxy returns what the policy optimises by the reward model: the
// ensemble's aggregate when there is one, else the single model's score.
// Each call makes copies of the scorers, for another goroutine.
func (c RM) proxy(single *Trained, e *reward.Ensemble) policy.RewardFunc {
	if e != nil {
		return e.Copy().Reward
	}
	return single.Scorer.Copy().Reward
}
