// Package nbcell is the hook the notebook runtime plants in a lesson's
// source: a call at every cell marker and before every top-level statement
// of main, so the runtime knows which cell is running (for per-cell
// timeouts and output) and on which line a panic started.
package nbcell

// OnCell and OnLine, set by the runtime, receive the calls.
var (
	OnCell func(n int)
	OnLine func(line int)
)

// Cell marks the start of cell n.
func Cell(n int) {
	if OnCell != nil {
		OnCell(n)
	}
}

// Line marks the start of the top-level statement on line.
func Line(line int) {
	if OnLine != nil {
		OnLine(line)
	}
}
