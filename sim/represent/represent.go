package represent

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/rng"
)

// ErrShape is wrapped by errors for sizes that cannot work together.
var ErrShape = errors.New("represent: bad shape")

// Settings configure NewObserver. The zero value observes responses in
// 256 coordinates with noise 0.5 and no nuisance.
type Settings struct {
	// Width is the number of coordinates of an observation; zero means
	// 256. It must be at least the number of features plus Nuisance.
	Width int
	// Noise is the standard deviation of each coordinate's own noise;
	// zero means 0.5, negative means none.
	Noise float64
	// Nuisance is the number of extra directions in which observations
	// vary with no bearing on any feature (as the topic or style of a
	// text varies), each with standard deviation NuisanceScale.
	Nuisance      int
	NuisanceScale float64 // zero means 2
}

func (s *Settings) resolve() Settings {
	r := Settings{Width: 256, Noise: 0.5, NuisanceScale: 2}
	if s != nil {
		if s.Width != 0 {
			r.Width = s.Width
		}
		switch {
		case s.Noise < 0:
			r.Noise = 0
		case s.Noise > 0:
			r.Noise = s.Noise
		}
		r.Nuisance = s.Nuisance
		if s.NuisanceScale != 0 {
			r.NuisanceScale = s.NuisanceScale
		}
	}
	return r
}

// maxScale bounds the noise and nuisance scales, far above any use, so
// that observations stay finite.
const maxScale = 1e6

// Observer renders feature vectors as raw observations.
type Observer struct {
	set      Settings
	f        int
	mean, sd []float64
	rot      *mat.Dense // Width x (f + Nuisance), orthonormal columns
}

// NewObserver makes an observer for responses with f features, given a
// sample of their feature vectors back to back (to standardise each
// feature), drawing its rotation from src.
func NewObserver(sample []float64, f int, s *Settings, src rand.Source) (*Observer, error) {
	if s != nil && (!(math.Abs(s.Noise) <= maxScale) || !(s.NuisanceScale >= 0 && s.NuisanceScale <= maxScale)) {
		return nil, fmt.Errorf("%w: noise %v and nuisance scale %v: want finite numbers of at most %g, the scale not negative", ErrShape, s.Noise, s.NuisanceScale, maxScale)
	}
	for _, v := range sample {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: the sample holds %v", ErrShape, v)
		}
	}
	set := s.resolve()
	if f < 1 || len(sample) < 2*f || len(sample)%f != 0 {
		return nil, fmt.Errorf("%w: a sample of at least two vectors of %d features, got %d values", ErrShape, f, len(sample))
	}
	if set.Nuisance < 0 || set.Width < f+set.Nuisance || set.Width > maxWidth {
		return nil, fmt.Errorf("%w: width %d for %d features and %d nuisance directions, noise %v, nuisance scale %v",
			ErrShape, set.Width, f, set.Nuisance, set.Noise, set.NuisanceScale)
	}
	o := &Observer{set: set, f: f, mean: make([]float64, f), sd: make([]float64, f)}
	n := len(sample) / f
	col := make([]float64, n)
	for j := range f {
		for i := range n {
			col[i] = sample[i*f+j]
		}
		o.mean[j], o.sd[j] = stat.MeanStdDev(col, nil)
		if !(o.sd[j] > 0) {
			o.sd[j] = 1 // a constant feature carries nothing either way
		}
	}
	o.rot = orthonormal(set.Width, f+set.Nuisance, rng.Of(src))
	return o, nil
}

// maxWidth bounds an observation's coordinates.
const maxWidth = 1 << 14

// orthonormal returns a rows x cols matrix with orthonormal columns,
// uniformly distributed: the orthogonal polar factor U V^T of a Gaussian
// matrix, from its thin singular value decomposition (the full QR's Q
// would take rows x rows memory).
func orthonormal(rows, cols int, r *rand.Rand) *mat.Dense {
	g := mat.NewDense(rows, cols, nil)
	for i := range rows {
		for j := range cols {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var svd mat.SVD
	if !svd.Factorize(g, mat.SVDThin) {
		panic("represent: the singular value decomposition of a Gaussian matrix failed")
	}
	var u, v, q mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	q.Mul(&u, v.T())
	return &q
}

// Width returns the number of coordinates of an observation.
func (o *Observer) Width() int { return o.set.Width }

// Observe writes the observation of feature vector phi into dst (of
// length Width), drawing its noise and nuisance from r. It panics if
// the lengths are wrong.
func (o *Observer) Observe(dst, phi []float64, r *rand.Rand) {
	if len(dst) != o.set.Width || len(phi) != o.f {
		panic(fmt.Sprintf("represent: Observe into %d coordinates of %d features, want %d and %d", len(dst), len(phi), o.set.Width, o.f))
	}
	o.observe(dst, phi, make([]float64, o.f+o.set.Nuisance), r)
}

// observe is Observe with z, of length features plus nuisance, as
// scratch.
func (o *Observer) observe(dst, phi, z []float64, r *rand.Rand) {
	for j := range o.f {
		z[j] = (phi[j] - o.mean[j]) / o.sd[j]
	}
	for j := o.f; j < len(z); j++ {
		z[j] = o.set.NuisanceScale * r.NormFloat64()
	}
	mat.NewVecDense(len(dst), dst).MulVec(o.rot, mat.NewVecDense(len(z), z))
	for i := range dst {
		dst[i] += o.set.Noise * r.NormFloat64()
	}
}

// Observations returns the observation of every response of d, back to
// back, drawing noise from src: the raw data a representation is
// pretrained on or applied to. d must have the observer's features.
func (o *Observer) Observations(d *prefs.Dataset, src rand.Source) ([]float64, error) {
	if d.D() != o.f {
		return nil, fmt.Errorf("%w: a dataset of %d features, the observer's have %d", ErrShape, d.D(), o.f)
	}
	r := rng.Of(src)
	n, w := d.NumResponses(), o.Width()
	out := make([]float64, n*w)
	z := make([]float64, o.f+o.set.Nuisance)
	for i := range n {
		o.observe(out[i*w:(i+1)*w], d.Response(i), z, r)
	}
	return out, nil
}

// Projection maps an observation to a narrower representation by a
// fixed linear map.
type Projection struct {
	w *mat.Dense // k x Width
}

// Width returns the width of the representation.
func (p *Projection) Width() int { r, _ := p.w.Dims(); return r }

// Pretrain learns a projection of width k from unlabelled observations
// of the given width, back to back: their first k principal directions.
// It needs more observations than k: n centred observations span at
// most n - 1 directions.
func Pretrain(obs []float64, width, k int) (*Projection, error) {
	if width < 1 || len(obs)%width != 0 || len(obs)/width <= k || k < 1 || k > width {
		return nil, fmt.Errorf("%w: %d values of width %d, representation width %d", ErrShape, len(obs), width, k)
	}
	var pc stat.PC
	if !pc.PrincipalComponents(mat.NewDense(len(obs)/width, width, obs), nil) {
		return nil, fmt.Errorf("represent: the principal components did not converge")
	}
	var v mat.Dense
	pc.VectorsTo(&v)
	return &Projection{w: mat.DenseCopyOf(v.Slice(0, width, 0, k).T())}, nil
}

// Random returns a projection from width coordinates to k with no
// learning: k orthonormal directions drawn uniformly from src.
func Random(width, k int, src rand.Source) (*Projection, error) {
	if k < 1 || k > width || width > maxWidth {
		return nil, fmt.Errorf("%w: a random projection from %d to %d coordinates", ErrShape, width, k)
	}
	return &Projection{w: mat.DenseCopyOf(orthonormal(width, k, rng.Of(src)).T())}, nil
}

// Map returns the representation of every observation, back to back.
// It panics unless obs holds whole observations of the projection's
// input width.
func (p *Projection) Map(obs []float64) []float64 {
	k, w := p.w.Dims()
	n := len(obs) / w
	if n == 0 || len(obs)%w != 0 {
		panic(fmt.Sprintf("represent: Map of %d values, want whole observations of %d coordinates", len(obs), w))
	}
	var out mat.Dense
	out.Mul(mat.NewDense(n, w, obs), p.w.T())
	return append([]float64(nil), out.RawMatrix().Data[:n*k]...)
}

// Apply returns d with each response's features replaced by its row of
// x (rows of width w, one per response, in order) and named prefix0,
// prefix1, ...: the same rankings, pairs, gold rewards and annotators,
// read through another representation. d is not changed.
func Apply(d *prefs.Dataset, x []float64, w int, prefix string) (*prefs.Dataset, error) {
	if w < 1 || len(x) != w*d.NumResponses() {
		return nil, fmt.Errorf("%w: %d values for %d responses of width %d", ErrShape, len(x), d.NumResponses(), w)
	}
	out := *d
	out.Phi = x
	out.Features = make([]string, w)
	for i := range w {
		out.Features[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return &out, nil
}
