package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

type scoreOptions struct {
	src    dataSource
	model  string
	limit  int
	asJSON bool
}

func newScoreCmd() *cobra.Command {
	o := &scoreOptions{src: dataSource{gen: defaultGenFlags()}, limit: 12}
	o.src.gen.c.Data.Prompts = 50
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score single responses with a saved reward model",
		Long: `score applies a trained reward model in its second role: as an absolute
scorer that gives each response, on its own, one number. It scores every
response of a JSONL dataset (--data) or of freshly generated prompts, and
shows the hidden gold reward beside each score when it is known.`,
		Example: `  rlhfsim train --save-model rm.json && rlhfsim score --model rm.json
  rlhfsim score --model rm.json --data data.jsonl --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runScore(cmd, o) },
	}
	o.src.gen.register(cmd.Flags())
	cmd.Flags().StringVar(&o.src.data, "data", "", "score the responses of this JSONL dataset instead of generated ones")
	cmd.Flags().StringVar(&o.model, "model", "", "the saved reward model (JSON, from train --save-model); required")
	cmd.Flags().IntVar(&o.limit, "limit", o.limit, "responses to show in the table (0 to 100000); --json lists all")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print every score as JSON")
	return cmd
}

type scoredResponse struct {
	PromptID int     `json:"prompt_id"`
	Category string  `json:"category"`
	Position int     `json:"position"`
	Score    float64 `json:"score"`
	Gold     float64 `json:"gold"`
	Text     string  `json:"text,omitempty"`
}

type scoreReport struct {
	Model     string           `json:"model"`
	Responses int              `json:"responses"`
	Spearman  float64          `json:"spearman_gold"`
	Scores    []scoredResponse `json:"scores"`
}

func runScore(cmd *cobra.Command, o *scoreOptions) error {
	if o.model == "" {
		return usagef("missing --model: give the JSON file that train --save-model wrote")
	}
	if err := checkIntRange("limit", o.limit, 0, 100000); err != nil {
		return err
	}
	sc, err := reward.LoadFile(o.model)
	if err != nil {
		return usagef("reading --model: %v", err)
	}
	d, _, err := o.src.load(cmd, 0)
	if err != nil {
		return err
	}
	if err := sc.CheckFeatures(d.Features); err != nil {
		return usagef("--model does not fit the data: %v", err)
	}
	scores := sc.ScoreBatch(d.Phi, nil)
	for i, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return usagef("--model gives response %d a score of %v: its weights are too large for these features", i, s)
		}
	}
	rep := scoreReport{Model: o.model, Responses: len(scores), Spearman: stats.Spearman(scores, d.Gold)}
	textual := strings.Join(d.Features, ",") == strings.Join(world.FeatureNames(), ",")
	for _, rk := range d.Rankings {
		for j := 0; j < rk.K; j++ {
			i := rk.First + j
			r := scoredResponse{PromptID: rk.Prompt.ID, Category: rk.Prompt.Category.String(), Position: j, Score: scores[i], Gold: d.Gold[i]}
			if textual {
				r.Text = world.Text(rk.Prompt, d.Response(i))
			}
			rep.Scores = append(rep.Scores, r)
		}
	}
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, rep)
	}
	printScores(w, &rep, o.limit, d)
	return nil
}

func printScores(w io.Writer, r *scoreReport, limit int, d *prefs.Dataset) {
	fmt.Fprintf(w, "%d responses scored by %s; Spearman correlation with the gold reward %s\n\n", r.Responses, r.Model, f3(r.Spearman))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "prompt\tcategory\tscore\tgold\tresponse")
	for i, s := range r.Scores {
		if i >= limit {
			break
		}
		text := strings.ReplaceAll(s.Text, "\n", " ")
		if len(text) > 70 {
			text = text[:67] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%+.3f\t%+.3f\t%s\n", s.PromptID, s.Category, s.Score, s.Gold, text)
	}
	tw.Flush()
	if limit < len(r.Scores) {
		fmt.Fprintf(w, "... and %d more (--limit, or --json for all)\n", len(r.Scores)-limit)
	}
}
