package reward

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// Settings configures Train. The zero value gives the documented defaults.
type Settings struct {
	// Optimizer is "adam" (the default), "sgd" or "lbfgs" (full batch,
	// through gonum/optimize).
	Optimizer Optimizer
	// Epochs is the number of passes over the training units; for lbfgs,
	// the most major iterations. Zero means 30 (lbfgs: 500).
	Epochs int
	// LR is the learning rate. Zero means 0.02 for adam, 0.5 for sgd.
	LR float64
	// Batch is the number of units (prompts, or pairs when flat) per
	// minibatch. Zero means 32.
	Batch int
	// Patience stops minibatch training after this many epochs without a
	// lower validation loss, restoring the best parameters. Zero means 5;
	// negative disables early stopping.
	Patience int
	// GradTol is the gradient-norm threshold at which lbfgs stops. Zero
	// means 1e-10.
	GradTol float64
	// Progress, if not nil, is called after every epoch.
	Progress func(Epoch)
}

// Epoch records the state of training after one epoch (for lbfgs, one
// major iteration).
type Epoch struct {
	Epoch int `json:"epoch"`
	// Loss and ValLoss are the full objective on the train and validation
	// splits.
	Loss     float64 `json:"loss"`
	ValLoss  float64 `json:"val_loss"`
	TrainAcc float64 `json:"train_accuracy"`
	ValAcc   float64 `json:"val_accuracy"`
	// MeanReward, MinReward and MaxReward summarise the raw scores of the
	// training responses; MeanMargin is the mean r_w - r_l of training pairs.
	MeanReward float64 `json:"mean_reward"`
	MinReward  float64 `json:"min_reward"`
	MaxReward  float64 `json:"max_reward"`
	MeanMargin float64 `json:"mean_margin"`
	// GradNorm is the Euclidean norm of the gradient: the mean over the
	// epoch's minibatches for adam and sgd, the full-batch norm for lbfgs;
	// 0 at epoch 0, before any step.
	GradNorm float64 `json:"grad_norm"`
}

// Result is what Train returns besides the trained model.
type Result struct {
	History []Epoch `json:"history"`
	// Best is the index in History whose parameters the model holds.
	Best int `json:"best_epoch"`
	// Stopped says why training ended.
	Stopped string `json:"stopped"`
	// Objective is the resolved objective, as minimised.
	Objective Objective `json:"objective"`
	// ForwardPasses counts the responses the model scored to compute
	// training gradients, and Comparisons the pairs those gradients
	// used; evaluation passes are not counted. Grouped by prompt, a
	// ranking of K answers costs K passes for its K(K-1)/2 pairs; flat,
	// every pair costs two.
	ForwardPasses int `json:"forward_passes"`
	Comparisons   int `json:"comparisons"`
}

// ErrData is wrapped by errors for data that cannot be trained on.
var ErrData = errors.New("reward: unusable data")

// Train fits m to the training split of d under obj and records a history.
// The model is changed in place. Minibatch order comes from src; a nil src
// means a PCG source with seed (1, 1), so a run is reproducible either way.
func Train(m Model, d *prefs.Dataset, obj Objective, s *Settings, src rand.Source) (*Result, error) {
	obj, err := obj.resolve()
	if err != nil {
		return nil, err
	}
	if err := checkShapes(m, d); err != nil {
		return nil, err
	}
	set := resolveSettings(s)
	if err := set.Optimizer.Validate(); err != nil {
		return nil, err
	}
	if !(set.LR > 0) || math.IsInf(set.LR, 0) || set.Batch < 1 || set.Epochs < 1 {
		return nil, fmt.Errorf("reward: learning rate, batch and epochs must be positive")
	}
	e := newEngine(m, d, obj)
	train := obj.units(d, prefs.Train)
	if len(train) == 0 {
		return nil, fmt.Errorf("%w: the training split is empty", ErrData)
	}
	for _, x := range d.Phi {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: a feature value is not finite", ErrData)
		}
	}
	if f, ok := m.(inputFitter); ok {
		f.fitInputs(d)
	}
	t := &trainer{e: e, set: set, train: train, val: obj.units(d, prefs.Val),
		trainPairs: d.SplitPairs(prefs.Train), valPairs: d.SplitPairs(prefs.Val),
		trainRk: d.SplitRankings(prefs.Train), valRk: d.SplitRankings(prefs.Val)}
	t.res.Objective = obj
	if set.Optimizer == LBFGS {
		err = t.lbfgs()
	} else {
		if src == nil {
			src = rand.NewPCG(1, 1)
		}
		t.minibatch(rand.New(src))
	}
	if err != nil {
		return nil, err
	}
	t.res.ForwardPasses, t.res.Comparisons = e.forward, e.pairs
	return &t.res, nil
}

// Resolve returns the settings Train uses for s, its zero values
// replaced by their defaults (nil means all defaults).
func (s *Settings) Resolve() Settings { return resolveSettings(s) }

func resolveSettings(s *Settings) Settings {
	var r Settings
	if s != nil {
		r = *s
	}
	if r.Optimizer == "" {
		r.Optimizer = Adam
	}
	if r.Epochs == 0 {
		r.Epochs = 30
		if r.Optimizer == LBFGS {
			r.Epochs = 500
		}
	}
	if r.LR == 0 {
		r.LR = 0.02
		if r.Optimizer == SGD {
			r.LR = 0.5
		}
	}
	if r.Batch == 0 {
		r.Batch = 32
	}
	if r.Patience == 0 {
		r.Patience = 5
	}
	if r.GradTol == 0 {
		r.GradTol = 1e-10
	}
	return r
}

type trainer struct {
	e                    *engine
	set                  Settings
	train, val           []int
	trainPairs, valPairs []int
	trainRk, valRk       []int
	res                  Result
}

// record evaluates the model and appends an epoch to the history.
func (t *trainer) record(epoch int, gradNorm float64) Epoch {
	t.e.scoreAll()
	return t.recordAt(epoch, gradNorm, t.e.loss(t.train), true)
}

// recordAt appends an epoch to the history given the training loss at the
// model's parameters; fresh says the engine's scores of the training
// responses are current, which spares scoring them again.
func (t *trainer) recordAt(epoch int, gradNorm, loss float64, fresh bool) Epoch {
	e := t.e
	if fresh {
		e.scoreRankings(t.valRk)
	} else {
		e.scoreAll()
	}
	ep := Epoch{Epoch: epoch, GradNorm: gradNorm,
		Loss: loss, ValLoss: math.NaN(), ValAcc: math.NaN(),
		TrainAcc: prefs.Accuracy(e.d, e.scores, t.trainPairs)}
	if len(t.val) > 0 {
		ep.ValLoss = e.loss(t.val)
		ep.ValAcc = prefs.Accuracy(e.d, e.scores, t.valPairs)
	}
	ep.MinReward, ep.MaxReward = math.Inf(1), math.Inf(-1)
	n := 0
	for _, ri := range t.trainRk {
		rk := &e.d.Rankings[ri]
		for _, s := range e.scores[rk.First : rk.First+rk.K] {
			ep.MeanReward += s
			ep.MinReward = math.Min(ep.MinReward, s)
			ep.MaxReward = math.Max(ep.MaxReward, s)
			n++
		}
	}
	ep.MeanReward /= float64(n)
	for _, pi := range t.trainPairs {
		p := e.d.Pairs[pi]
		ep.MeanMargin += e.scores[p.W] - e.scores[p.L]
	}
	ep.MeanMargin /= float64(len(t.trainPairs))
	t.res.History = append(t.res.History, ep)
	if t.set.Progress != nil {
		t.set.Progress(ep)
	}
	return ep
}

// minibatch runs Adam or SGD with early stopping on the validation loss.
func (t *trainer) minibatch(rng *rand.Rand) {
	p := t.e.m.Params()
	opt := newStepper(len(p), t.set)
	order := append([]int(nil), t.train...)
	best := append([]float64(nil), p...)
	// The starting point is a candidate too: when the data are too few to
	// learn from, the best the model can do is stay where it began.
	bestLoss := t.record(0, 0).ValLoss
	if math.IsNaN(bestLoss) {
		bestLoss = math.Inf(1)
	}
	t.res.Stopped = fmt.Sprintf("ran all %d epochs", t.set.Epochs)
	since := 0
	for epoch := 1; epoch <= t.set.Epochs; epoch++ {
		gnorm := opt.epoch(t, order, rng)
		ep := t.record(epoch, gnorm)
		if math.IsNaN(ep.Loss) || math.IsInf(ep.Loss, 0) {
			t.res.Stopped = fmt.Sprintf("diverged at epoch %d: lower the learning rate", epoch)
			break
		}
		if len(t.val) == 0 || t.set.Patience < 0 {
			copy(best, p)
			t.res.Best = epoch
			continue
		}
		if ep.ValLoss < bestLoss {
			bestLoss, since = ep.ValLoss, 0
			copy(best, p)
			t.res.Best = epoch
		} else if since++; since >= t.set.Patience {
			t.res.Stopped = fmt.Sprintf("early stop at epoch %d: no lower validation loss for %d epochs", epoch, since)
			break
		}
	}
	copy(p, best)
}

// stepper applies minibatch Adam or SGD updates.
type stepper struct {
	lr           float64
	grad, m1, m2 []float64 // m1, m2 are nil for SGD
	step         int
}

func newStepper(n int, s Settings) *stepper {
	st := &stepper{lr: s.LR, grad: make([]float64, n)}
	if s.Optimizer == Adam {
		st.m1, st.m2 = make([]float64, n), make([]float64, n)
	}
	return st
}

// epoch shuffles the units and makes one pass over them in minibatches. It
// returns the mean minibatch gradient norm.
func (st *stepper) epoch(t *trainer, order []int, rng *rand.Rand) float64 {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	p := t.e.m.Params()
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	gsum, nb := 0.0, 0
	for start := 0; start < len(order); start += t.set.Batch {
		end := min(start+t.set.Batch, len(order))
		t.e.grad(order[start:end], st.grad)
		gsum += floats.Norm(st.grad, 2)
		nb++
		st.step++
		if st.m1 == nil {
			floats.AddScaled(p, -st.lr, st.grad)
			continue
		}
		c1 := 1 - math.Pow(b1, float64(st.step))
		c2 := 1 - math.Pow(b2, float64(st.step))
		for i, g := range st.grad {
			st.m1[i] = b1*st.m1[i] + (1-b1)*g
			st.m2[i] = b2*st.m2[i] + (1-b2)*g*g
			p[i] -= st.lr * (st.m1[i] / c1) / (math.Sqrt(st.m2[i]/c2) + eps)
		}
	}
	return gsum / float64(nb)
}

// lbfgs minimises the full-batch objective with gonum's L-BFGS. For the
// convex linear model this reaches the exact optimum.
//
// Every point the optimiser tries costs one pass over the training data
// (engine.lossGrad): gonum asks for the loss and then the gradient at the
// same point, and the second is served from the first. The line search is
// More-Thuente's, which wants both at every trial point anyway and, on
// this smooth convex loss, accepts the first or second trial point nearly
// every time (scipy's L-BFGS-B uses the same search); gonum's default
// bisection tried about five points an iteration.
func (t *trainer) lbfgs() error {
	p := t.e.m.Params()
	var at, atGrad []float64 // the last point evaluated and its gradient
	var atLoss float64
	eval := func(x []float64) {
		if at != nil && floats.Equal(at, x) {
			return
		}
		copy(p, x)
		if at == nil {
			at, atGrad = make([]float64, len(x)), make([]float64, len(x))
		}
		atLoss = t.e.lossGrad(t.train, atGrad)
		copy(at, x)
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return atLoss },
		Grad: func(g, x []float64) { eval(x); copy(g, atGrad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: t.set.GradTol,
		MajorIterations:   t.set.Epochs,
		// A line search that cannot bracket a step (a loss that overflows
		// far out, say) stops here instead of searching forever.
		FuncEvaluations: 20 * t.set.Epochs,
		Recorder: recorderFunc(func(loc *optimize.Location, major int) {
			// The accepted point is the last one evaluated, so its
			// training scores are still in the engine.
			fresh := at != nil && floats.Equal(at, loc.X) && t.e.o.Grouping == GroupByPrompt
			copy(p, loc.X)
			// gonum reports the starting point as the first major
			// iteration: it is epoch 0.
			t.recordAt(major-1, floats.Norm(loc.Gradient, 2), loc.F, fresh)
		}),
	}
	// DecreaseFactor is the usual Armijo constant (gonum's default of 0
	// accepts a step that does not lower the loss, which near the optimum,
	// where the loss no longer changes in float64, sends the search out to
	// huge steps).
	ls := &optimize.MoreThuente{DecreaseFactor: 1e-4}
	res, err := optimize.Minimize(prob, append([]float64(nil), p...), settings, &optimize.LBFGS{Linesearcher: ls})
	if res == nil {
		return fmt.Errorf("reward: lbfgs: %v", err)
	}
	copy(p, res.X)
	if len(t.res.History) == 0 {
		t.record(0, floats.Norm(res.Gradient, 2))
	}
	t.res.Best = len(t.res.History) - 1
	gn := floats.Norm(res.Gradient, 2)
	iters := t.res.History[t.res.Best].Epoch
	switch {
	case res.Status == optimize.GradientThreshold:
		t.res.Stopped = fmt.Sprintf("lbfgs: converged after %d iterations, gradient norm %.1e", iters, gn)
	case gn < 1e-6:
		// Near the optimum the loss stops changing in float64 and the line
		// search reports failure; the gradient norm shows it got there.
		t.res.Stopped = fmt.Sprintf("lbfgs: converged to rounding precision after %d iterations, gradient norm %.1e", iters, gn)
	default:
		t.res.Stopped = fmt.Sprintf("lbfgs: %v after %d iterations, gradient norm %.1e", res.Status, iters, gn)
		if err != nil {
			t.res.Stopped += fmt.Sprintf(" (%v)", err)
		}
	}
	return nil
}

// recorderFunc calls itself at every major iteration of an optimize run
// with the location and the number of major iterations so far.
type recorderFunc func(loc *optimize.Location, major int)

func (recorderFunc) Init() error { return nil }

func (f recorderFunc) Record(loc *optimize.Location, op optimize.Operation, st *optimize.Stats) error {
	if op == optimize.MajorIteration {
		f(loc, st.MajorIterations)
	}
	return nil
}
