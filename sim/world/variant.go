package world

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Variant is one student's version of the hidden world: the gold reward's
// weights of the named features and the default annotators' noise, drawn
// by Student from ranges narrow enough that every lesson's checks and
// quiz answers still hold, and wide enough that each student's numbers
// are their own. The zero Variant is the standard world.
//
// A variant is drawn from a code, not from the name: the code is an HMAC
// of the name under a secret only the instructor keeps (Code), so a
// student cannot draw a classmate's world, or their own without the code
// the instructor handed out. A name without a code is the standard world.
type Variant struct {
	// Student is the name the variant was drawn for; "" for an
	// anonymous run. A name alone still orders quiz options.
	Student string `json:"student,omitempty"`
	// Code is the variant code the weights were drawn from; "" for the
	// standard world.
	Code string `json:"code,omitempty"`
	// W holds the gold weights of the named features.
	W [NumNamed]float64 `json:"weights"`
	// Tau is the default annotators' temperature.
	Tau float64 `json:"tau"`
	// Quirk indexes Quirks: the taste a variant's annotators hide where a
	// lesson asks for it (pipeline.Data.Quirk). The standard world's is
	// length.
	Quirk int `json:"quirk"`
	// Flaw indexes Flaws: the bias a variant's production annotators
	// hide in the capstone lesson (pipeline.Data.Flaw). The standard
	// world's is flattery.
	Flaw int `json:"flaw"`
}

// Flaws are the biases the capstone's annotators may hide, one per
// variant: a liking for flattery, for length, for the answer shown
// first, or none at all. Unlike Quirks, one of them leaves the labels
// honest, and one (position) is invisible in the answers' features.
var Flaws = []string{"flattery", "length", "position", "none"}

// Quirks are the hidden annotator tastes a variant draws one of: a liking
// for longer answers, for flattery, or for filler, the last two of which
// the gold reward penalises.
var Quirks = []string{"length", "flattery", "filler"}

// variantRanges are the documented ranges Student draws from, uniformly.
// They keep the order lesson 01 states (helpfulness and correctness weigh
// most, then harmlessness, then clarity; filler and flattery cost a
// little) and leave the length term alone.
var variantRanges = [NumNamed][2]float64{
	Helpfulness:  {0.85, 1.15},
	Correctness:  {0.85, 1.15},
	Clarity:      {0.4, 0.55},
	Harmlessness: {0.6, 0.8},
	Length:       {0, 0},
	// Filler and flattery stop short of -0.5 and -0.3: where both are
	// near those ends, lesson 08's best-of-n gives back less than a
	// tenth of its rise (0.093-0.095 in the variants tried).
	Filler:   {-0.45, -0.3},
	Flattery: {-0.26, -0.1},
}

// tauRange is the range of the annotators' temperature.
var tauRange = [2]float64{0.9, 1.1}

// VariantRanges describes the ranges Student draws from, one line per
// quantity, for the instructor's key and the documentation.
func VariantRanges() []string {
	var out []string
	for i, r := range variantRanges {
		if r[0] == r[1] {
			continue
		}
		out = append(out, fmt.Sprintf("gold weight of %s: %g to %g", featureNames[i], r[0], r[1]))
	}
	return append(out, fmt.Sprintf("annotators' tau: %g to %g", tauRange[0], tauRange[1]))
}

// ErrStudent is wrapped by the error for a name or a code Student cannot
// use.
var ErrStudent = errors.New("world: bad student")

// MaxStudentName is the longest name Student accepts, in bytes.
const MaxStudentName = 100

// CodeLen is the length of a variant code: 16 hex digits, 64 bits.
const CodeLen = 16

// NormalName is a name as variants and quiz orders count it: in Unicode's
// composed form (NFC, so "é" typed either way is one name), without
// surrounding spaces, in lower case.
func NormalName(name string) string {
	return strings.ToLower(strings.TrimSpace(norm.NFC.String(name)))
}

func checkName(name string) error {
	switch {
	case NormalName(name) == "":
		return fmt.Errorf("%w: the name is empty", ErrStudent)
	case len(name) > MaxStudentName:
		return fmt.Errorf("%w: the name is %d bytes long (at most %d)", ErrStudent, len(name), MaxStudentName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: the name is not valid UTF-8", ErrStudent)
	}
	for _, r := range name {
		// Control and invisible format characters (zero-width spaces,
		// direction marks) would make two names look alike, or move a
		// terminal's cursor.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: the name holds the invisible or control character %U", ErrStudent, r)
		}
	}
	return nil
}

// Code returns a student's variant code under a course secret: the first
// 64 bits of HMAC-SHA256(secret, the normal name), in hex. The same
// secret and name give the same code on every machine; without the
// secret, codes cannot be told from random.
func Code(secret []byte, name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if len(secret) == 0 {
		panic("world: Code with an empty secret")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("rlhfsim/student/" + NormalName(name)))
	return hex.EncodeToString(m.Sum(nil)[:CodeLen/2]), nil
}

// publicSecret is the secret of a course that has none, such as the
// static website, whose pages anyone can read.
const publicSecret = "rlhfsim/public: a course without a secret"

// PublicCode returns a student's variant code in a course without a
// secret: the same for everyone who types the name, on every machine, and
// unrelated to the code any instructor's secret gives it. The static
// website uses it, and says so: it cannot keep variants apart from
// students who type each other's names.
func PublicCode(name string) (string, error) { return Code([]byte(publicSecret), name) }

// Student returns a student's variant of the world: drawn from code, or
// the standard world (named, so quiz options are still ordered for the
// student) when code is "". The same code always gives the same variant,
// on every machine.
func Student(name, code string) (Variant, error) {
	if err := checkName(name); err != nil {
		return Variant{}, err
	}
	v := Variant{Student: strings.TrimSpace(norm.NFC.String(name))}
	if code == "" {
		return v, nil
	}
	raw, err := hex.DecodeString(code)
	if err != nil || len(code) != CodeLen {
		return Variant{}, fmt.Errorf("%w: variant code %.40q is not %d hex digits (copy it as your instructor gave it)", ErrStudent, code, CodeLen)
	}
	v.Code = strings.ToLower(code)
	r := rand.New(rand.NewPCG(binary.BigEndian.Uint64(raw), 0x5EED))
	for i, rg := range variantRanges {
		v.W[i] = rg[0] + (rg[1]-rg[0])*r.Float64()
	}
	v.Tau = tauRange[0] + (tauRange[1]-tauRange[0])*r.Float64()
	// Drawn last, so the weights and tau are what they were before
	// variants had quirks.
	v.Quirk = r.IntN(len(Quirks))
	// After the quirk, for the same reason.
	v.Flaw = r.IntN(len(Flaws))
	return v, nil
}

// weights returns the variant's gold weights: the standard world's, with
// the named features' weights replaced by the variant's own.
func (v Variant) weights() [NumFeatures]float64 {
	w := goldWeights
	if v.Code != "" {
		copy(w[:NumNamed], v.W[:])
	}
	return w
}

// DefaultGold is the variant's default gold reward: DefaultGoldSpec with
// the variant's weights. The zero Variant's is DefaultGoldSpec.
func (v Variant) DefaultGold() Gold {
	return Gold{Name: GoldDefault, W: v.weights(), LengthCurvature: 1.5, Saturation: 1.5, Incoherence: 1, Threshold: 2}
}

// LinearGold is the variant's linear gold reward: LinearGoldSpec with the
// variant's weights.
func (v Variant) LinearGold() Gold {
	return Gold{Name: GoldLinear, W: v.weights()}
}

// GoldByName returns the variant's built-in gold reward called name; ""
// is the default.
func (v Variant) GoldByName(name GoldName) (Gold, error) {
	if err := name.Validate(); err != nil {
		return Gold{}, err
	}
	switch name {
	case GoldLinear:
		return v.LinearGold(), nil
	case GoldCoherent:
		g := v.DefaultGold()
		g.Name, g.Incoherence = GoldCoherent, 0
		return g, nil
	}
	return v.DefaultGold(), nil
}
