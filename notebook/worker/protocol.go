package worker

import "github.com/rlhfsim/rlhfsim/notebook"

// Request is what the runner sends a worker: one lesson to run, or only to
// compile.
type Request struct {
	ID     string            `json:"id"`
	File   string            `json:"file"`
	Source []byte            `json:"source"`
	Set    map[string]string `json:"set,omitempty"`
	Seed   uint64            `json:"seed"`
	// Student and Code name the variant of the hidden world the lesson
	// runs in (world.Student); no code is the standard world.
	Student string `json:"student,omitempty"`
	Code    string `json:"code,omitempty"`
	// PNG asks for every figure as PNG too (the SVG always comes).
	PNG bool `json:"png,omitempty"`
	// CompileOnly stops after compiling: "rlhfsim check".
	CompileOnly bool `json:"compile_only,omitempty"`
	// Memory is the worker's memory limit in bytes.
	Memory int64 `json:"memory"`
	// CPU is the worker's limit of processor time in seconds, beside the
	// runner's wall-clock limits: a worker the runner can no longer kill
	// still stops.
	CPU int64 `json:"cpu,omitempty"`
	// MaxOutput caps the text one cell may print, in bytes.
	MaxOutput int `json:"max_output"`
	// MaxStack caps the stack of the lesson's goroutine, in bytes.
	MaxStack int `json:"max_stack"`
}

// The message types a worker sends, in the order a run sends them.
const (
	msgCompiling = "compiling" // the source passed the checks; compiling starts
	msgCompiled  = "compiled"  // the interpreter accepted the source
	msgCell      = "cell"      // cell Cell starts
	msgLine      = "line"      // the top-level statement on Line starts
	msgOutput    = "output"    // the lesson printed Text
	msgEvent     = "event"     // the lesson emitted Event
	msgStop      = "stop"      // the lesson stopped early: Err, of kind Kind
	msgProblem   = "problem"   // one of the problems "rlhfsim check" lists, in Err
	msgDone      = "done"      // the worker is finished
)

// Message is one line of the worker's report, as JSON.
type Message struct {
	Type  string            `json:"type"`
	Cell  int               `json:"cell,omitempty"`
	Line  int               `json:"line,omitempty"`
	Text  string            `json:"text,omitempty"`
	Event *notebook.Event   `json:"event,omitempty"`
	Kind  notebook.StopKind `json:"kind,omitempty"`
	Err   *notebook.Error   `json:"err,omitempty"`
}
