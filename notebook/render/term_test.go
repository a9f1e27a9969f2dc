package render

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rlhfsim/rlhfsim/notebook"
)

var update = flag.Bool("update", false, "rewrite the terminal golden files in testdata")

// termSample is sampleResult with its code shown, one line long enough
// to wrap.
func termSample() *notebook.Result {
	res := sampleResult()
	for i := range res.Lesson.Cells {
		c := &res.Lesson.Cells[i]
		c.Marker = 10 * i
		c.Shown = c.Source
	}
	res.Lesson.Cells[1].Shown = "x := strings.Repeat(\"long line \", 3) + fmt.Sprint(\"that goes past sixty columns\")\nfmt.Println(1)"
	return res
}

// TestTerminalGolden keeps the terminal's look in each style under
// review: a change to the colours or the layout shows as a diff of
// testdata/term-*.golden (go test ./notebook/render -update rewrites
// them, for a change that is meant).
func TestTerminalGolden(t *testing.T) {
	for _, style := range []string{"light", "dark", ""} {
		name := style
		if name == "" {
			name = "plain"
		}
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Terminal(&b, termSample(), TermOptions{Style: style, Reveal: true, ShowCode: true, Width: 60}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "term-"+name+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("the %s terminal output differs from %s:\n%q\nwant\n%q", name, path, b.String(), want)
			}
		})
	}
}

// TestLightTerminalIsReadable: every foreground colour the light style
// paints text in stands out from a white background by at least 3:1
// (WCAG's ratio for large text; body text in the dark style's grey 252
// on white is 1.3:1), and the plain style paints nothing.
func TestLightTerminalIsReadable(t *testing.T) {
	var b bytes.Buffer
	if err := Terminal(&b, termSample(), TermOptions{Style: "light", Reveal: true, ShowCode: true}); err != nil {
		t.Fatal(err)
	}
	colours := map[int]bool{}
	for _, m := range regexp.MustCompile(`\x1b\[(?:[0-9;]*;)?38;5;([0-9]+)`).FindAllStringSubmatch(b.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		colours[n] = true
	}
	if len(colours) == 0 {
		t.Fatal("the light style paints no 256-colour text")
	}
	for n := range colours {
		if c := contrastOnWhite(n); c < 3 {
			t.Errorf("colour %d has contrast %.2f:1 on white, want at least 3:1", n, c)
		}
	}
	var plain bytes.Buffer
	if err := Terminal(&plain, termSample(), TermOptions{Reveal: true, ShowCode: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("the plain style prints escapes")
	}
}

// contrastOnWhite is WCAG 2's contrast ratio of xterm-256 colour n on
// white, from the xterm palette's RGB values.
func contrastOnWhite(n int) float64 {
	var r, g, b int
	switch {
	case n < 16:
		base := [16][3]int{{0, 0, 0}, {128, 0, 0}, {0, 128, 0}, {128, 128, 0}, {0, 0, 128}, {128, 0, 128}, {0, 128, 128}, {192, 192, 192},
			{128, 128, 128}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {0, 0, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255}}
		r, g, b = base[n][0], base[n][1], base[n][2]
	case n < 232:
		level := func(i int) int {
			if i == 0 {
				return 0
			}
			return 55 + 40*i
		}
		i := n - 16
		r, g, b = level(i/36), level(i/6%6), level(i%6)
	default:
		r = 8 + 10*(n-232)
		g, b = r, r
	}
	lin := func(c int) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	return 1.05 / (l + 0.05)
}
