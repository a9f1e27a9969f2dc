package seq

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// Reward names what the policy is trained on.
type Reward string

// The rewards.
const (
	// Outcome is one reward at the end: 1 if the verifier passes the final
	// answer, else 0 (with the zero World's perfect verifier: 1 if it is
	// right). Every step of the answer shares it, sound or not.
	Outcome Reward = "outcome"
	// Process is one reward per step from step labels: +1/MaxSteps for a
	// sound step, -1/MaxSteps for a flawed one, 0 for filler, so that an
	// answer's total lies in [-1, 1] like the outcome reward's [0, 1] and
	// the two train at the same learning rate. Each step is credited with
	// the rewards from it to the end.
	Process Reward = "process"
)

// Rewards lists the valid rewards.
func Rewards() []Reward { return []Reward{Outcome, Process} }

// Validate reports a reward that is not one of Rewards; "" means outcome.
func (r Reward) Validate() error { return enum.Option(ErrSettings, "reward", r, Rewards()...) }

// Algo names how Train updates the policy from each batch.
type Algo string

// The algorithms.
const (
	// RLOO takes one policy-gradient step per batch, each decision
	// credited with the return from it to the end minus the other
	// answers' mean return (the leave-one-out baseline).
	RLOO Algo = "rloo"
	// PPO takes Epochs steps per batch on PPO's clipped surrogate, with
	// the same advantages: each decision's gradient is weighted by its
	// probability ratio to the policy that sampled the batch, and
	// dropped once that ratio has moved past 1 +- Clip in the direction
	// its advantage pushes.
	PPO Algo = "ppo"
)

// Algos lists the valid algorithms.
func Algos() []Algo { return []Algo{RLOO, PPO} }

// Validate reports an algorithm that is not one of Algos; "" means rloo.
func (a Algo) Validate() error { return enum.Option(ErrSettings, "algorithm", a, Algos()...) }

// ErrSettings is wrapped by errors for invalid training settings.
var ErrSettings = fmt.Errorf("seq: bad settings")

// Settings configure Train. The zero value trains on the outcome reward
// for 300 steps of 64 answers at learning rate 0.5 and beta 0.02, one
// RLOO step per batch.
type Settings struct {
	Reward Reward
	Algo   Algo
	// Clip is PPO's clip range epsilon; zero means 0.2.
	Clip float64
	// Epochs is the number of PPO steps per batch; zero means 4.
	Epochs int
	Beta   float64 // KL coefficient; zero means 0.02, negative means none
	Steps  int     // updates; zero means 300
	Batch  int     // answers sampled per update; zero means 64
	LR     float64 // step size of plain gradient ascent; zero means 0.5
	// PRM, if not nil, scores the steps of the process reward in place of
	// the true labels: a process reward model trained on labelled steps
	// (TrainPRM). It needs Reward Process.
	PRM *PRM
	// Progress, if not nil, is called after every update.
	Progress func(Point)
}

func (s *Settings) resolve() (Settings, error) {
	r := Settings{Reward: Outcome, Algo: RLOO, Clip: 0.2, Epochs: 4, Beta: 0.02, Steps: 300, Batch: 64, LR: 0.5}
	if s != nil {
		if s.Reward != "" {
			r.Reward = s.Reward
		}
		if s.Algo != "" {
			r.Algo = s.Algo
		}
		if s.Clip != 0 {
			r.Clip = s.Clip
		}
		if s.Epochs != 0 {
			r.Epochs = s.Epochs
		}
		switch {
		case s.Beta < 0:
			r.Beta = 0
		case s.Beta > 0:
			r.Beta = s.Beta
		}
		if s.Steps != 0 {
			r.Steps = s.Steps
		}
		if s.Batch != 0 {
			r.Batch = s.Batch
		}
		if s.LR != 0 {
			r.LR = s.LR
		}
		r.Progress, r.PRM = s.Progress, s.PRM
	}
	if err := r.Reward.Validate(); err != nil {
		return r, err
	}
	if err := r.Algo.Validate(); err != nil {
		return r, err
	}
	if !(r.Clip > 0) || math.IsInf(r.Clip, 0) || r.Epochs < 1 || r.Epochs > 100 {
		return r, fmt.Errorf("%w: clip %v and %d epochs: want a finite clip above 0 and 1 to 100 epochs", ErrSettings, r.Clip, r.Epochs)
	}
	if r.PRM != nil && r.Reward != Process {
		return r, fmt.Errorf("%w: a process reward model scores steps, so it needs the process reward, not %s", ErrSettings, r.Reward)
	}
	if r.Steps < 1 || r.Batch < 2 || !(r.LR > 0) || math.IsInf(r.LR+r.Beta, 0) || math.IsNaN(r.Beta) {
		return r, fmt.Errorf("%w: want steps >= 1, batch >= 2, a finite learning rate above 0 and a finite beta", ErrSettings)
	}
	return r, nil
}

// Point is the policy after an update; Samples counts the answers drawn
// so far. Update 0 is the reference policy.
type Point struct {
	Update  int `json:"update"`
	Samples int `json:"samples"`
	// Clipped is, for PPO, the share of the batch's decisions whose
	// gradient the clip dropped in the update's last step.
	Clipped float64 `json:"clipped,omitempty"`
	Stats
}

// decisions returns the per-decision rewards of an answer under r and
// the per-decision log-ratios log pi/pi_ref.
func (p *Policy) decisions(s *Seq, r Reward, prm *PRM, rew, ratio []float64) ([]float64, []float64) {
	n := min(len(s.Steps)+1, p.w.MaxSteps) // the stop, unless the limit ended it
	rew, ratio = rew[:0], ratio[:0]
	var x [NumInputs]float64
	var pr [NumKinds]float64
	flawed := false
	for t := 0; t < n; t++ {
		k := Stop
		if t < len(s.Steps) {
			k = s.Steps[t]
		}
		p.inputs(s.Prompt, t, flawed, x[:])
		probs(p.theta, x[:], pr[:])
		ratio = append(ratio, math.Log(pr[k]/p.refAt(s.Prompt, t, flawed)[k]))
		v := 0.0
		switch {
		case r == Process && prm != nil:
			v = prm.Score(p, s.Prompt, t, flawed, k) / float64(p.w.MaxSteps)
		case r == Process && k == Sound:
			v = 1 / float64(p.w.MaxSteps)
		case r == Process && k == Flawed:
			v = -1 / float64(p.w.MaxSteps)
		case r == Outcome && t == n-1 && s.Pass:
			v = 1
		}
		rew = append(rew, v)
		flawed = flawed || k == Flawed
	}
	return rew, ratio
}

// Train runs policy-gradient ascent on E[reward] - beta KL(pi || pi_ref),
// crediting each decision with the reward and KL penalty from it to the
// end (minus the other answers' mean return, a baseline that adds no
// bias), and
// records the exact statistics after every update. The policy changes in
// place; all sampling comes from src.
func Train(p *Policy, s *Settings, src rand.Source) ([]Point, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	r := rng.Of(src)
	pts := []Point{{Stats: p.Exact()}}
	e := newEstimator(set.Batch)
	for u := 1; u <= set.Steps; u++ {
		pt := Point{Update: u, Samples: u * set.Batch}
		if set.Algo == PPO {
			e.advantages(p, &set, r)
			pt.Clipped = e.ppo(p, &set)
		} else {
			for k, g := range e.gradient(p, &set, r) {
				p.theta[k] += set.LR * g
			}
		}
		pt.Stats = p.Exact()
		if math.IsNaN(pt.KL) || math.IsInf(pt.KL, 0) {
			return pts, fmt.Errorf("seq: diverged at update %d: lower the learning rate", u)
		}
		pts = append(pts, pt)
		if set.Progress != nil {
			set.Progress(pt)
		}
	}
	return pts, nil
}

// Objective returns the exact objective Train ascends, E[reward] -
// beta KL, for reward r: the probability of a passed answer for Outcome,
// expected sound minus flawed steps over MaxSteps for Process.
func (p *Policy) Objective(r Reward, beta float64) float64 {
	st := p.Exact()
	if r == Process {
		return (st.Sound-st.Flawed)/float64(p.w.MaxSteps) - beta*st.KL
	}
	return st.Pass - beta*st.KL
}

// GradientEstimate writes one batch's estimate of the gradient that Train
// ascends under settings s (its Reward, PRM, Beta and Batch) into grad,
// which must have length NumParams, drawing the answers from src. Train
// takes exactly such steps; lessons repeat it to measure the estimate's
// noise, for example as answers grow longer.
func (p *Policy) GradientEstimate(s *Settings, grad []float64, src rand.Source) error {
	set, err := s.resolve()
	if err != nil {
		return err
	}
	if len(grad) != NumParams {
		return fmt.Errorf("%w: gradient of length %d, want %d", ErrSettings, len(grad), NumParams)
	}
	copy(grad, newEstimator(set.Batch).gradient(p, &set, rng.Of(src)))
	return nil
}

// Noise summarises repeated gradient estimates.
type Noise struct {
	// Variance is the total variance of one batch's estimate: the trace
	// of its covariance.
	Variance float64
	// SNR is the squared length of the mean estimate over Variance: how
	// much of one batch's estimate is signal. It does not depend on the
	// reward's scale, so rewards of different sizes compare.
	SNR float64
}

// GradientNoise repeats GradientEstimate reps times (at least 2) at the
// current policy and measures the estimates' noise.
func (p *Policy) GradientNoise(s *Settings, reps int, src rand.Source) (Noise, error) {
	if reps < 2 || reps > 1_000_000 {
		return Noise{}, fmt.Errorf("%w: %d repetitions (want 2 to 1000000)", ErrSettings, reps)
	}
	g := make([]float64, NumParams)
	sum, sq := make([]float64, NumParams), make([]float64, NumParams)
	r := rng.Of(src)
	for range reps {
		if err := p.GradientEstimate(s, g, r); err != nil {
			return Noise{}, err
		}
		for k, v := range g {
			sum[k] += v
			sq[k] += v * v
		}
	}
	var n Noise
	m2 := 0.0
	for k := range sum {
		m := sum[k] / float64(reps)
		n.Variance += sq[k]/float64(reps) - m*m
		m2 += m * m
	}
	n.SNR = m2 / n.Variance
	return n, nil
}

// estimator holds a batch's buffers between updates: after gradient,
// togo holds each decision's advantage.
type estimator struct {
	grad       []float64
	batch      []Seq
	togo       [][]float64
	rew, ratio []float64
	old        [][]float64 // PPO: each decision's log-probability when sampled
	now        []float64
	weight     []float64
}

// ppo takes set.Epochs steps on the clipped surrogate of the batch that
// advantages sampled, whose advantages it left in togo, and returns the
// share of decisions the clip dropped in the last step. The first step
// is RLOO's: every ratio is 1.
func (e *estimator) ppo(p *Policy, set *Settings) float64 {
	if len(e.old) != len(e.batch) {
		e.old = make([][]float64, len(e.batch))
	}
	for b := range e.batch {
		p.logProb(p.theta, &e.batch[b], nil, 0, nil, &e.old[b])
	}
	clipped := 0.0
	for range set.Epochs {
		clear(e.grad)
		dropped, total := 0, 0
		for b := range e.batch {
			p.logProb(p.theta, &e.batch[b], nil, 0, nil, &e.now)
			e.weight = e.weight[:0]
			for t, adv := range e.togo[b] {
				ratio := math.Exp(e.now[t] - e.old[b][t])
				w := adv * ratio
				if (adv > 0 && ratio > 1+set.Clip) || (adv < 0 && ratio < 1-set.Clip) {
					w = 0
					dropped++
				}
				total++
				e.weight = append(e.weight, w)
			}
			p.LogProb(&e.batch[b], e.grad, 1/float64(len(e.batch)), e.weight)
		}
		for k, g := range e.grad {
			p.theta[k] += set.LR * g
		}
		clipped = float64(dropped) / float64(total)
	}
	return clipped
}

func newEstimator(n int) *estimator {
	return &estimator{grad: make([]float64, NumParams), batch: make([]Seq, n), togo: make([][]float64, n)}
}

// gradient returns one batch's estimate of the objective's gradient.
func (e *estimator) gradient(p *Policy, set *Settings, r *rand.Rand) []float64 {
	e.advantages(p, set, r)
	clear(e.grad)
	for b := range e.batch {
		p.LogProb(&e.batch[b], e.grad, 1/float64(len(e.batch)), e.togo[b])
	}
	return e.grad
}

// advantages samples a batch and leaves each decision's advantage in
// togo: the return from it to the end, penalty included, minus the
// other answers' mean return.
func (e *estimator) advantages(p *Policy, set *Settings, r *rand.Rand) {
	sum := 0.0
	for b := range e.batch {
		e.batch[b] = p.Sample(r.IntN(len(p.prompt)), r)
		e.rew, e.ratio = p.decisions(&e.batch[b], set.Reward, set.PRM, e.rew, e.ratio)
		g := e.togo[b][:0]
		for range e.rew {
			g = append(g, 0)
		}
		acc := 0.0
		for t := len(e.rew) - 1; t >= 0; t-- {
			acc += e.rew[t] - set.Beta*e.ratio[t]
			g[t] = acc
		}
		e.togo[b] = g
		sum += g[0]
	}
	n := float64(len(e.batch))
	for b := range e.batch {
		// The baseline leaves the answer's own return out, so it is
		// independent of the answer and adds no bias.
		base := (sum - e.togo[b][0]) / (n - 1)
		for t := range e.togo[b] {
			e.togo[b][t] -= base
		}
	}
}
