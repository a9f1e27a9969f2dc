package stats

import (
	"errors"
	"fmt"
	"math"

	"github.com/rlhfsim/rlhfsim/internal/enum"
)

// GaoForm names one of Gao, Schulman and Hilton's (2022) functional forms
// for the gold reward gained over the starting policy, against
// d = sqrt(KL).
type GaoForm string

// The two forms.
const (
	// GaoBoN is best-of-n's form, d (alpha - beta d).
	GaoBoN GaoForm = "bon"
	// GaoRL is reinforcement learning's form, d (alpha - beta log d).
	GaoRL GaoForm = "rl"
)

// GaoFit is a least-squares fit of a Gao form: Alpha is the initial slope
// of gold against d, Beta how fast the gain turns; R2 is the share of the
// gain's variance the fit explains.
type GaoFit struct {
	Form        GaoForm
	Alpha, Beta float64
	R2          float64
}

// ErrFit is wrapped by the error for points that cannot determine a fit.
var ErrFit = errors.New("stats: the points cannot determine the fit")

// terms returns the two basis functions of the form at d.
func (f GaoForm) terms(d float64) (float64, float64) {
	if f == GaoRL {
		if d <= 0 {
			return 0, 0 // d log d -> 0 at d = 0
		}
		return d, -d * math.Log(d)
	}
	return d, -d * d
}

// At is the fitted gain at d.
func (f GaoFit) At(d float64) float64 {
	u, v := f.Form.terms(d)
	return f.Alpha*u + f.Beta*v
}

// String writes the fitted law, e.g. "d (1.30 - 0.25 d)".
func (f GaoFit) String() string {
	if f.Form == GaoRL {
		return fmt.Sprintf("d (%.2f - %.2f log d)", f.Alpha, f.Beta)
	}
	return fmt.Sprintf("d (%.2f - %.2f d)", f.Alpha, f.Beta)
}

// FitGao fits form to a run: its KL to the starting policy and its gold
// reward at each point, the first point being the start. It fits the gain
// gold - gold[0] against d = sqrt(KL) by least squares.
func FitGao(form GaoForm, kl, gold []float64) (GaoFit, error) {
	if err := enum.Check("Gao form", form, GaoBoN, GaoRL); err != nil {
		return GaoFit{}, err
	}
	if len(kl) != len(gold) {
		panic("stats: length mismatch")
	}
	if len(kl) < 3 {
		return GaoFit{}, fmt.Errorf("%w: %d points, want at least 3", ErrFit, len(kl))
	}
	d := make([]float64, len(kl))
	gain := make([]float64, len(kl))
	for i := range kl {
		if math.IsNaN(kl[i]) || math.IsNaN(gold[i]) {
			return GaoFit{}, fmt.Errorf("%w: a point is NaN", ErrFit)
		}
		d[i], gain[i] = math.Sqrt(math.Max(kl[i], 0)), gold[i]-gold[0]
	}
	a, b, ok := fit2(d, gain, form.terms)
	if !ok {
		return GaoFit{}, ErrFit
	}
	f := GaoFit{Form: form, Alpha: a, Beta: b}
	mean := 0.0
	for _, g := range gain {
		mean += g / float64(len(gain))
	}
	var ssr, sst float64
	for i := range d {
		r := gain[i] - f.At(d[i])
		ssr += r * r
		sst += (gain[i] - mean) * (gain[i] - mean)
	}
	f.R2 = 1 - ssr/sst
	if sst == 0 {
		f.R2 = math.NaN()
	}
	return f, nil
}
