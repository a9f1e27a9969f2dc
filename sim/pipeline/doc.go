// Package pipeline runs the whole simulated RLHF chain in compiled code:
// world, annotators, preference pairs, reward-model training, scoring,
// policy optimisation and a best-of-n sweep. The command line, the figures
// and the lessons all drive it, so one seed gives the same numbers
// everywhere.
//
// # One settings tree
//
// A Config is the whole run. Its parts embed the components' own
// settings (Data embeds prefs.Settings, RM embeds reward.Settings, Policy
// embeds policy.Settings), so each setting is declared once, with one
// meaning of zero: the default for a count or size whose zero would mean
// nothing, zero itself for a quantity whose zero is a value (a
// temperature, a bias, beta). The zero Config is valid and runs;
// Default is the course's standard run. The seed is Config.Seed: Run and
// Config.Reward draw everything from it, and the parts' own Generate and
// Train take a seed only so that ensembles and replicates can give each
// member its own.
//
// Params is the table of every numeric setting: its name, meaning and
// range. The parts' Validate methods check their settings against it and
// the command line builds its flags, help text and range checks from it,
// so no bound is written twice. A new numeric setting is a field in its
// part (or in the component's settings) and one entry in Params.
package pipeline
