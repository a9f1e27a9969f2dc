package rng

import "math/rand/v2"

// Source returns a PCG source for seed. Different streams of one seed are
// independent, which lets separate stages (annotator panel, data, policy)
// draw without changing each other's numbers when one of them changes.
func Source(seed, stream uint64) rand.Source {
	return rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream)
}

// New returns a *rand.Rand on Source(seed, stream).
func New(seed, stream uint64) *rand.Rand { return rand.New(Source(seed, stream)) }

// Streams used by the command line and the lessons.
const (
	Panel uint64 = iota + 1
	Data
	Train
	Policy
	Eval
)
