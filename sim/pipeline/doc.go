// Package pipeline runs the whole simulated RLHF chain in compiled code:
// world, annotators, preference pairs, reward-model training, scoring,
// policy optimisation and a best-of-n sweep. The command line, the figures
// and the lessons all drive it, so one seed gives the same numbers
// everywhere.
package pipeline
