// Package sim is the compiled engine of rlhfsim. Its sub-packages follow the
// RLHF pipeline: world (prompts, responses and the hidden gold reward),
// annotate (simulated people), prefs (preference datasets), and later reward
// and policy.
package sim
