package prefs

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestFastPathAgreesWithEncodingJSON: Read takes its fast path only where
// encoding/json would read the same line the same way. Each case edits one
// line of a real file; Read must accept it exactly when encoding/json
// decodes it into a Line (and the value is in range), with the same
// numbers.
func TestFastPathAgreesWithEncodingJSON(t *testing.T) {
	d := gen(t, &Settings{Prompts: 1, K: 2}, nil, 1)
	good := strings.TrimSpace(string(jsonl(t, d)))
	first := `"chosen_features":[`
	at := strings.Index(good, first) + len(first)
	end := at + strings.IndexAny(good[at:], ",]")
	numberCases := []string{
		"1", "-0", "0", "0.5", "-1.25e-3", "1E+2", "1e2", "12345678901234567890", "4.9e-324", " 1 ",
		"NaN", "Infinity", "-Inf", "inf", "0x1p3", "+1", "01", "1.", ".5", "1e", "1e+", "-", "1_0",
		"1e999", `"1"`, "true", "null", "[1]", "{}", "1 2", "",
	}
	var cases []string
	for _, x := range numberCases {
		cases = append(cases, good[:at]+x+good[end:])
	}
	cases = append(cases,
		strings.Replace(good, first, `"chosen_features": [ `, 1),
		strings.Replace(good, first, first+"1,", 1), // one value too many
		strings.Replace(good, first, first+",", 1),  // a leading comma
		strings.Replace(good, `],"rejected_features"`, `,],"rejected_features"`, 1),
		strings.Replace(good, `"chosen":"`, `"chosen":"a\"b, \u00e9 `, 1),
		strings.Replace(good, `"chosen":"`, `"chosen":"\x`, 1),
		strings.Replace(good, `"chosen":"`, `"chosen":5,"x":"`, 1),
		strings.Replace(good, `"feature_names":["`, `"feature_names":[ "`, 1),
		strings.Replace(good, `"feature_names":["`, `"feature_names":["\u0068`, 1),
		strings.Replace(good, `"feature_names":["`, `"feature_names":[1,"`, 1),
		strings.Replace(good, `"feature_names":[`, `"feature_names":{}, "x":[`, 1),
	)
	for _, c := range cases {
		var want Line
		err := json.Unmarshal([]byte(c), &want)
		// Read refuses a null feature value, which encoding/json reads as 0.
		null := strings.Contains(c, "[null,")
		inRange := err == nil && !null && len(want.ChosenFeatures) > 0 && math.Abs(want.ChosenFeatures[0]) <= MaxValue
		got, rerr := Read(strings.NewReader(c))
		switch {
		case inRange && len(want.ChosenFeatures) == len(d.Features) && rerr != nil:
			t.Errorf("%.60s...: encoding/json reads it, Read says %v", c[max(at-20, 0):], rerr)
		case null && (rerr == nil || !strings.Contains(rerr.Error(), "line 1: a feature value is null")):
			t.Errorf("a null feature value: %v", rerr)
		case !inRange && rerr == nil:
			t.Errorf("%s: encoding/json refuses it (%v), Read took it", c, err)
		case rerr == nil:
			w := got.Rankings[0].First + d.Pairs[0].W - d.Rankings[0].First
			if g := got.Response(w)[0]; g != want.ChosenFeatures[0] {
				t.Errorf("%s: Read gives %v, encoding/json %v", c, g, want.ChosenFeatures[0])
			}
		}
	}
}

// TestJSONNumber checks the grammar against encoding/json's own validator.
func TestJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-12", "1.5", "1e5", "1E-5", "1.5e+05", "", "-", "01", "1.", ".1",
		"1e", "+1", "1x", "0.0.0", "1e5e5", "--1", "Inf", "NaN", "0x10"} {
		if got, want := jsonNumber([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("jsonNumber(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
}
