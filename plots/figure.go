package plots

import (
	"gonum.org/v1/plot"
)

// Figure is a named plot with a one-line caption.
type Figure struct {
	Name    string // file name without extension
	Caption string
	Plot    *plot.Plot
}
