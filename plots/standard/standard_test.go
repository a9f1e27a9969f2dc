package standard

import (
	"bytes"
	"testing"

	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
)

// TestStandardSetIsReproducible renders the standard set twice from runs
// with the same seed and compares the SVG and PDF bytes.
func TestStandardSetIsReproducible(t *testing.T) {
	render := func() map[string][]byte {
		c := pipeline.Default()
		c.Data.Prompts, c.Policy.Settings.Steps, c.Policy.Prompts = 300, 30, 20
		c.Data.LengthBias = 1
		r, err := pipeline.Run(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		figs, err := Standard(r, plots.Print())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]byte{}
		for _, f := range figs {
			for _, ext := range []string{"svg", "pdf"} {
				b, err := plots.Render(f.Plot, plots.Print(), ext)
				if err != nil {
					t.Fatal(err)
				}
				out[f.Name+"."+ext] = b
			}
		}
		return out
	}
	a, b := render(), render()
	if len(a) != 24 {
		t.Fatalf("%d rendered files, want 12 figures x 2 formats", len(a))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
}
