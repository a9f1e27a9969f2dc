package prefs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unsafe"
)

// The fast path of reading a line decodes three kinds of field its own
// way, and any line it does not take is decoded again by encoding/json,
// whose messages name the field (decodeLine). The fast path only ever
// refuses more than encoding/json does, never less, so no bad line gets
// through it.

// errFast is the fast path's refusal; its message is never shown, since
// encoding/json then refuses the line too and says why. errNull is shown:
// encoding/json takes null for 0, and Read does not.
var (
	errFast = errors.New("prefs: not a plain line")
	errNull = errors.New("a feature value is null, where a number belongs")
)

// numbers is a JSON array of numbers, read straight into a slice of the
// right length: the general decoder grows the slice by doubling and copies
// it at the end, which was a fifth of the reading time.
type numbers []float64

func (v *numbers) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' || raw[len(raw)-1] != ']' {
		return errFast
	}
	body := bytes.TrimSpace(raw[1 : len(raw)-1])
	if len(body) == 0 {
		*v = numbers{}
		return nil
	}
	out := make([]float64, 0, bytes.Count(body, []byte{','})+1)
	for len(body) > 0 {
		tok := body
		if i := bytes.IndexByte(body, ','); i >= 0 {
			tok, body = body[:i], body[i+1:]
			if len(bytes.TrimSpace(body)) == 0 {
				return errFast // a trailing comma
			}
		} else {
			body = nil
		}
		tok = bytes.TrimSpace(tok)
		if string(tok) == "null" {
			// encoding/json would read a null as 0 without a word.
			return errNull
		}
		if !jsonNumber(tok) {
			return errFast
		}
		// The string shares tok's bytes only for the call.
		x, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 64)
		if err != nil {
			return errFast
		}
		out = append(out, x)
	}
	*v = out
	return nil
}

// jsonNumber reports whether b is a number as JSON writes one:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. strconv.ParseFloat also
// takes Inf, NaN, hexadecimal and underscores, which JSON does not.
func jsonNumber(b []byte) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}

// text is a JSON string that Read checks and does not keep (the chosen and
// rejected responses' texts): it spares a copy of each.
type text struct{}

func (*text) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return errFast
	}
	if bytes.IndexByte(raw, '\\') >= 0 && !json.Valid(raw) {
		return errFast
	}
	return nil
}

// rawJSON is a field's JSON, kept as written: every line repeats the
// feature names, and comparing their bytes with the first line's is
// cheaper than decoding 31 strings a line.
type rawJSON []byte

func (v *rawJSON) UnmarshalJSON(raw []byte) error {
	*v = append((*v)[:0], bytes.TrimSpace(raw)...)
	return nil
}
