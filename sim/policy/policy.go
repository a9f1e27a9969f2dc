package policy

import (
	"errors"
	"math"
	"math/rand/v2"

	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// RewardFunc scores response phi to prompt p: the proxy (a reward model's
// normalised score) or the hidden gold reward. It is world.GoldFunc under the
// name that fits both.
type RewardFunc = world.GoldFunc

// Sample is one response drawn from a policy.
type Sample struct {
	Prompt int       // index into the policy's prompts
	Index  int       // the pool member, for a pool policy; -1 otherwise
	Phi    []float64 // the response's features
}

// Stats are a policy's expectations, exact or estimated as Estimator says,
// averaged over its prompts.
type Stats struct {
	KL      float64 // KL(pi_theta || pi_ref)
	Entropy float64 // of pi_theta: nats for the pool, differential for the Gaussian
	Proxy   float64 // expected proxy reward
	Gold    float64 // expected gold reward
	// GoldAgreement is the proxy's accuracy against the gold reward on the
	// policy's own responses: the probability that the proxy orders two
	// distinct responses to the same prompt, drawn independently from the
	// policy, as the gold reward does (ties count one half), averaged over
	// prompts. On the base policy it matches the reward model's held-out
	// gold agreement; as the policy moves away it shows the distribution
	// shift behind overoptimisation. It is one half where no prompt has two
	// distinct responses to compare.
	GoldAgreement float64
	// Features is the expected feature vector.
	Features []float64
	// KLEstimator and RewardEstimator name how KL and the expected rewards
	// were computed.
	KLEstimator, RewardEstimator string
}

// Preconditioner is a policy that knows its Fisher information F:
// Precondition replaces a gradient g by the natural gradient F^-1 g in
// place. Optimize then takes plain natural-gradient steps, which move the
// policy by an amount of KL that does not depend on how its parameters are
// written, so every direction is priced by what it costs in KL. Policies
// without it are stepped with Adam.
type Preconditioner interface {
	Precondition(g []float64)
}

// Policy is a conditional distribution over responses with parameters theta,
// whose reference (theta = 0) is the base policy.
type Policy interface {
	// Prompts returns the prompts the policy answers.
	Prompts() []world.Prompt
	// Params returns the live parameter vector.
	Params() []float64
	// Sample draws a response to prompt i.
	Sample(i int, src rand.Source) Sample
	// LogProb returns log pi_theta(y|x) and, if grad is not nil, adds
	// scale times its gradient in theta to grad.
	LogProb(s *Sample, grad []float64, scale float64) float64
	// LogRef returns log pi_ref(y|x).
	LogRef(s *Sample) float64
	// Eval returns the policy's expectations under the proxy and gold.
	Eval(proxy, gold RewardFunc) Stats
}

// ErrSettings is wrapped by errors for bad settings.
var ErrSettings = errors.New("policy: bad settings")

// agreement averages per-prompt pair agreements over the prompts that have
// a pair to compare.
type agreement struct {
	sum float64
	n   int
}

func (a *agreement) add(v float64) {
	if !math.IsNaN(v) {
		a.sum += v
		a.n++
	}
}

func (a *agreement) mean() float64 {
	if a.n == 0 {
		return 0.5
	}
	return a.sum / float64(a.n)
}

// uniformAgreement is stats.PairAgreement with equal weights, for a few
// draws whose scores change at every step: a direct loop over the pairs
// is cheaper than sorting.
func uniformAgreement(x, y []float64) float64 {
	var s float64
	for j := range x {
		for k := j + 1; k < len(x); k++ {
			s += stats.Concordance(x[j]-x[k], y[j]-y[k])
		}
	}
	n := len(x) * (len(x) - 1) / 2
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}
