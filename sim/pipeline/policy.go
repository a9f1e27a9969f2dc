package pipeline

import (
	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/verify"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Policy configures policy optimisation and best-of-n.
type Policy struct {
	Kind PolicyKind
	// Method is rlhf (the default), or dpo or ipo, which fit the policy
	// (pool or generative) to the preference pairs directly, to its exact
	// optimum, at beta Settings.Beta; the reward model is still trained,
	// to compare.
	Method Method
	// Settings are the optimiser's, with policy.Settings's zero values
	// and defaults; embedded, so c.Policy.Beta is c.Policy.Settings.Beta.
	policy.Settings
	// Reward is what the policy optimises and best-of-n selects by: the
	// reward model (rm, the default), the verifier alone, or their mix,
	// the reward model plus VerifierWeight for a pass.
	Reward Reward
	// Verifier configures the verifier of the checkable prompts. When it
	// is not nil, or Reward needs a verifier, the run records what the
	// verifier sees at every recorded step (Result.Verifier); nil means the
	// defaults of verify.Settings.
	Verifier *verify.Settings
	// VerifierWeight is what a pass adds in the mix, in the reward
	// model's units; zero means DefaultVerifierWeight.
	VerifierWeight float64
	// Prompts is the number of prompts the policy answers; zero means
	// DefaultPolicyPrompts.
	Prompts int
	// PoolSize is the number of responses per prompt in the pool policy;
	// zero means DefaultPoolSize.
	PoolSize int
	// Draws is the number of common random draws per prompt for the
	// generative policy; zero means DefaultDraws.
	Draws int
	// BoN holds the n values of the best-of-n sweep; nil means no sweep.
	BoN []int
	// BoNPool is the number of base-policy samples per prompt the sweep
	// selects from; n should stay at most a quarter of it. Zero means four
	// times the largest n, and at least 4,096.
	BoNPool int
	// BoNPrompts is the number of prompts the sweep averages over, the
	// first of the policy's prompts. Zero means DefaultBoNPrompts (or all,
	// if fewer).
	BoNPrompts int
	// Audit, if Audit.Pairs > 0, has the annotators compare pairs of the
	// policy's own answers as it moves (Result.Audit).
	Audit Audit
}

// The policy's sizes when Policy leaves them zero.
const (
	DefaultPolicyPrompts = 200
	DefaultPoolSize      = 128
	DefaultDraws         = 16
)

// withDefaults returns c with its zero sizes replaced by their defaults.
func (c Policy) withDefaults() Policy {
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&c.Prompts, DefaultPolicyPrompts}, {&c.PoolSize, DefaultPoolSize}, {&c.Draws, DefaultDraws},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return c
}

// DefaultBoNPrompts is the number of prompts a best-of-n sweep averages
// over unless Policy.BoNPrompts says otherwise. Each gets a pool of four
// times the largest n (65,536 answers for the default sweep's 16,384), so
// the sweep reaches the n where selection turns down; 16 prompts keep
// that to a million answers, drawn and scored in well under a second.
const DefaultBoNPrompts = 16

// MaxBoN is the largest n of a best-of-n sweep: a pool of four times it
// is drawn for every prompt.
const MaxBoN = 1 << 16

// BoNSample describes the base-policy samples of a best-of-n sweep.
type BoNSample struct {
	Size    int // responses per prompt
	Prompts int // prompts
}

// PolicyPromptIDs is the first ID of the prompts the policy is trained
// on: far above the preference data's, so the policy answers prompts the
// reward model never saw. A lesson that builds its own policy draws its
// prompts from here too (world.Prompts(n, PolicyPromptIDs, ...)).
const PolicyPromptIDs = 1_000_000

// minBoNPool is the smallest best-of-n pool per prompt.
const minBoNPool = 4096

// bonPool is the pool size per prompt: BoNPool, or four times the largest
// n and at least minBoNPool.
func (c Policy) bonPool() int {
	if c.BoNPool > 0 {
		return c.BoNPool
	}
	m := minBoNPool
	for _, n := range c.BoN {
		m = max(m, 4*n)
	}
	return m
}

// MemoryEstimate is about how many bytes the policy stage takes: the
// pool's features and scores and, for the generative policy, its draws.
func (c Policy) MemoryEstimate() int64 {
	c = c.withDefaults()
	n := int64(max(c.Prompts, 0))
	d := int64(len(world.FeatureNames()))
	bonPrompts := int64(c.BoNPrompts)
	if bonPrompts == 0 {
		bonPrompts = DefaultBoNPrompts
	}
	// Best-of-n keeps three scores per sample, then two columns and the
	// sort's indices and ranks for one prompt.
	pool := n*int64(max(c.PoolSize, 0))*(d+4)*8 + min(n, bonPrompts)*int64(c.bonPool())*5*8 + int64(c.bonPool())*4*8
	draws := n * int64(max(c.Draws, 0)) * (2*d + 4) * 8
	return pool + draws
}
