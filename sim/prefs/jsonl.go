package prefs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Line is one JSONL record: one preference pair. The first three fields are
// the conventional shape that preference-tuning libraries read; the rest are
// rlhfsim's extensions, enough to rebuild the whole dataset.
type Line struct {
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`

	PromptID         int       `json:"prompt_id"`
	Category         string    `json:"category"`
	Topic            int       `json:"topic"`
	Difficulty       float64   `json:"difficulty"`
	FeatureNames     []string  `json:"feature_names"`
	ChosenFeatures   []float64 `json:"chosen_features"`
	RejectedFeatures []float64 `json:"rejected_features"`
	ChosenGold       float64   `json:"chosen_gold"`
	RejectedGold     float64   `json:"rejected_gold"`
	Annotator        string    `json:"annotator"`
	ChosenRank       int       `json:"chosen_rank"`
	RejectedRank     int       `json:"rejected_rank"`
	ChosenPosition   int       `json:"chosen_position"`
	RejectedPosition int       `json:"rejected_position"`
	K                int       `json:"k"`
	Split            string    `json:"split"`
}

// Write writes d as JSONL, one pair a line, in pair order. The response
// texts are rendered by world.Text when d uses the world's features.
//
// Lines are encoded a block at a time on all cores and written in order,
// so the bytes are the same as encoding one line after another, and memory
// holds a few blocks however large d is.
func Write(w io.Writer, d *Dataset) error {
	const blockPairs = 256
	textual := slices.Equal(d.Features, world.FeatureNames())
	blocks := make([]bytes.Buffer, 2*runtime.GOMAXPROCS(0))
	errs := make([]error, len(blocks))
	for lo := 0; lo < len(d.Pairs); lo += blockPairs * len(blocks) {
		var wg sync.WaitGroup
		for k := range blocks {
			start := lo + k*blockPairs
			if start >= len(d.Pairs) {
				blocks[k].Reset()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[k] = writeLines(&blocks[k], d, d.Pairs[start:min(start+blockPairs, len(d.Pairs))], textual)
			}()
		}
		wg.Wait()
		for k := range blocks {
			if errs[k] != nil {
				return errs[k]
			}
			if _, err := w.Write(blocks[k].Bytes()); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeLines encodes pairs as lines into buf, which it empties first.
func writeLines(buf *bytes.Buffer, d *Dataset, pairs []Pair, textual bool) error {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	for _, p := range pairs {
		r := &d.Rankings[p.Ranking]
		l := Line{
			Prompt:           r.Prompt.Text,
			PromptID:         r.Prompt.ID,
			Category:         r.Prompt.Category.String(),
			Topic:            r.Prompt.Topic,
			Difficulty:       r.Prompt.Difficulty,
			FeatureNames:     d.Features,
			ChosenFeatures:   d.Response(p.W),
			RejectedFeatures: d.Response(p.L),
			ChosenGold:       d.Gold[p.W],
			RejectedGold:     d.Gold[p.L],
			Annotator:        d.Annotators[r.Annotator].Name,
			ChosenRank:       p.RankW,
			RejectedRank:     p.RankL,
			ChosenPosition:   p.W - r.First,
			RejectedPosition: p.L - r.First,
			K:                r.K,
			Split:            r.Split.String(),
		}
		if textual {
			l.Chosen = world.Text(r.Prompt, l.ChosenFeatures)
			l.Rejected = world.Text(r.Prompt, l.RejectedFeatures)
		} else {
			l.Chosen = fmt.Sprintf("response %d", p.W)
			l.Rejected = fmt.Sprintf("response %d", p.L)
		}
		if err := enc.Encode(&l); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes d as JSONL to path atomically: it streams into a
// pending file beside path and renames it when complete, so path is never
// left half-written and memory does not grow with the file.
func WriteFile(path string, d *Dataset) error {
	return fileio.Write(path, func(w io.Writer) error { return Write(w, d) })
}
