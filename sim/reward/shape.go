package reward

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// checkShape reads a model file's declared shape (its kind, features and
// hidden widths) without decoding its arrays, counts the values of those
// arrays as it passes them, and returns an error unless the counts are
// what the shape needs. Decoding a file whose arrays are far longer than
// its shape says would otherwise allocate gigabytes before any check ran.
func checkShape(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return badFile("not a model file: it does not start with a JSON object")
	}
	var (
		kind     Kind
		features int
		hidden   []int
		counts   = map[string]int{}
	)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return badFile("%v", err)
		}
		key, _ := t.(string)
		switch key {
		case "params", "input_mean", "input_scale", "features":
			n, err := countArray(dec, key)
			if err != nil {
				return err
			}
			counts[key] = n
			if key == "features" {
				features = n
			}
		case "kind":
			if err := dec.Decode(&kind); err != nil {
				return badFile("kind: %v", err)
			}
		case "hidden":
			if err := decodeSmall(dec, &hidden, 16); err != nil {
				return badFile("hidden: %v", err)
			}
		default:
			// Small fields; Unmarshal checks them. A big value here is
			// skipped token by token, never held whole.
			if err := skip(dec); err != nil {
				return badFile("%s: %v", key, err)
			}
		}
	}
	if features == 0 {
		return badFile("no feature names")
	}
	if features > MaxFeatures {
		return badFile("%d features, more than %d", features, MaxFeatures)
	}
	ks, ok := kind.spec()
	if !ok || kind == "" {
		// Unmarshal refuses the kind; until then it counts as linear.
		return linearShape(kind)(features, hidden, counts)
	}
	return ks.shape(features, hidden, counts)
}

// countArray counts the elements of the array dec is at, without keeping
// them; an element that is itself an array or object is an error.
func countArray(dec *json.Decoder, key string) (int, error) {
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return 0, badFile("%s: want an array", key)
	}
	n := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, badFile("%s: %v", key, err)
		}
		if _, ok := t.(json.Delim); ok {
			return 0, badFile("%s: element %d is not a single value", key, n+1)
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return 0, badFile("%s: %v", key, err)
	}
	return n, nil
}

// decodeSmall decodes a short array of ints, refusing more than max.
func decodeSmall(dec *json.Decoder, dst *[]int, max int) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return fmt.Errorf("want an array")
	}
	for dec.More() {
		var v int
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if len(*dst) == max {
			return fmt.Errorf("more than %d values", max)
		}
		*dst = append(*dst, v)
	}
	_, err := dec.Token()
	return err
}

// skip passes over one value, however nested, token by token.
func skip(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
