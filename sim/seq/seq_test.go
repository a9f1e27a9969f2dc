package seq

import (
	"math"
	"math/rand/v2"
	"testing"
)

// enumerate calls f with every answer to prompt i (steps up to the limit,
// ended by a stop or by the limit).
func enumerate(p *Policy, i int, f func(s *Seq)) {
	var rec func(steps []Kind)
	rec = func(steps []Kind) {
		f(&Seq{Prompt: i, Steps: append([]Kind(nil), steps...)})
		if len(steps) == p.w.MaxSteps {
			return
		}
		for k := Sound; k < Stop; k++ {
			rec(append(steps, k))
		}
	}
	rec(nil)
}

// TestExactMatchesEnumeration sums over every answer of up to 5 steps
// (364 of them a prompt): probabilities add up to 1, and the dynamic
// programme's expectations and KL equal the brute-force sums.
func TestExactMatchesEnumeration(t *testing.T) {
	p, err := New(&World{MaxSteps: 5, FalseNegative: 0.1, FalsePositive: 0.05, WeakTests: 0.8}, []float64{0, 0.4, 0.9})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for k := range p.Params() {
		p.Params()[k] += 0.7 * r.NormFloat64()
	}
	var want Stats
	for i := range p.prompt {
		total := 0.0
		enumerate(p, i, func(s *Seq) {
			lp := p.LogProb(s, nil, 0, nil)
			q := math.Exp(lp)
			total += q
			sound, flawed := s.Counts()
			pr := p.w.pRight(flawed > 0, min(sound, Need(p.prompt[i])), Need(p.prompt[i]))
			want.Right += q * pr
			want.Pass += q * p.w.pPass(flawed > 0, min(sound, Need(p.prompt[i])), len(s.Steps), Need(p.prompt[i]))
			if flawed > 0 {
				want.Lucky += q * pr
			} else {
				want.Clean += q
			}
			want.Sound += q * float64(sound)
			want.Flawed += q * float64(flawed)
			want.Steps += q * float64(len(s.Steps))
			want.KL += q * (lp - p.LogRef(s))
		})
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("prompt %d: probabilities sum to %v", i, total)
		}
	}
	n := float64(len(p.prompt))
	got := p.Exact()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"right", got.Right, want.Right / n}, {"pass", got.Pass, want.Pass / n}, {"lucky", got.Lucky, want.Lucky / n}, {"clean", got.Clean, want.Clean / n},
		{"sound", got.Sound, want.Sound / n}, {"flawed", got.Flawed, want.Flawed / n}, {"steps", got.Steps, want.Steps / n},
		{"KL", got.KL, want.KL / n},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s: dynamic programme %v, enumeration %v", c.name, c.got, c.want)
		}
	}
	if got.KL <= 0 {
		t.Errorf("KL %v after moving the parameters", got.KL)
	}
}

// TestLogProbGradient compares LogProb's gradient with central
// differences on sampled answers.
func TestLogProbGradient(t *testing.T) {
	p, _ := New(nil, []float64{0.3, 0.8})
	r := rand.New(rand.NewPCG(2, 2))
	for k := range p.Params() {
		p.Params()[k] += 0.5 * r.NormFloat64()
	}
	for n := 0; n < 20; n++ {
		s := p.Sample(n%2, r)
		grad := make([]float64, NumParams)
		p.LogProb(&s, grad, 1, nil)
		for k := range grad {
			const h = 1e-6
			th := p.Params()
			old := th[k]
			th[k] = old + h
			up := p.LogProb(&s, nil, 0, nil)
			th[k] = old - h
			down := p.LogProb(&s, nil, 0, nil)
			th[k] = old
			if num := (up - down) / (2 * h); math.Abs(num-grad[k]) > 1e-6 {
				t.Fatalf("answer %v: d/dtheta[%d] = %v, numerically %v", s.Steps, k, grad[k], num)
			}
		}
	}
}

// TestSampleFrequencies: sampled answers are right, lucky and clean as
// often as the exact expectations say (within 4.5 standard errors).
func TestSampleFrequencies(t *testing.T) {
	p, _ := New(&World{FalseNegative: 0.1, FalsePositive: 0.05, WeakTests: 0.8}, []float64{0.1, 0.5, 1})
	ex := p.Exact()
	r := rand.New(rand.NewPCG(3, 3))
	const n = 60000
	var right, lucky, clean, sound, pass float64
	for k := 0; k < n; k++ {
		s := p.Sample(k%3, r)
		if s.Pass {
			pass++
		}
		ns, nf := s.Counts()
		sound += float64(ns)
		if s.Right {
			right++
			if nf > 0 {
				lucky++
			}
		}
		if nf == 0 {
			clean++
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"right", right / n, ex.Right}, {"pass", pass / n, ex.Pass}, {"lucky", lucky / n, ex.Lucky}, {"clean", clean / n, ex.Clean}} {
		if se := math.Sqrt(c.want * (1 - c.want) / n); math.Abs(c.got-c.want) > 4.5*se {
			t.Errorf("%s: sampled %.4f, exact %.4f (se %.4f)", c.name, c.got, c.want, se)
		}
	}
	if math.Abs(sound/n-ex.Sound) > 0.05 {
		t.Errorf("sound steps: sampled %.3f, exact %.3f", sound/n, ex.Sound)
	}
	if ex.Lucky <= 0 || ex.Lucky >= ex.Right {
		t.Errorf("lucky %.3f of right %.3f: the reference policy should be right by luck sometimes", ex.Lucky, ex.Right)
	}
}

func TestBadWorld(t *testing.T) {
	for _, w := range []*World{{MaxSteps: 65}, {MaxSteps: -1}, {RightSound: 1.5}, {WeakTests: 2}, {FalseNegative: -0.1}} {
		if _, err := New(w, []float64{0.5}); err == nil {
			t.Errorf("%+v accepted", *w)
		}
	}
	if _, err := New(nil, []float64{1.5}); err == nil {
		t.Error("difficulty 1.5 accepted")
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("no prompts accepted")
	}
}

// TestGradientEstimateIsUnbiased: the mean of many batch estimates of the
// per-step policy gradient matches central differences of the exact
// objective, for both rewards, within 4.5 standard errors.
func TestGradientEstimateIsUnbiased(t *testing.T) {
	for _, rw := range Rewards() {
		p, _ := New(nil, []float64{0.2, 0.7})
		r := rand.New(rand.NewPCG(5, 5))
		for k := range p.Params() {
			p.Params()[k] += 0.3 * r.NormFloat64()
		}
		set, _ := (&Settings{Reward: rw, Beta: 0.3, Batch: 16}).resolve()
		checkUnbiased(t, p, &set, r, func() float64 { return p.Objective(rw, set.Beta) })
	}
}

// checkUnbiased compares the mean of 4,000 batch estimates of the
// gradient with central differences of the exact objective.
func checkUnbiased(t *testing.T, p *Policy, set *Settings, r *rand.Rand, objective func() float64) {
	t.Helper()
	e := newEstimator(set.Batch)
	const reps = 4000
	sum, sq := make([]float64, NumParams), make([]float64, NumParams)
	for n := 0; n < reps; n++ {
		for k, g := range e.gradient(p, set, r) {
			sum[k] += g
			sq[k] += g * g
		}
	}
	for k := range sum {
		const h = 1e-5
		th := p.Params()
		old := th[k]
		th[k] = old + h
		up := objective()
		th[k] = old - h
		down := objective()
		th[k] = old
		num := (up - down) / (2 * h)
		mean := sum[k] / reps
		se := math.Sqrt((sq[k]/reps - mean*mean) / reps)
		if math.Abs(mean-num) > 4.5*se+1e-6 {
			t.Errorf("%s: d/dtheta[%d]: estimate %.4f +- %.4f, exact %.4f", set.Reward, k, mean, se, num)
		}
	}
}
