package represent

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
)

// sample returns n random feature vectors of f features, with features
// of different scales and offsets, back to back.
func sample(n, f int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]float64, n*f)
	for i := range out {
		j := i % f
		out[i] = float64(j) + float64(j+1)*r.NormFloat64()
	}
	return out
}

// dist returns the distance between rows i and j of x, of width w.
func dist(x []float64, w, i, j int) float64 {
	return floats.Distance(x[i*w:(i+1)*w], x[j*w:(j+1)*w], 2)
}

// TestObserverIsARotation: without noise or nuisance an observation is the
// standardised features rotated into more coordinates, so distances
// between observations are distances between standardised features
// (computed here from the sample's own means and deviations).
func TestObserverIsARotation(t *testing.T) {
	const n, f = 300, 5
	x := sample(n, f, 1)
	o, err := NewObserver(x, f, &Settings{Width: 40, Noise: -1}, rand.NewPCG(2, 2))
	if err != nil {
		t.Fatal(err)
	}
	d := &prefs.Dataset{Features: make([]string, f), Phi: x, Gold: make([]float64, n)}
	obs, err := o.Observations(d, rand.NewPCG(3, 3))
	if err != nil {
		t.Fatal(err)
	}
	z := make([]float64, len(x))
	for j := range f {
		var m, v float64
		for i := range n {
			m += x[i*f+j] / n
		}
		for i := range n {
			v += (x[i*f+j] - m) * (x[i*f+j] - m) / (n - 1)
		}
		for i := range n {
			z[i*f+j] = (x[i*f+j] - m) / math.Sqrt(v)
		}
	}
	for _, p := range [][2]int{{0, 1}, {5, 200}, {17, 299}} {
		if got, want := dist(obs, 40, p[0], p[1]), dist(z, f, p[0], p[1]); math.Abs(got-want) > 1e-9 {
			t.Errorf("responses %v: observed distance %v, standardised %v", p, got, want)
		}
	}
	var ata mat.Dense
	ata.Mul(o.rot.T(), o.rot)
	if !mat.EqualApprox(&ata, eye(f), 1e-12) {
		t.Error("the rotation's columns are not orthonormal")
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

// TestPretrainFindsTheFeatures: noiseless observations lie in the
// features' subspace, so a pretrained projection of the features' width
// keeps every distance, and a random one of the same width does not.
// With nuisance directions that vary more than the features, the
// pretrained projection keeps the nuisance and loses the features.
func TestPretrainFindsTheFeatures(t *testing.T) {
	const n, f, w = 400, 6, 50
	x := sample(n, f, 4)
	d := &prefs.Dataset{Features: make([]string, f), Phi: x, Gold: make([]float64, n)}
	o, err := NewObserver(x, f, &Settings{Width: w, Noise: -1}, rand.NewPCG(5, 5))
	if err != nil {
		t.Fatal(err)
	}
	obs, err := o.Observations(d, rand.NewPCG(6, 6))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := Pretrain(obs, w, f)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := Random(w, f, rand.NewPCG(7, 7))
	if err != nil {
		t.Fatal(err)
	}
	hp, hr := pt.Map(obs), rp.Map(obs)
	if pt.Width() != f || rp.Width() != f || len(hp) != n*f {
		t.Fatalf("widths %d and %d, %d values; want %d and %d values", pt.Width(), rp.Width(), len(hp), f, n*f)
	}
	worst := 1.0
	for i := 1; i < n; i++ {
		if got, want := dist(hp, f, 0, i), dist(obs, w, 0, i); math.Abs(got-want) > 1e-9 {
			t.Fatalf("pretrained: distance %v, observed %v", got, want)
		}
		worst = math.Min(worst, dist(hr, f, 0, i)/dist(obs, w, 0, i))
	}
	if worst > 0.9 {
		t.Errorf("a random projection kept at least %.2f of every distance; want it to lose some", worst)
	}
	// Twelve nuisance directions at scale 10 outvary the six features.
	o, _ = NewObserver(x, f, &Settings{Width: w, Noise: -1, Nuisance: 12, NuisanceScale: 10}, rand.NewPCG(5, 5))
	obs, _ = o.Observations(d, rand.NewPCG(6, 6))
	pt, _ = Pretrain(obs, w, f)
	var feat mat.Dense
	feat.Mul(pt.w, o.rot.Slice(0, w, 0, f)) // how much of each feature direction the projection keeps
	if kept := mat.Norm(&feat, 2); kept > 0.3 {
		t.Errorf("with louder nuisance the pretrained projection keeps %.2f of a feature direction; want little", kept)
	}
}

// TestApply: a dataset read through a representation keeps its rankings,
// pairs and gold, with new features, and leaves the original alone.
func TestApply(t *testing.T) {
	d := &prefs.Dataset{Features: []string{"a", "b"}, Phi: []float64{1, 2, 3, 4}, Gold: []float64{0.5, -0.5},
		Pairs: []prefs.Pair{{W: 0, L: 1}}}
	got, err := Apply(d, []float64{7, 8, 9, 10, 11, 12}, 3, "h")
	if err != nil {
		t.Fatal(err)
	}
	if got.D() != 3 || got.Features[2] != "h2" || got.Response(1)[0] != 10 || &got.Gold[0] != &d.Gold[0] || got.Pairs[0] != d.Pairs[0] {
		t.Errorf("got %+v", got)
	}
	if d.D() != 2 || d.Phi[0] != 1 {
		t.Error("Apply changed its input")
	}
	if _, err := Apply(d, []float64{1, 2, 3}, 2, "h"); !errors.Is(err, ErrShape) {
		t.Errorf("3 values for 2 responses of width 2: got %v, want ErrShape", err)
	}
}

// TestBadShapes: sizes that cannot work are errors, not panics.
func TestBadShapes(t *testing.T) {
	x := sample(10, 3, 1)
	for name, err := range map[string]error{
		"no sample":       second(NewObserver(nil, 3, nil, rand.NewPCG(1, 1))),
		"ragged sample":   second(NewObserver(x[:29], 3, nil, rand.NewPCG(1, 1))),
		"too narrow":      second(NewObserver(x, 3, &Settings{Width: 4, Nuisance: 2}, rand.NewPCG(1, 1))),
		"nan noise":       second(NewObserver(x, 3, &Settings{Noise: math.NaN()}, rand.NewPCG(1, 1))),
		"wide pretrain":   second(Pretrain(x, 3, 4)),
		"ragged obs":      second(Pretrain(x[:29], 3, 2)),
		"wide random":     second(Random(3, 4, rand.NewPCG(1, 1))),
		"zero width":      second(Random(3, 0, rand.NewPCG(1, 1))),
		"negative width":  second(Pretrain(x, -3, 1)),
		"few to pretrain": second(Pretrain(x[:9], 3, 3)),
		"huge nuisance":   second(NewObserver(x, 3, &Settings{Nuisance: 1, NuisanceScale: 1e308}, rand.NewPCG(1, 1))),
		"nan sample":      second(NewObserver(append([]float64{math.NaN()}, x[1:]...), 3, nil, rand.NewPCG(1, 1))),
		"huge random":     second(Random(1<<20, 3, rand.NewPCG(1, 1))),
		"wrong dataset":   second((&Observer{f: 2}).Observations(&prefs.Dataset{Features: []string{"a"}}, rand.NewPCG(1, 1))),
	} {
		if !errors.Is(err, ErrShape) {
			t.Errorf("%s: got %v, want ErrShape", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }
