package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFiguresCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "figs")
	code, stdout, stderr := rlhfsim("figures", "--out", dir, "--format", "svg,png", "--size", "print", "--prompts", "400")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote 12 figures") {
		t.Errorf("output %q", stdout)
	}
	for _, f := range []string{"index.md", "index.html", "overoptimisation.svg", "overoptimisation.png", "ranking_vs_rating.svg", "accuracy_under_shift.svg"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("missing %s", f)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if strings.Count(string(html), "data:image/svg+xml;base64,") != 12 || strings.Contains(string(html), "http") {
		t.Error("index.html does not embed all 12 figures, or links outside")
	}
	md, _ := os.ReadFile(filepath.Join(dir, "index.md"))
	if !strings.Contains(string(md), "seed 1;") || !strings.Contains(string(md), "![") {
		t.Error("index.md lacks the seed or the images")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"figures", "--size", "poster"}, `--size "poster"`},
		{[]string{"figures", "--format", "gif"}, `--format "gif"`},
	} {
		if code, _, stderr := rlhfsim(c.args...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}
