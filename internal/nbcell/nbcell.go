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
