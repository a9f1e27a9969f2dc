package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

// rlhfsim runs the command line in-process and returns its exit code and
// outputs.
// TestMain lets this test binary serve as the lesson worker, as the
// rlhfsim binary does.
func TestMain(m *testing.M) {
	worker.Main()
	// TestKillTheClassServer runs the command in a process of its own,
	// to kill it.
	if args := os.Getenv("RLHFSIM_TEST_COMMAND"); args != "" {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func rlhfsim(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadFlagsExit2WithOneLine(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "d.jsonl")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"data", "--k", "1"}, "--k 1: must be an integer from 2 to 20"},
		{[]string{"data", "--tau", "-0.5"}, "--tau -0.5: must be from 0 to 100"},
		{[]string{"data", "--prompts", "0"}, "--prompts 0: must be an integer from 1 to 1000000"},
		{[]string{"data", "--gold", "quadratic"}, `invalid --gold "quadratic": want default, linear or coherent`},
		{[]string{"data", "--annotators", "0"}, "--annotators 0"},
		{[]string{"data", "--tau", "NaN"}, "--tau NaN"},
		{[]string{"data", "--nope"}, "unknown flag: --nope"},
		{[]string{"data", "--k", "two"}, `invalid argument "two" for "--k": want a whole number`},
		{[]string{"data", "--seed", "-1"}, `invalid argument "-1" for "--seed": want a whole number, 0 or more`},
		{[]string{"data", "--out", filepath.Join(dir, "d.csv")}, "must end in .jsonl"},
	} {
		full := append(c.args, "--out", out)
		if strings.HasSuffix(c.args[len(c.args)-1], ".csv") {
			full = c.args
		}
		code, _, stderr := rlhfsim(full...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line containing %q", c.args, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: wrote %s despite the error", c.args, out)
		}
	}
}

func TestDataWritesAndSummarises(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	for _, p := range []string{a, b} {
		if code, _, stderr := rlhfsim("data", "--prompts", "30", "--k", "3", "--seed", "4", "--out", p); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) || len(ab) == 0 {
		t.Error("the same seed wrote different files")
	}
	if n := bytes.Count(ab, []byte("\n")); n != 90 {
		t.Errorf("%d lines, want 30 prompts * C(3,2) = 90", n)
	}
	code, stdout, _ := rlhfsim("data", "--prompts", "30", "--k", "3", "--json")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &s) != nil {
		t.Fatalf("--json: exit %d, output %q", code, stdout)
	}
	for _, key := range []string{"prompts", "pairs", "label_noise", "gold_ceiling", "expected_ceiling", "train"} {
		if _, ok := s[key]; !ok {
			t.Errorf("--json summary lacks %q", key)
		}
	}
	if s["pairs"].(float64) != 90 {
		t.Errorf("pairs = %v, want 90", s["pairs"])
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"data", "--help"}} {
		code, stdout, _ := rlhfsim(args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%v: exit %d, output %q", args, code, stdout)
		}
	}
	code, stdout, _ := rlhfsim("data", "--help")
	for _, f := range []string{"--seed", "--prompts", "--k", "--tau", "--length-bias", "--position-bias", "--annotators", "--gold", "--out", "--json"} {
		if code != 0 || !strings.Contains(stdout, f) {
			t.Errorf("data --help lacks %s", f)
		}
	}
}

// TestCommandsWriteOnlyWhereTold runs every command that writes files
// from an empty working directory, each told where to write: nothing
// appears in the working directory (rlhfsim key once left figures there,
// and they were committed).
func TestCommandsWriteOnlyWhereTold(t *testing.T) {
	elsewhere := t.TempDir()
	secret := filepath.Join(elsewhere, "course.secret")
	if err := os.WriteFile(secret, []byte("a test secret of enough length\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	at := func(name string) string { return filepath.Join(elsewhere, name) }
	for _, args := range [][]string{
		{"data", "--prompts", "50", "--out", at("d.jsonl")},
		{"train", "--prompts", "50", "--save-model", at("rm.json")},
		{"score", "--model", at("rm.json"), "--data", at("d.jsonl")},
		{"pipeline", "--prompts", "100", "--steps", "5", "--out", at("p")},
		{"figures", "--prompts", "100", "--format", "svg", "--out", at("f")},
		{"sweep", "--prompts", "100", "--betas", "0.2", "--steps", "5", "--out", at("s")},
		{"seq", "--updates", "5", "--out", at("q")},
		{"key", "--secret", secret, "--student", "ada", "01"},
		{"run", "00", "--format", "md,html,ipynb", "--out", at("r")},
		{"export", at("x")},
		{"release", "--out", at("rel"), "00", "03"},
	} {
		code, _, stderr := rlhfsim(args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if left, _ := os.ReadDir("."); len(left) > 0 {
			t.Fatalf("%v wrote %s into the working directory", args, left[0].Name())
		}
	}
}
