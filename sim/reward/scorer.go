package reward

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/world"

	"github.com/rlhfsim/rlhfsim/internal/fileio"
)

// Scorer is a trained reward model in its second role: an absolute scorer
// of single responses. Its scores are the model's minus Offset, chosen by
// Normalize so that a reference set of responses has mean score 0.
type Scorer struct {
	Model    Model
	Features []string
	// Objective is the objective the model was trained under.
	Objective Objective
	// Offset is subtracted from every raw score.
	Offset float64
	act    []float64
}

// NewScorer wraps m, whose inputs are the named features.
func NewScorer(m Model, features []string, obj Objective) *Scorer {
	if len(features) != m.D() {
		panic("reward: feature names do not match the model")
	}
	if r, err := obj.resolve(); err == nil {
		obj = r
	}
	return &Scorer{Model: m, Features: append([]string(nil), features...), Objective: obj}
}

// Copy returns a scorer of the same model with scratch space of its own:
// a Scorer is not safe for concurrent use, but copies of it are safe to
// use side by side, since scoring only reads the model.
func (s *Scorer) Copy() *Scorer {
	c := *s
	c.act = nil
	return &c
}

// Score returns the normalised score of one response. A Scorer is not safe
// for concurrent use (see Copy).
func (s *Scorer) Score(phi []float64) float64 {
	if len(phi) != len(s.Features) {
		panic("reward: length mismatch")
	}
	if n := s.Model.ActLen(); len(s.act) < n {
		s.act = make([]float64, n)
	}
	return s.Model.Forward(phi, s.act) - s.Offset
}

// Reward is Score as a policy's reward: a reward model reads the
// response's features alone, so the prompt is ignored. The method value
// sc.Reward is a policy.RewardFunc.
func (s *Scorer) Reward(_ world.Prompt, phi []float64) float64 { return s.Score(phi) }

// Func is the method value s.Reward made in compiled code. A lesson
// passes tr.Scorer.Func() where it would pass tr.Scorer.Reward: the
// interpreter makes a method value of a compiled type by reflection,
// which the engine then calls through reflection, about a third of a
// microsecond a call against a few nanoseconds for this one, and a
// policy's training calls it for every draw of every step.
// The two give the same rewards.
func (s *Scorer) Func() world.GoldFunc { return s.Reward }

// ScoreBatch scores the responses in phis (flat, D values each) into dst,
// allocating it if nil, and returns it.
func (s *Scorer) ScoreBatch(phis, dst []float64) []float64 {
	D := len(s.Features)
	n := len(phis) / D
	if len(phis) != n*D {
		panic("reward: length mismatch")
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		dst[i] = s.Score(world.Row(phis, D, i))
	}
	return dst
}

// Normalize sets Offset so that the reference responses refs (flat) have
// mean score 0, as InstructGPT normalises its reward model on base-policy
// samples. Ranking loss leaves the level of scores free; this fixes it.
func (s *Scorer) Normalize(refs []float64) {
	if len(refs) == 0 {
		panic("reward: empty reference set")
	}
	s.Offset = 0
	sc := s.ScoreBatch(refs, nil)
	sum := 0.0
	for _, v := range sc {
		sum += v
	}
	s.Offset = sum / float64(len(sc))
}

// file is the JSON form of a Scorer.
type file struct {
	Format     string     `json:"format"`
	Kind       Kind       `json:"kind"`
	Features   []string   `json:"features"`
	Params     []float64  `json:"params"`
	Hidden     []int      `json:"hidden,omitempty"`
	Activation Activation `json:"activation,omitempty"`
	InMean     []float64  `json:"input_mean,omitempty"`
	InScale    []float64  `json:"input_scale,omitempty"`
	Objective  Objective  `json:"objective"`
	Minimised  string     `json:"objective_minimised"`
	Offset     float64    `json:"offset"`
}

const formatName = "rlhfsim-reward-model/1"

// MarshalJSON writes the scorer's kind, feature names, parameters,
// objective and normalisation offset.
func (s *Scorer) MarshalJSON() ([]byte, error) {
	f := file{
		Format: formatName, Kind: s.Model.Kind(), Features: s.Features,
		Params: s.Model.Params(), Objective: s.Objective,
		Minimised: s.Objective.Describe(), Offset: s.Offset,
	}
	if ks, ok := s.Model.Kind().spec(); ok && ks.save != nil {
		ks.save(s.Model, &f)
	}
	return json.MarshalIndent(f, "", "  ")
}

// ErrModelFile is wrapped by every error for a malformed model file.
var ErrModelFile = errors.New("reward: bad model file")

func badFile(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrModelFile, fmt.Sprintf(format, args...))
}

// UnmarshalJSON reads a scorer, validating shapes, names and values.
func (s *Scorer) UnmarshalJSON(b []byte) error {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return badFile("%v", err)
	}
	if f.Format != formatName {
		return badFile("format %q, want %q", f.Format, formatName)
	}
	if len(f.Features) == 0 {
		return badFile("no feature names")
	}
	for i, n := range f.Features {
		if n == "" || slices.Contains(f.Features[:i], n) {
			return badFile("feature name %q is empty or repeated", n)
		}
	}
	for _, v := range append(append(append([]float64{f.Offset}, f.Params...), f.InMean...), f.InScale...) {
		if !(math.Abs(v) <= MaxParam) {
			return badFile("a parameter is %g, not a number from -%g to %g", v, MaxParam, MaxParam)
		}
	}
	if len(f.Features) > MaxFeatures {
		return badFile("%d features, more than %d", len(f.Features), MaxFeatures)
	}
	D := len(f.Features)
	ks, ok := f.Kind.spec()
	if !ok || f.Kind == "" {
		return badFile("%v", enum.Check("kind", f.Kind, Kinds()...))
	}
	m, err := ks.load(&f, D)
	if err != nil {
		return err
	}
	obj, err := f.Objective.resolve()
	if err != nil {
		return badFile("%v", err)
	}
	*s = Scorer{Model: m, Features: f.Features, Objective: obj, Offset: f.Offset}
	return nil
}

// Save writes the scorer to path as JSON, atomically.
func (s *Scorer) Save(path string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return fileio.WriteBytes(path, append(b, '\n'))
}

// Bounds on a model file: beyond them a file is not one train wrote, and
// loading it would exhaust memory or give scores that are not finite.
const (
	// MaxFileSize is the largest model file Load reads: a two-layer MLP
	// of width 4096 on 4096 features fits.
	MaxFileSize = 1 << 30
	// MaxParam bounds the magnitude of every parameter and offset.
	MaxParam = 1e6
	// MinInputScale is the smallest input scale of an MLP.
	MinInputScale = 1e-6
)

// Load reads a scorer from r, refusing input that cannot be a model file
// before reading much of it.
func Load(r io.Reader) (*Scorer, error) {
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return nil, badFile("empty file, or no JSON object in it")
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if c != '{' {
			return nil, badFile("not a model file: it does not start with a JSON object")
		}
		_ = br.UnreadByte()
		break
	}
	b, err := io.ReadAll(io.LimitReader(br, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, badFile("larger than %d MiB: not a model file train wrote", MaxFileSize>>20)
	}
	if err := checkShape(b); err != nil {
		return nil, err
	}
	var s Scorer
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadFile reads a scorer from path; errors name the file. A file over
// MaxFileSize is refused before it is read.
func LoadFile(path string) (s *Scorer, err error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %w", path, badFile("%d MiB, larger than %d MiB: not a model file train wrote", fi.Size()>>20, MaxFileSize>>20))
	}
	err = fileio.Read(path, func(r io.Reader) (err error) {
		s, err = Load(r)
		return err
	})
	return s, err
}

// CheckFeatures returns an error unless names are the scorer's features in
// the same order.
func (s *Scorer) CheckFeatures(names []string) error {
	if !slices.Equal(s.Features, names) {
		return fmt.Errorf("%w: model features %v, data features %v", ErrShape, s.Features, names)
	}
	return nil
}
