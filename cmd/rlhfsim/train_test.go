package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/world"
)

func TestTrainJSONReport(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "rm.json")
	code, stdout, stderr := rlhfsim("train", "--prompts", "300", "--gold", "linear", "--json", "--save-model", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Metrics map[string]any `json:"metrics"`
		Weights []any          `json:"weights"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"train_accuracy", "val_accuracy", "test_accuracy", "ceiling_accuracy",
		"gold_agreement", "spearman_gold", "kendall_gold", "val_loss", "history"} {
		if _, ok := rep.Metrics[k]; !ok {
			t.Errorf("metrics lack %q", k)
		}
	}
	if h, _ := rep.Metrics["history"].([]any); len(h) < 2 {
		t.Errorf("history has %d epochs", len(h))
	}
	if s, _ := rep.Metrics["spearman_gold"].(float64); s < 0.9 {
		t.Errorf("spearman_gold %v on the linear gold", s)
	}
	if len(rep.Weights) != world.NumFeatures {
		t.Errorf("%d weights, want one per feature (%d)", len(rep.Weights), world.NumFeatures)
	}

	// score reads the model back and scores generated responses.
	code, stdout, stderr = rlhfsim("score", "--model", model, "--prompts", "20", "--json")
	var sr struct {
		Responses int     `json:"responses"`
		Spearman  float64 `json:"spearman_gold"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &sr) != nil {
		t.Fatalf("score: exit %d, %s %s", code, stderr, stdout)
	}
	if sr.Responses != 80 || sr.Spearman < 0.8 {
		t.Errorf("score: %d responses, Spearman %v", sr.Responses, sr.Spearman)
	}
}

func TestTrainFromFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.jsonl")
	if code, _, stderr := rlhfsim("data", "--prompts", "100", "--out", data); code != 0 {
		t.Fatal(stderr)
	}
	// --timings adds a line to stderr and leaves the report as it was.
	_, plain, _ := rlhfsim("train", "--data", data, "--epochs", "3")
	code, timed, stderr := rlhfsim("train", "--data", data, "--epochs", "3", "--timings")
	if code != 0 || timed != plain || !regexp.MustCompile(`timings: data \d+\.\d{3} s, training \d+\.\d{3} s, evaluating \d+\.\d{3} s`).MatchString(stderr) {
		t.Errorf("--timings: exit %d, same report %v, stderr %q", code, timed == plain, stderr)
	}
	model := filepath.Join(dir, "m.json")
	if code, stdout, stderr := rlhfsim("train", "--data", data, "--model", "mlp", "--hidden", "8,4", "--epochs", "3", "--save-model", model); code != 0 || !strings.Contains(stdout, "mlp model") {
		t.Fatalf("train --data: exit %d %s %s", code, stderr, stdout)
	}
	// A dataset with other features does not fit the saved model.
	wide := filepath.Join(dir, "w.json")
	if code, _, stderr := rlhfsim("train", "--prompts", "100", "--distractors", "3", "--epochs", "2", "--save-model", wide); code != 0 {
		t.Fatal(stderr)
	}
	lines, _ := os.ReadFile(data)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Replace(string(lines), `"chosen_gold":`, `"chosen_gold":1e999,"x":`, 1)), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", filepath.Join(dir, "missing.jsonl")}, "no such file"},
		{[]string{"train", "--data", bad}, "line 1"},
		{[]string{"train", "--data", data, "--prompts", "5"}, "--prompts generate data and cannot be combined with --data"},
		{[]string{"train", "--model", "forest"}, `invalid --model "forest": want linear, affine or mlp`},
		{[]string{"train", "--hidden", "8,8,8"}, "invalid --hidden: reward: bad option: 3 hidden layers, want 1 to 2"},
		{[]string{"train", "--hidden", "8,x"}, "give one or two whole-number widths"},
		{[]string{"train", "--hidden", "5000"}, "hidden width 5000, want 1 to 4096"},
		{[]string{"train", "--optimizer", "adamw"}, `invalid --optimizer "adamw": want adam, sgd or lbfgs`},
		{[]string{"train", "--activation", "gelu"}, `invalid --activation "gelu": want tanh, relu or softplus`},
		{[]string{"train", "--grouping", "batch"}, `invalid --grouping "batch": want prompt or flat`},
		{[]string{"train", "--loss", "hinge"}, `invalid --loss "hinge": want bt or pl`},
		{[]string{"train", "--loss", "pl", "--margin", "1"}, "a margin applies to the bt loss only"},
		{[]string{"train", "--loss", "pl", "--grouping", "flat"}, "the pl loss scores whole rankings, so it needs grouping by prompt"},
		{[]string{"train", "--lr", "0"}, "--lr 0"},
		{[]string{"train", "--val", "-1"}, "no val pairs"},
		{[]string{"score"}, "missing --model"},
		{[]string{"score", "--model", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"score", "--model", data}, "reading --model"},
		{[]string{"score", "--model", wide, "--data", data}, "does not fit the data"},
	} {
		code, _, stderr := rlhfsim(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}
