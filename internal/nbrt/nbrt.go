package nbrt

import (
	"io"

	"github.com/rlhfsim/rlhfsim/notebook"
)

// Sink receives a lesson's output.
type Sink interface {
	io.Writer
	// Event receives an event after its plain text was written.
	Event(e notebook.Event)
	// Override returns the value a parameter was set to from outside.
	Override(name string) (string, bool)
	// Seed returns the run's seed.
	Seed() uint64
	// Student returns the name of the student the run is for, or "".
	Student() string
}

// Current is the sink of the lesson being run, or nil.
var Current Sink
