package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

type keyOptions struct {
	studentFlags
	seed uint64
}

func newKeyCmd() *cobra.Command {
	o := &keyOptions{seed: 1}
	cmd := &cobra.Command{
		Use:   "key --student NAME --secret FILE [LESSON...|all]",
		Short: "Print the instructor's answer key for a student's variant of the hidden world",
		Long: `key runs the lessons in a student's variant of the hidden world (the one
the student's variant code gives) and prints what an
instructor needs to grade it: the variant's hidden numbers, and for each
lesson the right answer to every prediction with the numbers it revealed,
every quiz answer with its explanation, and whether every self-check
passed. The same name, secret and seed give the same key on every machine.
It needs the course secret (--secret FILE or RLHFSIM_SECRET), so a student
cannot print a key.`,
		Example: `  rlhfsim key --secret course.secret --student "Ada Lovelace"
  rlhfsim key --secret course.secret --student ada --seed 3 08 12`,
		RunE: func(cmd *cobra.Command, args []string) error { return runKey(cmd, args, o) },
	}
	o.add(cmd, false)
	cmd.Flags().Uint64Var(&o.seed, "seed", o.seed, "the seed the student runs with")
	return cmd
}

func runKey(cmd *cobra.Command, args []string, o *keyOptions) error {
	if o.name == "" {
		return usagef("key needs --student NAME: the key is for one student's variant of the world")
	}
	if _, err := o.needSecret("key"); err != nil {
		return err
	}
	v, _, err := o.variant()
	if err != nil {
		return err
	}
	c, err := embedded()
	if err != nil {
		return err
	}
	sel, err := c.Select(args)
	if err != nil {
		return asUsage(err)
	}
	per, err := course.Route(sel, nil)
	if err != nil {
		return asUsage(err)
	}
	// The runs' figures are not the key's business: they go to a
	// directory that is removed, not into the working directory.
	tmp, err := os.MkdirTemp("", "rlhfsim-key-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rep, err := c.Run(cmd.Context(), sel, per, course.Options{Out: tmp, Seed: o.seed, Variant: v,
		Limits: worker.Limits{}, Stdout: io.Discard, Stderr: cmd.ErrOrStderr()})
	if err != nil {
		return asUsage(err)
	}
	w := cmd.OutOrStdout()
	printVariant(w, v, o.seed)
	failed := 0
	for _, l := range sel {
		res := rep.Results[l.Meta.ID]
		fmt.Fprintf(w, "\n== %s: %s\n", l.Meta.ID, l.Meta.Title)
		if res.Err != nil {
			failed++
			fmt.Fprintf(w, "  the lesson stopped: %v\n", res.Err)
			continue
		}
		printKey(w, res)
		if res.FailedChecks > 0 {
			failed++
		}
	}
	if failed > 0 {
		return lessonsFailed(failed, len(sel), "stopped or failed a check in this variant")
	}
	return nil
}

func printVariant(w io.Writer, v world.Variant, seed uint64) {
	fmt.Fprintf(w, "answer key for %s, variant %s (seed %d)\n\nthe hidden world of this variant:\n", v.Student, v.Code, seed)
	names := world.FeatureNames()
	for i, x := range v.W {
		if x != 0 {
			fmt.Fprintf(w, "  gold weight of %-13s %+.3f\n", names[i]+":", x)
		}
	}
	fmt.Fprintf(w, "  annotators' tau:            %.3f\n", v.Tau)
	fmt.Fprintf(w, "  annotators' hidden taste:   %s (lessons 03 and 07)\n", world.Quirks[v.Quirk])
	fmt.Fprintf(w, "  production annotators' flaw: %s (lesson 22)\n", world.Flaws[v.Flaw])
	fmt.Fprintf(w, "drawn from: %s\n", strings.Join(world.VariantRanges(), "; "))
}

func printKey(w io.Writer, res *notebook.Result) {
	letter := func(i int) string { return string(rune('a' + i)) }
	for _, e := range res.Events(notebook.Predict) {
		fmt.Fprintf(w, "  prediction %d: %s\n    answer: %s) %s\n    revealed: %s\n", e.N, e.Text, letter(e.Answer), e.Options[e.Answer], e.Explanation)
	}
	for _, e := range res.Events(notebook.Quiz) {
		fmt.Fprintf(w, "  quiz %d: %s\n    answer: %s) %s\n    why: %s\n", e.N, e.Text, letter(e.Answer), e.Options[e.Answer], e.Explanation)
	}
	for _, e := range res.Events(notebook.Number) {
		fmt.Fprintf(w, "  number %d: %s\n    answer: %.4g (within %g%%)\n    why: %s\n", e.N, e.Text, e.Value, 100*e.Tol, e.Explanation)
	}
	checks := res.Events(notebook.Check)
	pass := 0
	for _, e := range checks {
		if e.Pass {
			pass++
		} else {
			fmt.Fprintf(w, "  check FAILED: %s\n", e.Text)
		}
	}
	fmt.Fprintf(w, "  checks: %d of %d pass in this variant\n", pass, len(checks))
}
