package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
	"github.com/rlhfsim/rlhfsim/plots/standard"
	"github.com/spf13/cobra"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
)

type figuresOptions struct {
	gen     genFlags
	out     string
	formats string
	size    string
}

func newFiguresCmd() *cobra.Command {
	o := &figuresOptions{gen: defaultGenFlags(), out: "figures", formats: "svg,png", size: "slide"}
	o.gen.c.Data.Prompts = pipeline.Default().Data.Prompts
	o.gen.c.Data.LengthBias = 1
	cmd := &cobra.Command{
		Use:   "figures",
		Short: "Render the course's standard figures from a pipeline run",
		Long: `figures runs the default pipeline and renders the standard figure set in the
house style (Okabe-Ito colours, Liberation Sans), with an index in Markdown
and in HTML that lists every figure with its caption, seed and parameters.

The annotators favour length (--length-bias 1) by default so that the
overoptimisation figures have something to show; set --length-bias 0 for a
run without it. Any data flag of "rlhfsim data" applies.`,
		Example: `  rlhfsim figures --out figs
  rlhfsim figures --out print --format pdf,png --size print`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runFigures(cmd, o) },
	}
	o.gen.register(cmd.Flags())
	cmd.Flags().StringVar(&o.out, "out", o.out, "directory to write the figures and index into")
	cmd.Flags().StringVar(&o.formats, "format", o.formats, "comma-separated formats: svg, pdf, png")
	cmd.Flags().StringVar(&o.size, "size", o.size, "size preset: slide (16:9) or print (one column)")
	return cmd
}

func runFigures(cmd *cobra.Command, o *figuresOptions) error {
	th, ok := plots.ThemeByName(o.size)
	if !ok {
		return usagef("invalid --size %q: must be slide or print", o.size)
	}
	var formats []string
	for _, f := range strings.Split(o.formats, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		if err := oneOf("format", f, plots.Formats()...); err != nil {
			return err
		}
		formats = append(formats, f)
	}
	if err := o.gen.validate(); err != nil {
		return err
	}
	c := *o.gen.c
	c.Data = o.gen.config()
	if err := checkMemory(c.Data.MemoryEstimate()+c.Policy.MemoryEstimate(), o.gen.memory, "--prompts or --k"); err != nil {
		return err
	}
	pr := newProgress(cmd.ErrOrStderr())
	res, err := pipeline.Run(c, pr.update)
	pr.done()
	if err != nil {
		return usageError{err}
	}
	figs, err := standard.Standard(res, th)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return usagef("creating --out: %v", err)
	}
	params := fmt.Sprintf("seed %d; %d prompts, K=%d, tau %g, length bias %g, position bias %g, %d annotator(s), %s gold; linear reward model; %s policy, %s, beta %g, %d steps",
		c.Seed, c.Data.Prompts, c.Data.K, c.Data.Tau, c.Data.LengthBias, c.Data.PositionBias, c.Data.Annotators,
		c.Data.Gold, c.Policy.Kind, c.Policy.Settings.Algo, c.Policy.Settings.Beta, c.Policy.Settings.Steps)
	rendered := map[string]map[string][]byte{}
	for _, f := range figs {
		rendered[f.Name] = map[string][]byte{}
		for _, ext := range formats {
			b, err := plots.Render(f.Plot, th, ext)
			if err != nil {
				return fmt.Errorf("rendering %s.%s: %w", f.Name, ext, err)
			}
			if err := fileio.WriteBytes(filepath.Join(o.out, f.Name+"."+ext), b); err != nil {
				return usagef("writing --out: %v", err)
			}
			rendered[f.Name][ext] = b
		}
	}
	if err := fileio.WriteBytes(filepath.Join(o.out, "index.md"), figureIndexMD(figs, formats, params, th)); err != nil {
		return usagef("writing --out: %v", err)
	}
	if err := fileio.WriteBytes(filepath.Join(o.out, "index.html"), figureIndexHTML(figs, rendered, formats, params, th)); err != nil {
		return usagef("writing --out: %v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %d figures (%s, %s size) and index.md, index.html to %s\n", len(figs), strings.Join(formats, ", "), th.Name, o.out)
	return nil
}

func figureIndexMD(figs []plots.Figure, formats []string, params string, th *plots.Theme) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# rlhfsim figures\n\nMade by `rlhfsim figures` at %s size from one pipeline run: %s.\n\n", th.Name, params)
	img := formats[0]
	for _, f := range formats {
		if f == "png" || f == "svg" {
			img = f
			break
		}
	}
	for i, f := range figs {
		fmt.Fprintf(&b, "## %d. %s\n\n%s\n\n", i+1, f.Name, f.Caption)
		if img != "pdf" {
			fmt.Fprintf(&b, "![%s](%s.%s)\n\n", f.Caption, f.Name, img)
		}
		var links []string
		for _, ext := range formats {
			links = append(links, fmt.Sprintf("[%s](%s.%s)", ext, f.Name, ext))
		}
		fmt.Fprintf(&b, "Files: %s\n\n", strings.Join(links, " · "))
	}
	return b.Bytes()
}

// figureIndexHTML writes one self-contained page: every figure is embedded
// as a data URI, so the page can be mailed or opened from anywhere.
func figureIndexHTML(figs []plots.Figure, rendered map[string]map[string][]byte, formats []string, params string, th *plots.Theme) []byte {
	var b bytes.Buffer
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rlhfsim figures</title>
<style>body{font-family:"Liberation Sans",Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
figure{margin:2rem 0;border-top:1px solid #ddd;padding-top:1rem}img{max-width:100%;height:auto}figcaption{margin-top:.5rem}
.params{color:#555}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>rlhfsim figures</h1><p class=\"params\">Made by <code>rlhfsim figures</code> at %s size from one pipeline run: %s.</p>\n", th.Name, html.EscapeString(params))
	for i, f := range figs {
		fmt.Fprintf(&b, "<figure id=\"%s\"><h2>%d. %s</h2>", f.Name, i+1, f.Name)
		switch {
		case rendered[f.Name]["svg"] != nil:
			fmt.Fprintf(&b, "<img alt=\"%s\" src=\"data:image/svg+xml;base64,%s\">", html.EscapeString(f.Caption), base64.StdEncoding.EncodeToString(rendered[f.Name]["svg"]))
		case rendered[f.Name]["png"] != nil:
			fmt.Fprintf(&b, "<img alt=\"%s\" src=\"data:image/png;base64,%s\">", html.EscapeString(f.Caption), base64.StdEncoding.EncodeToString(rendered[f.Name]["png"]))
		}
		var links []string
		for _, ext := range formats {
			links = append(links, fmt.Sprintf("<a href=\"%s.%s\">%s</a>", f.Name, ext, ext))
		}
		fmt.Fprintf(&b, "<figcaption>%s<br><small>%s</small></figcaption></figure>\n", html.EscapeString(f.Caption), strings.Join(links, " · "))
	}
	b.WriteString("</body></html>\n")
	return b.Bytes()
}
