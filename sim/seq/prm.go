package seq

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// StepLabel is a labeller's verdict on one step of an answer: +1 for
// sound, -1 for flawed, 0 for filler, given with the step's state.
type StepLabel struct {
	Prompt int  // index of the prompt
	Step   int  // position of the step in its answer, from 0
	Flawed bool // whether an earlier step of the answer was flawed
	Kind   Kind // what the step really is
	Label  float64
}

// Labelling configures Label. The zero value labels every step of 100
// answers without mistakes.
type Labelling struct {
	// Answers is how many answers of the reference policy are labelled;
	// zero means 100.
	Answers int
	// Noise is the probability that a step's label is one of the two
	// wrong ones, chosen evenly.
	Noise float64
}

// Label samples answers from the reference policy (labels are bought
// before training, on the model one starts from) and labels every step.
// Each answer costs as many labels as it has steps, where an outcome
// label costs one per answer.
func (p *Policy) Label(l *Labelling, src rand.Source) ([]StepLabel, error) {
	n, noise := 100, 0.0
	if l != nil {
		if l.Answers != 0 {
			n = l.Answers
		}
		noise = l.Noise
	}
	if n < 1 || n > 1_000_000 || !(noise >= 0 && noise <= 1) {
		return nil, fmt.Errorf("%w: labelling wants 1 to 1000000 answers and a noise probability in [0, 1]", ErrSettings)
	}
	r := rng.Of(src)
	ref := *p
	ref.theta = p.ref
	var out []StepLabel
	for range n {
		i := r.IntN(len(p.prompt))
		s := ref.Sample(i, r)
		flawed := false
		for t, k := range s.Steps {
			lab := [NumKinds]float64{Sound: 1, Flawed: -1}[k]
			if r.Float64() < noise {
				// One of the two other labels, evenly.
				others := [3]float64{1, -1, 0}
				var pick []float64
				for _, v := range others {
					if v != lab {
						pick = append(pick, v)
					}
				}
				lab = pick[r.IntN(2)]
			}
			out = append(out, StepLabel{Prompt: i, Step: t, Flawed: flawed, Kind: k, Label: lab})
			flawed = flawed || k == Flawed
		}
	}
	return out, nil
}

// PRM is a process reward model: a linear score of a step from its kind
// and its state (the policy's inputs: a constant, the prompt's
// difficulty, how far the answer has come, whether it has gone wrong),
// fitted to step labels by ridge regression. With exact labels it learns
// +1, -1 and 0; label noise e shrinks the scores of sound and flawed
// steps towards 0, to 1 - 1.5e and -(1 - 1.5e) in expectation.
type PRM struct {
	// W holds the weights of the state inputs for each of sound, flawed
	// and filler steps.
	W [Stop][NumInputs]float64
	// Labels is the number of step labels it was trained on.
	Labels int
}

// prmRidge keeps the regression solvable when some kind never appears in
// some state; it is small beside any count of labels.
const prmRidge = 1e-3

// TrainPRM fits a process reward model to labels of p's prompts.
func TrainPRM(p *Policy, labels []StepLabel) (*PRM, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("%w: no step labels to train a process reward model on", ErrSettings)
	}
	const d = int(Stop) * NumInputs
	xtx := mat.NewSymDense(d, nil)
	xty := mat.NewVecDense(d, nil)
	var x [NumInputs]float64
	for _, l := range labels {
		if l.Prompt < 0 || l.Prompt >= len(p.prompt) || l.Step < 0 || l.Step >= p.w.MaxSteps || l.Kind < 0 || l.Kind >= Stop || math.IsNaN(l.Label) {
			return nil, fmt.Errorf("%w: step label %+v is outside the policy's prompts, steps or kinds", ErrSettings, l)
		}
		p.inputs(l.Prompt, l.Step, l.Flawed, x[:])
		o := int(l.Kind) * NumInputs
		for a := range x {
			xty.SetVec(o+a, xty.AtVec(o+a)+x[a]*l.Label)
			for b := a; b < NumInputs; b++ {
				xtx.SetSym(o+a, o+b, xtx.At(o+a, o+b)+x[a]*x[b])
			}
		}
	}
	for a := range d {
		xtx.SetSym(a, a, xtx.At(a, a)+prmRidge)
	}
	var ch mat.Cholesky
	if !ch.Factorize(xtx) {
		return nil, fmt.Errorf("%w: the step labels do not determine a process reward model", ErrSettings)
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, xty); err != nil {
		return nil, err
	}
	m := &PRM{Labels: len(labels)}
	for k := range m.W {
		for a := range m.W[k] {
			m.W[k][a] = w.AtVec(k*NumInputs + a)
		}
	}
	return m, nil
}

// Score returns the model's score of a step of kind k at step t of an
// answer to prompt i, flawed telling whether an earlier step was; a
// stop scores 0.
func (m *PRM) Score(p *Policy, i, t int, flawed bool, k Kind) float64 {
	if k < 0 || k >= Stop {
		return 0
	}
	var x [NumInputs]float64
	p.inputs(i, t, flawed, x[:])
	s := 0.0
	for a, v := range x {
		s += m.W[k][a] * v
	}
	return s
}

// Objective is Policy.Objective for the process reward scored by m: the
// exact expected sum of m's step scores over MaxSteps, minus beta KL.
func (m *PRM) Objective(p *Policy, beta float64) float64 {
	var x [NumInputs]float64
	var pr [NumKinds]float64
	total := 0.0
	for i := range p.prompt {
		mass := [2]float64{1, 0} // not yet flawed, flawed
		for t := 0; t < p.w.MaxSteps; t++ {
			var next [2]float64
			for f := range mass {
				if mass[f] == 0 {
					continue
				}
				p.inputs(i, t, f == 1, x[:])
				probs(p.theta, x[:], pr[:])
				for k := Sound; k < Stop; k++ {
					total += mass[f] * pr[k] * m.Score(p, i, t, f == 1, k)
				}
				next[f] += mass[f] * (pr[Sound] + pr[Filler])
				next[1] += mass[f] * pr[Flawed]
			}
			mass = next
		}
	}
	return total/float64(len(p.prompt))/float64(p.w.MaxSteps) - beta*p.Exact().KL
}
