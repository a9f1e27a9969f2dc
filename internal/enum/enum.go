package enum

import (
	"fmt"
	"strings"
)

// Error is a value that is not one of an option's valid values.
type Error struct {
	What  string // the option, e.g. "optimizer"
	Value string // the value given
	Valid string // the valid values, e.g. "adam, sgd or lbfgs"
}

func (e *Error) Error() string { return fmt.Sprintf("%s %q: want %s", e.What, e.Value, e.Valid) }

// Check returns nil if v is one of valid, and otherwise an *Error such as
// `optimizer "adamw": want adam, sgd or lbfgs`.
func Check[T ~string](what string, v T, valid ...T) error {
	for _, x := range valid {
		if v == x {
			return nil
		}
	}
	return &Error{What: what, Value: string(v), Valid: List(valid...)}
}

// List writes valid values as "a, b or c".
func List[T ~string](valid ...T) string {
	s := make([]string, len(valid))
	for i, v := range valid {
		s[i] = string(v)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Option is Check for an option whose zero value "" means its default:
// "" passes, and the error for a bad value also wraps sentinel, the
// package's error for bad settings.
func Option[T ~string](sentinel error, what string, v T, valid ...T) error {
	if v == "" {
		return nil
	}
	if err := Check(what, v, valid...); err != nil {
		return fmt.Errorf("%w: %w", sentinel, err)
	}
	return nil
}
