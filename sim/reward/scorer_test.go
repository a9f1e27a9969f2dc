package reward

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestScorerRoundTrip(t *testing.T) {
	names := world.FeatureNames()
	mlp := mustMLP(world.NumFeatures, []int{5, 3}, Softplus, rand.NewPCG(1, 1))
	mlp.InMean[4] = 4.7
	for _, m := range []Model{NewLinear(world.NumFeatures), NewAffine(world.NumFeatures), mlp} {
		randomize(m, 4, 0.3)
		s := NewScorer(m, names, Objective{L2: 0.01, Center: 0.01})
		s.Offset = 0.25
		path := filepath.Join(t.TempDir(), "m.json")
		if err := s.Save(path); err != nil {
			t.Fatal(err)
		}
		r, err := LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		phi := make([]float64, world.NumFeatures)
		copy(phi, []float64{0.3, -1, 2, 0, 5, 1, -0.5, 0.7})
		if a, b := s.Score(phi), r.Score(phi); a != b || r.Model.Kind() != m.Kind() || r.Objective != s.Objective {
			t.Errorf("%s: score %v after loading, %v before", m.Kind(), b, a)
		}
	}
}

func TestNormalize(t *testing.T) {
	m := NewLinear(2)
	copy(m.Params(), []float64{1, 2})
	s := NewScorer(m, []string{"a", "b"}, Objective{})
	refs := []float64{1, 0, 0, 1, 2, 2} // raw scores 1, 2, 6: mean 3
	s.Normalize(refs)
	if s.Offset != 3 {
		t.Errorf("offset %v, want 3", s.Offset)
	}
	got := s.ScoreBatch(refs, nil)
	if got[0] != -2 || got[1] != -1 || got[2] != 3 {
		t.Errorf("normalised scores %v, want [-2 -1 3]", got)
	}
}

func TestLoadErrors(t *testing.T) {
	good, _ := json.Marshal(NewScorer(NewLinear(2), []string{"a", "b"}, Objective{}))
	for _, c := range []struct{ name, old, new, want string }{
		{"kind", `"kind":"linear"`, `"kind":"forest"`, `kind "forest": want linear, affine or mlp`},
		{"params", `"params":[`, `"params":[1,`, "needs 2 parameters, has 3"},
		{"names", `"b"`, `"a"`, "repeated"},
		{"format", `rlhfsim-reward-model/1`, `other/2`, "format"},
		{"unknown field", `"offset"`, `"bias":1,"offset"`, "unknown field"},
		{"objective", `"loss":"bt"`, `"loss":"hinge"`, "loss"},
	} {
		b := strings.Replace(string(good), c.old, c.new, 1)
		if b == string(good) {
			t.Fatalf("%s: replacement did not apply", c.name)
		}
		_, err := Load(strings.NewReader(b))
		if err == nil || !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrModelFile containing %q", c.name, err, c.want)
		}
	}
	s, _ := Load(bytes.NewReader(good))
	if err := s.CheckFeatures([]string{"a", "c"}); !errors.Is(err, ErrShape) {
		t.Errorf("CheckFeatures mismatch: %v", err)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("missing file loaded")
	}
}

// TestShapeIsCheckedBeforeDecoding: a model file whose parameter array is
// far longer than its declared shape is refused by counting the array,
// before any of it is decoded into memory (a 400 MB file used to reach
// 7.4 GB before an error).
func TestShapeIsCheckedBeforeDecoding(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"format":"rlhfsim-reward-model/1","kind":"linear","features":["a","b"],"params":[`)
	for i := 0; i < 1_000_000; i++ {
		b.WriteString("0,")
	}
	b.WriteString(`0],"objective":{},"objective_minimised":"","offset":0}`)
	_, err := Load(strings.NewReader(b.String()))
	if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "linear model on 2 features needs 2 parameters, has 1000001") {
		t.Errorf("got %v", err)
	}
	for name, src := range map[string]string{
		"nested params": `{"kind":"linear","features":["a"],"params":[[1]]}`,
		"hidden bomb":   `{"kind":"mlp","features":["a"],"hidden":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"params":[]}`,
	} {
		if _, err := Load(strings.NewReader(src)); !errors.Is(err, ErrModelFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCalibrationBins: predictions 0.05, 0.15 and 0.12 land in the first
// two of ten bins; the second bin averages 0.15 and 0.12 (0.135) and
// their outcomes 1 and 0 (0.5). The gap is (|0.05-0| + 2|0.135-0.5|)/3,
// by hand.
func TestCalibrationBins(t *testing.T) {
	bins := Calibration([]float64{0.05, 0.15, 0.12}, []float64{0, 1, 0}, 10)
	if len(bins) != 10 || bins[0].Count != 1 || bins[1].Count != 2 || bins[9].Hi != 1 {
		t.Fatalf("bins %+v", bins[:2])
	}
	if math.Abs(bins[1].Predicted-0.135) > 1e-12 || bins[1].Observed != 0.5 {
		t.Errorf("second bin %+v, want predicted 0.135 and observed 0.5", bins[1])
	}
	if got, want := CalibrationGap(bins), (0.05+2*0.365)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("gap %v, want %v", got, want)
	}
}
