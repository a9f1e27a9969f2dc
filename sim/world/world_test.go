package world

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func TestSampleMomentsMatchCovariance(t *testing.T) {
	w := Default()
	rng := rand.New(rand.NewPCG(1, 2))
	p := Prompt{Category: Advice}
	const n = 40000
	cols := make([][]float64, NumFeatures)
	phi := make([]float64, NumFeatures)
	for i := 0; i < n; i++ {
		w.Sample(p, phi, rng)
		for j, x := range phi {
			cols[j] = append(cols[j], x)
		}
	}
	mean := w.Mean(p, nil)
	cov := w.Cov()
	for i := 0; i < NumFeatures; i++ {
		// Standard error of a sample mean is sd/sqrt(n); allow 4 of them.
		sd := math.Sqrt(cov.At(i, i))
		if got := stat.Mean(cols[i], nil); math.Abs(got-mean[i]) > 4*sd/math.Sqrt(n) {
			t.Errorf("mean of %s = %.4f, want %.4f", featureNames[i], got, mean[i])
		}
		for j := 0; j <= i; j++ {
			// The sample covariance of n Gaussian draws has standard error
			// below sqrt((s_ii s_jj + s_ij^2)/n); allow 5 of them.
			se := math.Sqrt((cov.At(i, i)*cov.At(j, j) + cov.At(i, j)*cov.At(i, j)) / n)
			if got := stat.Covariance(cols[i], cols[j], nil); math.Abs(got-cov.At(i, j)) > 5*se {
				t.Errorf("cov(%s, %s) = %.4f, want %.4f", featureNames[i], featureNames[j], got, cov.At(i, j))
			}
		}
	}
	// The confounder: longer answers are more helpful on average.
	if r := stat.Correlation(cols[Length], cols[Helpfulness], nil); r < 0.3 {
		t.Errorf("corr(length, helpfulness) = %.3f, want about 0.4", r)
	}
}

func TestGoldClosedForm(t *testing.T) {
	p := Prompt{Category: Factual}
	ideal := math.Log(60)
	phi := make([]float64, NumFeatures)
	copy(phi, []float64{1, 2, 0, -1, ideal + 0.5, 1, 2})
	phi[Cue0] = 3 // a cue: no weight, but 1 standard deviation past the threshold of 2
	// By hand: 1*1 + 1*2 + 0.5*0 + 0.7*(-1) + 0 - 0.4*1 - 0.2*2 = 1.5; cues
	// weigh nothing.
	lin := LinearGold()(p, phi)
	if math.Abs(lin-1.5) > 1e-12 {
		t.Errorf("linear gold = %v, want 1.5", lin)
	}
	// The default saturates quality at 1.5 tanh(x/1.5), subtracts
	// 1.5 * 0.5^2 = 0.375 for the length and 1 per standard deviation past 2
	// (the cue at 3 and the length at 0.5/0.5 = 1 is not past it).
	s := func(x float64) float64 { return 1.5 * math.Tanh(x/1.5) }
	want := s(1) + s(2) + 0.5*s(0) + 0.7*s(-1) - 0.4 - 0.4 - 0.375 - 1
	if got := DefaultGold()(p, phi); math.Abs(got-want) > 1e-12 {
		t.Errorf("default gold = %v, want %v", got, want)
	}
	// The default gold is concave in length with its peak at the ideal.
	g := DefaultGoldSpec()
	at := func(l float64) float64 { phi[Length] = l; return g.Reward(p, phi) }
	if !(at(ideal) > at(ideal+0.3) && at(ideal) > at(ideal-0.3)) {
		t.Error("default gold does not peak at the ideal length")
	}
	// Far out, more helpfulness buys little, and then costs.
	phi[Length] = ideal
	h := func(x float64) float64 { phi[Helpfulness] = x; return g.Reward(p, phi) }
	if !(h(1)-h(0) > 0.8 && h(3)-h(2) < 0.3 && h(5) < h(3)) {
		t.Errorf("helpfulness 0, 1, 2, 3, 5 gives gold %.2f %.2f %.2f %.2f %.2f: want diminishing returns, then incoherence", h(0), h(1), h(2), h(3), h(5))
	}
}

func TestNewRejectsBadCovariance(t *testing.T) {
	bad := DefaultCovariance(0)
	bad.SetSym(0, 1, 5) // |corr| > 1: not positive definite
	if _, err := New(&Settings{Cov: bad}); err != ErrCovariance {
		t.Errorf("New with indefinite covariance: err = %v, want ErrCovariance", err)
	}
}

func TestParseCategory(t *testing.T) {
	for c := Category(0); c < NumCategories; c++ {
		got, err := ParseCategory(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseCategory("poetry"); err == nil {
		t.Error("ParseCategory(poetry) succeeded")
	}
}

func TestTextFollowsFeatures(t *testing.T) {
	p := Prompt{ID: 3, Category: Coding, Topic: 1}
	base := make([]float64, NumFeatures)
	base[Length] = math.Log(50)
	short := Text(p, base)
	if short != Text(p, base) {
		t.Fatal("Text is not deterministic")
	}
	long := append([]float64(nil), base...)
	long[Length] = math.Log(400)
	if len(Text(p, long)) <= len(short) {
		t.Error("a longer response does not render longer")
	}
	if !strings.Contains(Text(p, long), "400 tokens in all") {
		t.Errorf("long text lacks its token count: %q", Text(p, long))
	}
	flat := append([]float64(nil), base...)
	flat[Flattery] = 2
	if got := Text(p, flat); !strings.HasPrefix(got, strings.SplitN(got, "!", 2)[0]) || !strings.Contains(got, "!") {
		t.Errorf("flattery does not open the text: %q", got)
	}
	wrongPhi := append([]float64(nil), base...)
	wrongPhi[Correctness] = -2
	if !strings.Contains(Text(p, wrongPhi), "1850") {
		t.Error("low correctness does not add a false claim")
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want int
	}{{math.Log(120), 120}, {-5, 1}, {math.NaN(), 1}, {100, 1e6}} {
		if got := Tokens(c.in); got != c.want {
			t.Errorf("Tokens(%v) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestGoldGradientMatchesFiniteDifferences checks Gradient against central
// differences at points inside and beyond the incoherence threshold.
func TestGoldGradientMatchesFiniteDifferences(t *testing.T) {
	g := DefaultGoldSpec()
	p := Prompt{Category: Advice}
	for _, phi := range [][]float64{
		append([]float64{0.3, -0.5, 1.2, 0.1, p.Category.IdealLength() - 0.15, 0.2, -0.4}, make([]float64, NumCues)...),
		append([]float64{2.7, -0.5, 1.2, 0.1, p.Category.IdealLength() + 1.3, 2.5, -0.4}, make([]float64, NumCues)...),
	} {
		phi[Cue0+3] = -2.6
		grad := g.Gradient(p, phi, nil)
		for i := range phi {
			const h = 1e-6
			x := phi[i]
			phi[i] = x + h
			up := g.Reward(p, phi)
			phi[i] = x - h
			down := g.Reward(p, phi)
			phi[i] = x
			if fd := (up - down) / (2 * h); math.Abs(fd-grad[i]) > 1e-5 {
				t.Errorf("feature %s: gradient %v, finite difference %v", featureNames[i], grad[i], fd)
			}
		}
	}
	// At the base policy's typical answer the length slope is 2 * 1.5 * 0.15.
	mu := Default().Mean(p, nil)
	if s := g.Gradient(p, mu, nil)[Length]; math.Abs(s-0.45) > 1e-12 {
		t.Errorf("length slope at the base mean %v, want 0.45", s)
	}
}

func TestCategoryText(t *testing.T) {
	for c := Category(0); c < NumCategories; c++ {
		b, err := c.MarshalText()
		if err != nil || string(b) != c.String() {
			t.Fatalf("%v: %q %v", c, b, err)
		}
		var back Category
		if err := back.UnmarshalText(b); err != nil || back != c {
			t.Fatalf("%q read back as %v, %v", b, back, err)
		}
	}
	if _, err := Category(9).MarshalText(); err == nil {
		t.Error("category 9 marshalled")
	}
	var c Category
	if err := c.UnmarshalText([]byte("poetry")); err == nil {
		t.Error(`"poetry" read as a category`)
	}
}

// TestGoldTerms evaluates each term of the default gold reward by hand at
// one answer: helpfulness 3 (saturated: 1.5 tanh(2)), filler 1 (weight
// -0.4), length 0.5 log tokens above the ideal (curvature 1.5), and cue 1
// at 2.5 standard deviations (0.5 beyond the threshold of 2, plus
// helpfulness's 1 beyond it).
func TestGoldTerms(t *testing.T) {
	g := DefaultGoldSpec()
	p := Prompt{Category: Coding}
	phi := make([]float64, NumFeatures)
	phi[Helpfulness], phi[Filler], phi[Cue0] = 3, 1, 2.5
	phi[Length] = p.Category.IdealLength() + 0.5
	want := [NumGoldTerms]float64{
		TermQuality:     1.5 * math.Tanh(2),
		TermStyle:       -0.4,
		TermLength:      -1.5 * 0.25,
		TermIncoherence: -(1 + 0.5),
	}
	sum := 0.0
	for k, w := range want {
		got := g.Term(GoldTerm(k), p, phi)
		if math.Abs(got-w) > 1e-12 {
			t.Errorf("%v: %v, want %v", GoldTerm(k), got, w)
		}
		if f := g.TermFunc(GoldTerm(k)); f(p, phi) != got {
			t.Errorf("%v: TermFunc differs", GoldTerm(k))
		}
		sum += got
	}
	if r := g.Reward(p, phi); math.Abs(r-sum) > 1e-12 {
		t.Errorf("reward %v, terms sum to %v", r, sum)
	}
}

// TestRewardIsTheSumOfTerms: Reward's single pass gives exactly (bit for
// bit, zeros' signs included) the sum of the four Terms in GoldTerm order,
// for the standard, linear and student golds, at random answers of every
// category and at the all-zero answer.
func TestRewardIsTheSumOfTerms(t *testing.T) {
	a, err := Student("ada", "4e3cf135a77f6953")
	if err != nil {
		t.Fatal(err)
	}
	golds := []Gold{DefaultGoldSpec(), LinearGoldSpec(), a.DefaultGold(), a.LinearGold()}
	r := rand.New(rand.NewPCG(3, 4))
	phi := make([]float64, NumFeatures)
	for n := 0; n < 2000; n++ {
		for i := range phi {
			phi[i] = 0
			if n > 0 {
				phi[i] = 3 * r.NormFloat64()
			}
		}
		p := Prompt{Category: Category(n % int(NumCategories))}
		for _, g := range golds {
			sum := 0.0
			for k := GoldTerm(0); k < NumGoldTerms; k++ {
				sum += g.Term(k, p, phi)
			}
			if got := g.Reward(p, phi); math.Float64bits(got) != math.Float64bits(sum) {
				t.Fatalf("%v at %v: Reward %v, terms sum to %v", g.Name, phi, got, sum)
			}
		}
	}
}

// TestStudentVariants: a code is HMAC-SHA256 of the normal name, its
// variant is stable, stays inside the documented ranges and differs
// between codes, a name without a code is the standard world, and the
// variant feeds the default gold reward only while in use.
func TestStudentVariants(t *testing.T) {
	secret := []byte("course secret")
	code, err := Code(secret, "  Ada Lovelace ")
	// From Python: hmac.new(b"course secret",
	// b"rlhfsim/student/ada lovelace", hashlib.sha256).hexdigest()[:16].
	if err != nil || code != "4e3cf135a77f6953" {
		t.Fatalf("Code = %q, %v", code, err)
	}
	a, err := Student("Ada Lovelace", code)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Student("ada lovelace", strings.ToUpper(code))
	other, _ := Code(secret, "alan")
	c, _ := Student("alan", other)
	if a.W != b.W || a.Tau != b.Tau || a.W == c.W {
		t.Errorf("variants: %v %v %v", a, b, c)
	}
	if s, _ := Code([]byte("another secret"), "ada lovelace"); s == code {
		t.Error("the code does not depend on the secret")
	}
	// From Python: hmac.new(b"rlhfsim/public: a course without a secret",
	// b"rlhfsim/student/ada lovelace", hashlib.sha256).hexdigest()[:16].
	if p, err := PublicCode(" Ada Lovelace"); err != nil || p != "3bf4014fad9ba7ce" {
		t.Errorf("PublicCode = %q, %v", p, err)
	}
	for i, r := range variantRanges {
		if a.W[i] < r[0] || a.W[i] > r[1] {
			t.Errorf("%s weight %v outside %v", featureNames[i], a.W[i], r)
		}
	}
	if a.Tau < tauRange[0] || a.Tau > tauRange[1] {
		t.Errorf("tau %v", a.Tau)
	}
	if n, err := Student("Ada", ""); err != nil || n.Code != "" || n.W != (Variant{}).W {
		t.Errorf("a name without a code: %+v, %v", n, err)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", MaxStudentName+1), "\xff"} {
		if _, err := Student(bad, code); !errors.Is(err, ErrStudent) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// A name typed composed or decomposed is one name; invisible and
	// control characters are refused.
	if a, _ := Code(secret, "Jos\u00e9"); a != mustCode(t, secret, "Jose\u0301") {
		t.Error("NFC and NFD spellings of a name have different codes")
	}
	for _, bad := range []string{"Ada\u200b", "Ada\x1b[2J", "Ada\nLovelace", "\u202eadA"} {
		if _, err := Student(bad, ""); !errors.Is(err, ErrStudent) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, bad := range []string{"123", code + "0", "zz" + code[2:]} {
		if _, err := Student("ada", bad); !errors.Is(err, ErrStudent) {
			t.Errorf("code %q: %v", bad, err)
		}
	}
	std := DefaultGoldSpec()
	if g := a.DefaultGold(); g.W[Helpfulness] != a.W[Helpfulness] || g.W[Cue0] != 0 || a.LinearGold().W[Filler] != a.W[Filler] {
		t.Errorf("the variant's weights are not in its gold: %v", g.W)
	}
	if g, _ := a.GoldByName(GoldCoherent); g.W != a.DefaultGold().W || g.Incoherence != 0 {
		t.Errorf("the variant's coherent gold: %+v", g)
	}
	if DefaultGoldSpec().W != std.W || (Variant{}).DefaultGold().W != std.W {
		t.Error("a variant changed the standard world")
	}
	// A world with no gold given has its variant's default gold.
	wa, err := New(&Settings{Variant: a})
	if err != nil {
		t.Fatal(err)
	}
	var phi [NumFeatures]float64
	phi[Helpfulness] = 1
	p := Prompt{Category: Advice}
	if got, want := wa.Gold(p, phi[:]), a.DefaultGold().Func()(p, phi[:]); got != want {
		t.Errorf("the variant's world scores %v, its gold %v", got, want)
	}
}

func mustCode(t *testing.T, secret []byte, name string) string {
	t.Helper()
	c, err := Code(secret, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestExcessIsMax: excess is math.Max(0, v) bit for bit, including the
// signed zeros, the infinities and NaN.
func TestExcessIsMax(t *testing.T) {
	for _, v := range []float64{-1, math.Copysign(0, -1), 0, 0.5, 3e300, math.Inf(1), math.Inf(-1), math.NaN()} {
		got, want := excess(v), math.Max(0, v)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("excess(%v) = %v, math.Max(0, %v) = %v", v, got, v, want)
		}
	}
}
