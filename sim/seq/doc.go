// Package seq simulates answers produced step by step, so that a reward can
// be given for the whole sequence (an outcome reward, such as a verifier's
// verdict on the final answer) or for each step (a process reward).
//
// A response is a sequence of steps, each sound, flawed or filler, ended
// by a stop or by the step limit. Its final answer is right with a
// probability set by its steps: likely after enough sound steps and no
// flawed one, possible by luck after a flawed one. The policy is a
// softmax over the next step's kind given the prompt's difficulty, how
// far the answer has come and whether it has gone wrong yet; its
// log-probabilities, its KL to the reference policy and every expectation
// are exact, computed by dynamic programming over those few states.
package seq
