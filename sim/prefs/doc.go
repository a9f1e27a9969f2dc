// Package prefs holds preference datasets: K-way rankings of responses, the
// K(K-1)/2 pairwise preferences each ranking implies, splits by prompt, a
// summary of label noise against the hidden gold reward, and JSONL files in
// the prompt/chosen/rejected shape that preference-tuning libraries read.
//
// Pairs of one prompt are stored together (see Ranking.FirstPair), which is
// what per-prompt grouping during training needs: InstructGPT found that
// shuffling the correlated pairs of one prompt into separate batches makes a
// reward model overfit.
package prefs
