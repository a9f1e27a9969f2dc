package seq

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// Kind is the kind of one step.
type Kind int

// The kinds of step. Stop ends the answer and is not counted as a step.
const (
	Sound  Kind = iota // a correct reasoning step
	Flawed             // a step with an error in it
	Filler             // a step that neither helps nor harms
	Stop               // the final answer
	NumKinds
)

var kindNames = [NumKinds]string{"sound", "flawed", "filler", "stop"}

func (k Kind) String() string {
	if k < 0 || k >= NumKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// NumInputs is the number of state inputs each kind's logit weighs: a
// constant, the prompt's difficulty, the fraction of the step limit used,
// and whether a flawed step has occurred.
const NumInputs = 4

// NumParams is the length of a policy's parameter vector.
const NumParams = int(NumKinds) * NumInputs

// World sets how answers are judged.
type World struct {
	// MaxSteps is the step limit; zero means 6.
	MaxSteps int
	// RightSound is the probability that an answer with enough sound
	// steps and no flawed one is right; zero means 0.9. A negative value
	// means 0.
	RightSound float64
	// RightLucky is the probability that an answer with a flawed step is
	// right anyway; zero means 0.25. A negative value means 0.
	RightLucky float64
	// RightShort is the probability that an answer with no flawed step
	// but too few sound ones is right; zero means 0.1. Negative means 0.
	RightShort float64

	// The verifier checks the final answer, as unit tests check code. A
	// perfect one (the zero value) passes exactly the right answers.
	// FalseNegative is the chance that it fails a right answer;
	// FalsePositive the chance that it passes a wrong one. WeakTests is
	// the chance that it passes a wrong answer made of filler alone, with
	// no sound or flawed step: an answer that hard-codes what the tests
	// expect instead of solving the problem. Each is a probability.
	FalseNegative, FalsePositive, WeakTests float64
}

// maxNeed caps the sound steps an answer needs; difficulty d in [0, 1]
// needs 1 + round(2d).
const maxNeed = 3

// ErrWorld is wrapped by errors for an invalid World.
var ErrWorld = errors.New("seq: bad world")

func (w *World) resolve() (World, error) {
	r := World{MaxSteps: 6, RightSound: 0.9, RightLucky: 0.25, RightShort: 0.1}
	if w != nil {
		if w.MaxSteps != 0 {
			r.MaxSteps = w.MaxSteps
		}
		for _, f := range []struct {
			dst *float64
			v   float64
		}{{&r.RightSound, w.RightSound}, {&r.RightLucky, w.RightLucky}, {&r.RightShort, w.RightShort}} {
			switch {
			case f.v < 0:
				*f.dst = 0
			case f.v > 0:
				*f.dst = f.v
			}
		}
	}
	if r.MaxSteps < 1 || r.MaxSteps > 64 {
		return r, fmt.Errorf("%w: MaxSteps %d (want 1 to 64)", ErrWorld, r.MaxSteps)
	}
	if w != nil {
		r.FalseNegative, r.FalsePositive, r.WeakTests = w.FalseNegative, w.FalsePositive, w.WeakTests
	}
	for _, p := range []float64{r.RightSound, r.RightLucky, r.RightShort, r.FalseNegative, r.FalsePositive, r.WeakTests} {
		if !(p >= 0 && p <= 1) {
			return r, fmt.Errorf("%w: a probability is %v (want 0 to 1)", ErrWorld, p)
		}
	}
	if r.FalseNegative+r.FalsePositive >= 1 {
		return r, fmt.Errorf("%w: false-negative plus false-positive rate %v (want below 1: at 1 the verdict says nothing)", ErrWorld, r.FalseNegative+r.FalsePositive)
	}
	return r, nil
}

// Need returns the sound steps an answer to a prompt of difficulty d
// needs.
func Need(d float64) int { return 1 + int(math.Round(2*math.Max(0, math.Min(1, d)))) }

// pRight is the probability of a right answer ending in state
// (flawed, sound steps capped at need).
func (w *World) pRight(flawed bool, sound, need int) float64 {
	switch {
	case flawed:
		return w.RightLucky
	case sound >= need:
		return w.RightSound
	}
	return w.RightShort
}

// pPass is the probability that the verifier passes an answer ending in
// state (flawed, sound, steps taken).
func (w *World) pPass(flawed bool, sound, steps, need int) float64 {
	right := w.pRight(flawed, sound, need)
	fp := w.FalsePositive
	if !flawed && sound == 0 && steps > 0 {
		fp = math.Max(fp, w.WeakTests)
	}
	return right*(1-w.FalseNegative) + (1-right)*fp
}

// Reference returns the reference policy's parameters: mostly sound
// steps, more flawed ones on hard prompts, a little filler, and a stop
// that grows likelier as the answer lengthens.
func Reference() []float64 {
	th := make([]float64, NumParams)
	set := func(k Kind, c, diff, frac, flawed float64) {
		copy(th[int(k)*NumInputs:], []float64{c, diff, frac, flawed})
	}
	set(Sound, 1, -1, 0, 0)
	set(Flawed, -0.5, 1.5, 0, 0)
	set(Filler, -0.5, 0, 0, 0)
	set(Stop, -2, 0, 4, 0)
	return th
}

// Policy is a softmax over the next step's kind. Its reference is
// Reference(); Params starts there.
type Policy struct {
	w      World
	theta  []float64
	ref    []float64
	prompt []float64 // difficulty of each prompt
	// refProbs caches the reference's next-step distribution at every
	// (prompt, step, flawed) state: it never changes.
	refProbs []float64
}

// refAt returns the reference's next-step distribution (a view).
func (p *Policy) refAt(i, t int, flawed bool) []float64 {
	o := (i*p.w.MaxSteps + t) * 2
	if flawed {
		o++
	}
	return p.refProbs[o*int(NumKinds) : (o+1)*int(NumKinds)]
}

// New returns the reference policy for prompts of the given difficulties
// (each in [0, 1]).
func New(w *World, difficulty []float64) (*Policy, error) {
	rw, err := w.resolve()
	if err != nil {
		return nil, err
	}
	for i, d := range difficulty {
		if !(d >= 0 && d <= 1) {
			return nil, fmt.Errorf("%w: prompt %d has difficulty %v (want 0 to 1)", ErrWorld, i, d)
		}
	}
	if len(difficulty) == 0 {
		return nil, fmt.Errorf("%w: no prompts", ErrWorld)
	}
	p := &Policy{w: rw, theta: Reference(), ref: Reference(), prompt: append([]float64(nil), difficulty...)}
	p.refProbs = make([]float64, len(difficulty)*rw.MaxSteps*2*int(NumKinds))
	var x [NumInputs]float64
	for i := range difficulty {
		for t := 0; t < rw.MaxSteps; t++ {
			for _, f := range []bool{false, true} {
				p.inputs(i, t, f, x[:])
				probs(p.ref, x[:], p.refAt(i, t, f))
			}
		}
	}
	return p, nil
}

// Prompts draws n prompt difficulties uniformly from [0, 1].
func Prompts(n int, src rand.Source) []float64 {
	r := rng.Of(src)
	d := make([]float64, n)
	for i := range d {
		d[i] = r.Float64()
	}
	return d
}

// Params returns the live parameter vector.
func (p *Policy) Params() []float64 { return p.theta }

// World returns the resolved world.
func (p *Policy) World() World { return p.w }

// NumPrompts returns the number of prompts.
func (p *Policy) NumPrompts() int { return len(p.prompt) }

// inputs writes the state inputs of step t of prompt i.
func (p *Policy) inputs(i, t int, flawed bool, x []float64) {
	x[0], x[1], x[2], x[3] = 1, p.prompt[i], float64(t)/float64(p.w.MaxSteps), 0
	if flawed {
		x[3] = 1
	}
}

// probs writes the next step's distribution under theta into dst.
func probs(theta, x, dst []float64) {
	for k := range dst {
		dst[k] = floats.Dot(theta[k*NumInputs:(k+1)*NumInputs], x)
	}
	lse := floats.LogSumExp(dst)
	for k := range dst {
		dst[k] = math.Exp(dst[k] - lse)
	}
}

// Seq is one sampled answer.
type Seq struct {
	Prompt int
	Steps  []Kind // the steps, without the stop
	Right  bool   // whether the final answer is right (the hidden truth)
	Pass   bool   // whether the verifier passes it
}

// Counts returns the numbers of sound and flawed steps.
func (s *Seq) Counts() (sound, flawed int) {
	for _, k := range s.Steps {
		switch k {
		case Sound:
			sound++
		case Flawed:
			flawed++
		}
	}
	return sound, flawed
}

// Sample draws an answer to prompt i, and whether it is right.
func (p *Policy) Sample(i int, src rand.Source) Seq {
	r := rng.Of(src)
	s := Seq{Prompt: i}
	var x [NumInputs]float64
	var pr [NumKinds]float64
	flawed := false
	for t := 0; t < p.w.MaxSteps; t++ {
		p.inputs(i, t, flawed, x[:])
		probs(p.theta, x[:], pr[:])
		u, k := r.Float64(), Kind(0)
		for k < NumKinds-1 && u >= pr[k] {
			u -= pr[k]
			k++
		}
		if k == Stop {
			break
		}
		s.Steps = append(s.Steps, k)
		flawed = flawed || k == Flawed
	}
	sound, nf := s.Counts()
	need := Need(p.prompt[i])
	s.Right = r.Float64() < p.w.pRight(nf > 0, min(sound, need), need)
	// The verifier's errors are drawn given the truth.
	w := &p.w
	switch u := r.Float64(); {
	case s.Right:
		s.Pass = u >= w.FalseNegative
	default:
		fp := w.FalsePositive
		if nf == 0 && sound == 0 && len(s.Steps) > 0 {
			fp = math.Max(fp, w.WeakTests)
		}
		s.Pass = u < fp
	}
	return s
}

// LogProb returns log pi_theta(steps | prompt) and, if grad is not nil,
// adds scale times the gradient of each step's log-probability, times
// that step's weight stepScale[t] if stepScale is not nil, to grad. The
// stop (or the step limit) is the last decision: index len(Steps).
func (p *Policy) LogProb(s *Seq, grad []float64, scale float64, stepScale []float64) float64 {
	return p.logProb(p.theta, s, grad, scale, stepScale, nil)
}

// LogRef returns log pi_ref(steps | prompt).
func (p *Policy) LogRef(s *Seq) float64 { return p.logProb(p.ref, s, nil, 0, nil, nil) }

// logProb is LogProb under theta; if each is not nil, it also sets *each
// to the log-probability of every decision, in order.
func (p *Policy) logProb(theta []float64, s *Seq, grad []float64, scale float64, stepScale []float64, each *[]float64) float64 {
	var x [NumInputs]float64
	var pr [NumKinds]float64
	lp, flawed := 0.0, false
	n := len(s.Steps)
	if each != nil {
		*each = (*each)[:0]
	}
	for t := 0; t <= n && t < p.w.MaxSteps; t++ {
		k := Stop
		if t < n {
			k = s.Steps[t]
		}
		p.inputs(s.Prompt, t, flawed, x[:])
		probs(theta, x[:], pr[:])
		lp += math.Log(pr[k])
		if each != nil {
			*each = append(*each, math.Log(pr[k]))
		}
		if grad != nil {
			c := scale
			if stepScale != nil {
				c *= stepScale[t]
			}
			for a := Kind(0); a < NumKinds; a++ {
				ind := 0.0
				if a == k {
					ind = 1
				}
				floats.AddScaled(grad[int(a)*NumInputs:(int(a)+1)*NumInputs], c*(ind-pr[a]), x[:])
			}
		}
		flawed = flawed || k == Flawed
	}
	return lp
}
