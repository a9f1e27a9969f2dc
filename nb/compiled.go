package nb

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// saveCompiled writes a figure of a compiled lesson to the directory named
// by RLHFSIM_FIGURES, if set; otherwise compiled lessons print captions
// only, and never write files unasked.
func saveCompiled(e notebook.Event) {
	dir := os.Getenv("RLHFSIM_FIGURES")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, fmt.Sprintf("figure-%d.svg", e.N))
	if err := e.Plot.Save(10*vg.Inch, 5.625*vg.Inch, path); err != nil {
		fmt.Fprintln(os.Stderr, "nb:", err)
	}
}
