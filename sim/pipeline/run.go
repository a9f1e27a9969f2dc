package pipeline

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/rlhfsim/rlhfsim/internal/workers"
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// column returns column k of a flat table of width columns.
func column(t []float64, width, k int) []float64 {
	out := make([]float64, len(t)/width)
	for i := range out {
		out[i] = t[i*width+k]
	}
	return out
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
// linear reward model trained with Adam, 300 RLOO steps of the
// generative policy at beta 0.2, and a best-of-n sweep from n = 1 to
// 16,384. TestDefaultDocumented holds this comment to the values.
func Default() Config { return DefaultFor(world.Variant{}) }

// DefaultFor is the default run in a student's variant of the hidden
// world: its gold weights, its annotators' taste and temperature
// (world.Variant). A lesson run for a student gets it as Default.
func DefaultFor(v world.Variant) Config {
	tau := 1.0
	if v.Code != "" {
		tau = v.Tau
	}
	return Config{
		Seed: 1,
		Data: Data{Settings: prefs.Settings{Prompts: 2000, K: 4, Val: 0.1, Test: 0.1},
			Tau: tau, Annotators: 1, Gold: world.GoldDefault, Variant: v},
		RM: RM{Model: reward.KindLinear, Hidden: []int{DefaultWidth}, Activation: reward.Tanh,
			Settings: reward.Settings{Optimizer: reward.Adam, Epochs: 30, LR: 0.02, Batch: 32, Patience: 5}},
		Policy: Policy{Kind: Generative, Prompts: DefaultPolicyPrompts, PoolSize: DefaultPoolSize, Draws: DefaultDraws,
			Settings: policy.Settings{Algo: policy.RLOO, Beta: 0.2, Steps: 300, LR: 0.04, Samples: 64, PerPrompt: 4},
			BoN:      []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384}},
	}
}

// Validate reports a configuration Run cannot use: the first error of
// its parts' Validate, or distractor features, which a policy cannot
// produce.
func (c Config) Validate() error {
	if c.Data.Distractors > 0 {
		return bad("distractor features exist only for reward-model training; a policy cannot produce them")
	}
	for _, err := range []error{c.Data.Validate(), c.RM.Validate(), c.Policy.Validate()} {
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrConfig is wrapped by errors for a bad configuration.
var ErrConfig = errors.New("pipeline: bad configuration")

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
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
	// BoNSample says how many base-policy samples the best-of-n sweep
	// selected from.
	BoNSample BoNSample
	BoN       []policy.BoN
	// Ensemble holds the ensemble's members when RM.Ensemble >= 2; the
	// policy then optimised their aggregate, and RM is the single model
	// trained on all the data, for comparison.
	Ensemble []*Trained
	// Direct compares a DPO or IPO policy with the reward-model route.
	Direct *Direct
	// Verifier is the verifier's view of the run, when it had one.
	Verifier *VerifierReport
	// Audit holds the checks of Policy.Audit, when it asked for any.
	Audit []AuditPoint
}

// Progress reports a run's progress: stage is "data", "reward model",
// "ensemble", "policy" or "best-of-n"; done of total units of that stage are finished.
type Progress func(stage string, done, total int)

// Run executes the whole pipeline.
func Run(c Config, progress Progress) (*Result, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := &stages{c: c, pc: c.Policy.withDefaults(), progress: progress, r: &Result{Config: c}}
	for _, stage := range []func() error{s.data, s.rewardModel, s.rewards, s.startPolicy, s.bestOfN} {
		if err := stage(); err != nil {
			return nil, err
		}
	}
	s.watchVerifier()
	finish := s.optimise
	if s.pc.Method.IsDirect() {
		finish = s.direct
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return s.r, nil
}

// stages is one pipeline run in progress: Run calls its stages in
// order, each filling in the Result and what the later stages need.
type stages struct {
	c        Config
	pc       Policy
	progress Progress
	r        *Result

	ens     *reward.Ensemble  // the ensemble, when RM.Ensemble >= 2
	v       *verify.Verifier  // the verifier, when the policy has one
	rmProxy policy.RewardFunc // the reward model's (or ensemble's) score
	proxy   policy.RewardFunc // what the policy optimises
	prompts []world.Prompt

	bonChecked, bonOpen []policy.BoN
	watch               []policy.RewardFunc
	cov                 float64
}

// data generates the preference data.
func (s *stages) data() error {
	s.progress("data", 0, 1)
	g, err := s.c.Data.Generate(s.c.Seed)
	if err != nil {
		return err
	}
	s.r.World, s.r.Gold, s.r.Data, s.r.Summary = g.World, g.Gold, g.Data, prefs.Summarize(g.Data)
	s.progress("data", 1, 1)
	return nil
}

// rewardModel trains the reward model, and the ensemble if asked.
func (s *stages) rewardModel() error {
	c, r := s.c, s.r
	var err error
	rm := c.RM
	epochs := rm.Settings.Resolve().Epochs
	rm.Progress = func(e reward.Epoch) { s.progress("reward model", e.Epoch, epochs) }
	r.RM, err = rm.Train(r.Data, c.Seed)
	if err != nil {
		return err
	}
	if c.RM.Ensemble >= 2 {
		s.progress("ensemble", 0, c.RM.Ensemble)
		r.Ensemble, s.ens, err = c.RM.TrainEnsemble(r.Data, c.Seed, func(m int) { s.progress("ensemble", m, c.RM.Ensemble) })
		if err != nil {
			return err
		}
	}
	return nil
}

// rewards sets up what the policy optimises: the reward model's score,
// or the verifier's verdict or their mixture.
func (s *stages) rewards() error {
	s.proxy = s.c.RM.proxy(s.r.RM, s.ens)
	var err error
	if s.v, err = s.pc.verifier(); err != nil {
		return err
	}
	s.rmProxy = s.proxy
	if s.v != nil {
		s.proxy = s.pc.reward(s.v, s.rmProxy)
	}
	return nil
}

// startPolicy draws the prompts and the base policy.
func (s *stages) startPolicy() error {
	c, w := s.c, s.r.World
	s.prompts = w.Prompts(s.pc.Prompts, PolicyPromptIDs, rng.Stream(c.Seed, rng.Prompts))
	if s.pc.Kind == Pool {
		s.r.Policy = policy.NewPool(w, s.prompts, s.pc.PoolSize, rng.Stream(c.Seed, rng.Pool))
	} else {
		s.r.Policy = policy.NewGaussian(w, s.prompts, s.pc.Draws, rng.Stream(c.Seed, rng.Draws))
	}
	return nil
}

// bestOfN selects from base-policy samples: a pool of its own, kept as
// scores alone, large enough for the largest n.
func (s *stages) bestOfN() error {
	c, pc, r, w, v := s.c, s.pc, s.r, s.r.World, s.v
	if len(pc.BoN) == 0 {
		return nil
	}
	s.progress("best-of-n", 0, 1)
	m, np := pc.bonPool(), pc.BoNPrompts
	if np == 0 {
		np = DefaultBoNPrompts
	}
	np = min(np, len(s.prompts))
	bp := s.prompts[:np]
	// Each member keeps its reward-model score, the score best-of-n
	// selects by, and its gold reward. Scorers keep scratch space, so
	// each worker scores with copies of its own.
	scores := policy.DrawScores(w, bp, m, 3, func() func(int, []float64, []float64, *rand.Rand) {
		rm := c.RM.proxy(r.RM, s.ens)
		return func(i int, phi, dst []float64, own *rand.Rand) {
			dst[0] = rm(bp[i], phi)
			dst[1] = dst[0]
			if v != nil {
				dst[1] = pc.bonScore(v, bp[i], phi, dst[0], own)
			}
			dst[2] = w.Gold(bp[i], phi)
		}
	}, rng.Stream(c.Seed, rng.BoN))
	by, gs := column(scores, 3, 1), column(scores, 3, 2)
	r.BoNSample = BoNSample{Size: m, Prompts: np}
	r.BoN = policy.BestOfNScores(m, by, gs, pc.BoN, nil)
	if v != nil {
		checked := func(i int) bool { return v.Checks(bp[i]) }
		// A part with no prompt is left out, not reported as NaN.
		if slices.ContainsFunc(bp, v.Checks) {
			s.bonChecked = policy.BestOfNScores(m, by, gs, pc.BoN, checked)
		}
		if slices.ContainsFunc(bp, func(p world.Prompt) bool { return !v.Checks(p) }) {
			s.bonOpen = policy.BestOfNScores(m, by, gs, pc.BoN, func(i int) bool { return !checked(i) })
		}
	}
	s.progress("best-of-n", 1, 1)
	return nil
}

// watchVerifier has the verifier watch the policy's prompts, when there
// is one.
func (s *stages) watchVerifier() {
	if s.v == nil {
		return
	}
	s.watch, s.cov = watchVerifier(s.v, s.prompts, s.r.World.Gold)
	s.r.Verifier = &VerifierReport{Settings: s.v.Settings(), Coverage: s.cov, BoNChecked: s.bonChecked, BoNOpen: s.bonOpen}
}

// direct fits the policy to the preferences by DPO or IPO, and compares
// it with the reward-model route.
func (s *stages) direct() error {
	pc, r, w := s.pc, s.r, s.r.World
	ds := &policy.Direct{Method: pc.Method, Beta: pc.Settings.Beta, Watch: s.watch}
	if ds.Beta == 0 {
		ds.Beta = Default().Policy.Settings.Beta
	}
	s.progress("policy", 0, 1)
	run, res, err := policy.OptimizeDirect(r.Policy, r.Data, s.rmProxy, w.Gold, ds)
	if err != nil {
		return err
	}
	s.progress("policy", 1, 1)
	r.Run = run
	if s.v != nil {
		r.Verifier.Steps = verifierSteps(run, s.cov, 0)
	}
	r.Direct = &Direct{Method: ds.Method, Beta: ds.Beta, Loss: res.Loss}
	pol := r.Policy.(policy.DirectPolicy) // OptimizeDirect accepted it
	r.Direct.ImplicitGoldAgreement, r.Direct.ImplicitRMAgreement = pol.ImplicitAgreement(ds.Beta, s.rmProxy, w.Gold)
	if o, ok := pol.(interface {
		TVToOptimum(beta float64, proxy policy.RewardFunc) float64
	}); ok {
		tv := o.TVToOptimum(ds.Beta, s.rmProxy)
		r.Direct.TVToRMOptimum = &tv
	}
	return nil
}

// optimise runs policy-gradient steps against the proxy, with the audit
// and the verifier watching when asked.
func (s *stages) optimise() error {
	c, r, w := s.c, s.r, s.r.World
	set := s.pc.Settings
	if set.Steps == 0 {
		set.Steps = policy.DefaultSettings().Steps // for the progress total
	}
	set.Progress = func(st policy.Step) { s.progress("policy", st.Step, set.Steps) }
	first := len(set.Watch)
	set.Watch = append(set.Watch[:first:first], s.watch...)
	var audit *[]AuditPoint
	if s.pc.Audit.Pairs > 0 {
		inspect := set.Inspect
		var check func(int, policy.Policy)
		check, audit = c.auditor(c.RM.proxy(r.RM, s.ens), w.Gold, c.Seed)
		set.Inspect = func(step int, pol policy.Policy) {
			check(step, pol)
			if inspect != nil {
				inspect(step, pol)
			}
		}
	}
	var err error
	r.Run, err = policy.Optimize(r.Policy, s.proxy, w.Gold, &set, rng.Stream(c.Seed, rng.Optimize))
	if err != nil {
		return err
	}
	if audit != nil {
		r.Audit = *audit
	}
	if s.v != nil {
		r.Verifier.Steps = verifierSteps(r.Run, s.cov, first)
	}
	return nil
}

// Reward generates the configured data and trains the configured reward
// model on it, both from the run's seed: the first half of Run, for
// lessons that stop at the reward model.
func (c Config) Reward() (*Generated, *Trained, error) {
	g, err := c.Data.Generate(c.Seed)
	if err != nil {
		return nil, nil, err
	}
	tr, err := c.RM.Train(g.Data, c.Seed)
	if err != nil {
		return nil, nil, err
	}
	return g, tr, nil
}

// RewardAll trains every configuration's reward model as Config.Reward
// does, on nworkers goroutines (zero means one per CPU), and returns
// them in the order of cs: a lesson that compares many models trains
// them on every core instead of one after another. Each configuration
// carries its own seed, so the models do not depend on the number of
// workers. After a training fails no new one starts, and RewardAll
// returns the error of the first configuration that failed.
func RewardAll(cs []Config, nworkers int) ([]*Trained, error) {
	out := make([]*Trained, len(cs))
	i, err := workers.Each(len(cs), nworkers, func(i int) (err error) {
		_, out[i], err = cs[i].Reward()
		return err
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("reward model %d of %d: %w", i+1, len(cs), err)
	}
	return out, nil
}

// RunAll runs every configuration as Run does, on nworkers goroutines
// (zero means one per CPU), and returns the results in the order of cs.
// Each configuration carries its own seed, so the results do not depend
// on the number of workers. progress, if not nil, is called after each
// run, one call at a time. After a run fails no new run starts, and
// RunAll returns the error of the first configuration that failed.
func RunAll(cs []Config, nworkers int, progress func(done, total int)) ([]*Result, error) {
	out := make([]*Result, len(cs))
	i, err := workers.Each(len(cs), nworkers, func(i int) (err error) {
		out[i], err = Run(cs[i], nil)
		return err
	}, progress)
	if err != nil {
		return nil, fmt.Errorf("run %d of %d: %w", i+1, len(cs), err)
	}
	return out, nil
}
