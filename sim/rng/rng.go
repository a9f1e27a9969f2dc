package rng

import (
	"hash/fnv"
	"math/rand/v2"
)

// Stream returns the random stream called name for seed: a PCG generator
// whose state is the seed and a hash of the name. Every use of randomness
// has a name of its own, so two uses never draw the same numbers by
// accident, and a new use never changes the numbers of another.
//
// Name streams; never compute one name from another. The names the
// pipeline and the command line use are the constants below; lessons use
// their own, such as "lesson06/pool".
func Stream(seed uint64, name string) *rand.Rand {
	return rand.New(rand.NewPCG(seed, Hash(name)))
}

// Hash is the 64-bit FNV-1a hash of a stream's name: the second word of
// its PCG state.
func Hash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// Of returns src as a *rand.Rand, wrapping it only when it is not one
// already. Functions take a rand.Source, which a *rand.Rand is too, and
// draw through Of: the numbers are the same either way.
func Of(src rand.Source) *rand.Rand {
	if r, ok := src.(*rand.Rand); ok {
		return r
	}
	return rand.New(src)
}

// The streams of the pipeline and the command line, one per use.
const (
	Panel       = "annotate/panel"    // the annotators' rating offsets, scales and temperatures
	Data        = "prefs/data"        // prompts, responses, rankings and splits
	Distractors = "prefs/distractors" // irrelevant features appended for the reward model
	Init        = "reward/init"       // an MLP's initial weights
	Train       = "reward/train"      // minibatch order
	Ensemble    = "reward/ensemble"   // the seeds of an ensemble's members
	Bootstrap   = "reward/bootstrap"  // one member's resample of the training prompts
	View        = "reward/view"       // the features one ensemble member is trained on
	Prompts     = "policy/prompts"    // the prompts the policy answers
	Pool        = "policy/pool"       // the pool policy's responses
	BoN         = "policy/best-of-n"  // the base-policy samples of the best-of-n sweep
	Draws       = "policy/draws"      // the generative policy's common random draws
	Optimize    = "policy/optimize"   // the samples of policy optimisation
	Drift       = "pipeline/drift"    // feature samples before and after optimisation
	Ratings     = "pipeline/ratings"  // the ranking-versus-rating experiment
	Audit       = "pipeline/audit"    // the pairs of the policy's answers an audit has labelled
	SeqPrompts  = "seq/prompts"       // the difficulties of step-by-step prompts
	SeqLabels   = "seq/labels"        // the answers labelled step by step for a process reward model
	SeqTrain    = "seq/train"         // the answers sampled while training on steps
)

// Names lists the constants above, for the test that streams are distinct.
var Names = []string{Panel, Data, Distractors, Init, Train, Ensemble, Bootstrap, View, Prompts, Pool, BoN, Draws, Optimize, Drift, Ratings, Audit, SeqPrompts, SeqLabels, SeqTrain}
