package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepCommand: the same grid on 1 and 2 workers writes byte-identical
// CSV and JSON, and the three figures.
func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	files := func(workers string) map[string][]byte {
		out := filepath.Join(dir, "w"+workers)
		code, stdout, stderr := rlhfsim("sweep", "--prompts", "100,400", "--seeds", "1,2", "--steps", "20", "--policy-prompts", "10", "--workers", workers, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "sweep: 4 runs on "+workers+" worker") || !strings.Contains(stdout, "peak gold gain") {
			t.Errorf("output %q", stdout)
		}
		m := map[string][]byte{}
		for _, f := range []string{"sweep.csv", "sweep.json", "gold_vs_kl.svg", "peak_gold.svg", "peak_kl.svg"} {
			b, err := os.ReadFile(filepath.Join(out, f))
			if err != nil || len(b) == 0 {
				t.Fatalf("missing %s: %v", f, err)
			}
			m[f] = b
		}
		return m
	}
	one, two := files("1"), files("2")
	for f, b := range one {
		if !bytes.Equal(b, two[f]) {
			t.Errorf("%s differs between 1 and 2 workers", f)
		}
	}
	if n := bytes.Count(one["sweep.csv"], []byte("\n")); n != 5 {
		t.Errorf("sweep.csv has %d lines, want a header and 4 runs", n)
	}
}
