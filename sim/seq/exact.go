package seq

import "math"

// Stats are a policy's exact expectations, averaged over its prompts.
type Stats struct {
	Right  float64 // probability that the final answer is right
	Pass   float64 // probability that the verifier passes it
	Lucky  float64 // probability that it is right after a flawed step
	Sound  float64 // expected sound steps
	Flawed float64 // expected flawed steps
	Steps  float64 // expected steps (sound, flawed and filler)
	// Clean is the probability of an answer with no flawed step.
	Clean float64
	// KL is KL(pi_theta || pi_ref) over whole answers.
	KL float64
}

// SoundRate is the expected share of steps that are sound, the ratio of
// expectations; zero for a policy that always stops at once.
func (s Stats) SoundRate() float64 {
	if s.Steps == 0 {
		return 0
	}
	return s.Sound / s.Steps
}

// Exact returns the policy's expectations, computed by dynamic
// programming over the states (step, flawed yet, sound steps up to the
// number needed).
func (p *Policy) Exact() Stats { return p.exact(p.theta, nil) }

// KLByStep returns the expected KL of each decision, by its place in the
// answer: element t is the expected KL(pi_theta || pi_ref) of the
// decision at step t (the next step, or the stop), weighted by the
// probability of reaching step t, averaged over the prompts. Its sum is
// Exact().KL, the KL of whole answers: the chain rule that lets RLHF
// charge the KL penalty one token at a time.
func (p *Policy) KLByStep() []float64 {
	by := make([]float64, p.w.MaxSteps)
	p.exact(p.theta, by)
	return by
}

// exact computes the expectations under theta and, if by is not nil,
// adds each step's share of the KL to by[t].
func (p *Policy) exact(theta []float64, by []float64) Stats {
	var st Stats
	var x [NumInputs]float64
	var pr [NumKinds]float64
	L := p.w.MaxSteps
	for i, d := range p.prompt {
		need := Need(d)
		// mass[f][s]: probability of being at the current step having
		// seen a flawed step (f = 1) and s sound steps (capped at need).
		var mass, next [2][maxNeed + 1]float64
		mass[0][0] = 1
		end := func(f, s, steps int, m float64) {
			pr := p.w.pRight(f == 1, s, need)
			st.Right += m * pr
			st.Pass += m * p.w.pPass(f == 1, s, steps, need)
			if f == 1 {
				st.Lucky += m * pr
			} else {
				st.Clean += m
			}
		}
		for t := 0; t < L; t++ {
			next = [2][maxNeed + 1]float64{}
			for f := 0; f < 2; f++ {
				p.inputs(i, t, f == 1, x[:])
				probs(theta, x[:], pr[:])
				pref := p.refAt(i, t, f == 1)
				kl := 0.0
				for a := range pr {
					if pr[a] > 0 {
						kl += pr[a] * math.Log(pr[a]/pref[a])
					}
				}
				for s := 0; s <= need; s++ {
					m := mass[f][s]
					if m == 0 {
						continue
					}
					st.KL += m * kl
					if by != nil {
						by[t] += m * kl / float64(len(p.prompt))
					}
					st.Sound += m * pr[Sound]
					st.Flawed += m * pr[Flawed]
					st.Steps += m * (1 - pr[Stop])
					next[f][min(s+1, need)] += m * pr[Sound]
					next[1][s] += m * pr[Flawed]
					next[f][s] += m * pr[Filler]
					end(f, s, t, m*pr[Stop])
				}
			}
			mass = next
		}
		for f := 0; f < 2; f++ {
			for s := 0; s <= need; s++ {
				if mass[f][s] > 0 {
					end(f, s, L, mass[f][s])
				}
			}
		}
	}
	n := float64(len(p.prompt))
	st.Right /= n
	st.Pass /= n
	st.Lucky /= n
	st.Sound /= n
	st.Flawed /= n
	st.Steps /= n
	st.Clean /= n
	st.KL /= n
	return st
}
