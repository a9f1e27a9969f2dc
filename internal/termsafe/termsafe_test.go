package termsafe

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, with\ttabs\nand lines", "plain text, with\ttabs\nand lines"},
		{"\rchecks: 99 passed, 0 failed\x1b[8m", `\rchecks: 99 passed, 0 failed\x1b[8m`},
		{"bell\a and delete\x7f", `bell\x07 and delete\x7f`},
		{"C1 \u009b31m", `C1 \x9b31m`},
		{"isAdmin \u202e // }", `isAdmin \u202e // }`},
		{"ünïcödé ✓ stays", "ünïcödé ✓ stays"},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
