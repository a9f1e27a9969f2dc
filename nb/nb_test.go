package nb

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"fmt"
	"github.com/rlhfsim/rlhfsim/internal/nbrt"
	"github.com/rlhfsim/rlhfsim/notebook"
	"slices"
)

// sink records what a lesson emits, as the notebook runtime does.
type sink struct {
	bytes.Buffer
	events []notebook.Event
	set    map[string]string
}

func (s *sink) Event(e notebook.Event)           { s.events = append(s.events, e) }
func (s *sink) Override(n string) (string, bool) { v, ok := s.set[n]; return v, ok }
func (s *sink) Seed() uint64                     { return 7 }
func (s *sink) Student() string                  { return "" }

func TestRuntimeOverridesAndEvents(t *testing.T) {
	s := &sink{set: map[string]string{"k": "5", "tau": "0.5", "on": "true", "gold": "linear"}}
	nbrt.Current = s
	defer func() { nbrt.Current = nil }()
	counters = map[notebook.Kind]int{}
	if Int("k", 3, 1, 9, "") != 5 || Float("tau", 1, 0, 2, "") != 0.5 || !Bool("on", false, "") ||
		Choice("gold", "default", []string{"default", "linear"}, "") != "linear" || Seed() != 7 {
		t.Error("overrides were not applied")
	}
	Check("a", true, "")
	Check("b", false, "why")
	TrueFalse("s", false, "e")
	if n := len(s.events); n != 7 || s.events[5].N != 2 || s.events[6].Answer != 1 {
		t.Errorf("events %+v", s.events)
	}
	if got := s.events[5].PlainText(); got != "✗ b\n  hint: why\n" {
		t.Errorf("plain text %q", got)
	}
}

func TestBadOverridePanicsWithTheRange(t *testing.T) {
	nbrt.Current = &sink{set: map[string]string{"k": "12"}}
	defer func() { nbrt.Current = nil }()
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), `parameter k: "12" is not an integer from 1 to 9`) {
			t.Errorf("recovered %v", r)
		}
	}()
	Int("k", 3, 1, 9, "")
}

func TestCompiledModeReadsTheCommandLine(t *testing.T) {
	old := os.Args
	defer func() { os.Args = old }()
	os.Args = []string{"lesson", "--set", "k=4", "--set=tau=0.25", "--seed", "9"}
	if v, ok := compiledOverride("k"); !ok || v != "4" {
		t.Errorf("k = %q, %v", v, ok)
	}
	if v, ok := compiledOverride("tau"); !ok || v != "0.25" {
		t.Errorf("tau = %q, %v", v, ok)
	}
	if Seed() != 9 {
		t.Errorf("seed %d", Seed())
	}
	if _, ok := compiledOverride("missing"); ok {
		t.Error("found a parameter that was not set")
	}
}

// TestQuizOrder: the order is a permutation, the same for the same
// question, seed and student, and not the same for everyone: over 20
// students the right answer of a four-option quiz sits under at least
// three different letters.
func TestQuizOrder(t *testing.T) {
	q := "What does reward-model training minimise?"
	a := QuizOrder(q, 4, 1, "ada")
	if b := QuizOrder(q, 4, 1, " Ada "); !slices.Equal(a, b) {
		t.Errorf("the same student saw %v, then %v", a, b)
	}
	s := slices.Clone(a)
	slices.Sort(s)
	if !slices.Equal(s, []int{0, 1, 2, 3}) {
		t.Errorf("%v is not a permutation", a)
	}
	letters := map[int]bool{}
	for i := range 20 {
		letters[slices.Index(QuizOrder(q, 4, 1, fmt.Sprint("student", i)), 1)] = true
	}
	if len(letters) < 3 {
		t.Errorf("over 20 students the answer sat under %d letters", len(letters))
	}
}

// TestQuizKeepsItsAnswer: whatever order a student sees, the option
// marked right is the one the lesson named. (The mapping once reassigned
// the answer inside its own loop, and marked a wrong option right in some
// orders.)
func TestQuizKeepsItsAnswer(t *testing.T) {
	s := &sink{}
	nbrt.Current = s
	defer func() { nbrt.Current = nil }()
	opts := []string{"w", "x", "y", "z"}
	for i := range 200 {
		s.events = nil
		Quiz(fmt.Sprint("question ", i), opts, i%4, "")
		e := s.events[0]
		if e.Options[e.Answer] != opts[i%4] {
			t.Fatalf("question %d: shown %v, marked %q right, want %q", i, e.Options, e.Options[e.Answer], opts[i%4])
		}
	}
}
