package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

type dataOptions struct {
	gen    genFlags
	out    string
	asJSON bool
}

func newDataCmd() *cobra.Command {
	o := &dataOptions{gen: defaultGenFlags()}
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Generate a preference dataset and summarise it or write it as JSONL",
		Long: `data samples prompts and responses from the base policy, has simulated
annotators rank each prompt's K responses, converts every ranking into its
K(K-1)/2 pairs and splits the prompts into train, validation and test.

Without --out it prints a summary, including how often the labels disagree
with the hidden gold reward. With --out it writes one pair per line in the
prompt/chosen/rejected JSONL shape, with rlhfsim's extra fields.`,
		Example: `  rlhfsim data --prompts 500 --k 4 --tau 0.5
  rlhfsim data --length-bias 1.5 --out biased.jsonl
  rlhfsim data --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runData(cmd, o) },
	}
	o.gen.register(cmd.Flags())
	cmd.Flags().StringVar(&o.out, "out", "", "write the dataset to this JSONL file (written atomically)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func runData(cmd *cobra.Command, o *dataOptions) error {
	if o.out != "" && !strings.HasSuffix(o.out, ".jsonl") {
		return usagef("invalid --out %q: the file name must end in .jsonl", o.out)
	}
	g, err := o.gen.generate()
	if err != nil {
		return err
	}
	d := g.Data
	if o.out != "" {
		if err := prefs.WriteFile(o.out, d); err != nil {
			return usagef("writing --out: %v", err)
		}
	}
	s := prefs.Summarize(d)
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, s)
	}
	printSummary(w, &s)
	if o.out != "" {
		fmt.Fprintf(w, "\nwrote %d pairs to %s\n", len(d.Pairs), o.out)
	}
	return nil
}

func printSummary(w io.Writer, s *prefs.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "prompts\t%d\t(train %d, val %d, test %d)\n", s.Prompts, s.Train.Prompts, s.Val.Prompts, s.Test.Prompts)
	fmt.Fprintf(tw, "responses per prompt (K)\t%d\n", s.K)
	fmt.Fprintf(tw, "pairs\t%d\t(train %d, val %d, test %d)\n", s.Pairs, s.Train.Pairs, s.Val.Pairs, s.Test.Pairs)
	fmt.Fprintf(tw, "annotators\t%d\t%s\n", len(s.Annotators), strings.Join(s.Annotators, " "))
	fmt.Fprintf(tw, "features\t%d\t%s\n", len(s.Features), strings.Join(s.Features, " "))
	fmt.Fprintf(tw, "mean length\t%.2f\tlog tokens\n", s.MeanLength)
	fmt.Fprintf(tw, "label noise vs gold\t%.3f\tfraction of pairs whose chosen response has the lower gold reward\n", s.LabelNoise)
	fmt.Fprintf(tw, "gold ceiling\t%.3f\taccuracy of the gold reward itself on these labels\n", s.GoldCeiling)
	if s.ExpectedCeiling != nil {
		fmt.Fprintf(tw, "expected ceiling\t%.3f\tthe same, expected under the annotator model\n", *s.ExpectedCeiling)
		fmt.Fprintf(tw, "Bayes ceiling\t%.3f\tbest expected accuracy of any scorer (knows the annotators' biases)\n", *s.BayesCeiling)
	}
	tw.Flush()
}
