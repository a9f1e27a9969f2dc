package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPipelineJSONAndOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"pipeline", "--prompts", "300", "--steps", "30", "--policy-prompts", "20", "--bon", "1,4,16", "--json", "--out", dir}
	code, stdout, stderr := rlhfsim(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr is not a terminal, yet got %q", stderr)
	}
	var rep struct {
		Data        map[string]any `json:"data"`
		RewardModel map[string]any `json:"reward_model"`
		Policy      struct {
			Steps []map[string]any `json:"steps"`
		} `json:"policy"`
		BestOfN []map[string]any `json:"best_of_n"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Data["pairs"] == nil || rep.RewardModel["test_accuracy"] == nil || rep.RewardModel["history"] == nil {
		t.Errorf("report lacks data or reward-model metrics")
	}
	if len(rep.Policy.Steps) != 31 {
		t.Fatalf("%d policy steps, want 31", len(rep.Policy.Steps))
	}
	for _, k := range []string{"step", "kl", "proxy", "gold", "gold_agreement", "entropy", "length"} {
		if _, ok := rep.Policy.Steps[5][k]; !ok {
			t.Errorf("policy step lacks %q", k)
		}
	}
	if len(rep.BestOfN) != 3 {
		t.Fatalf("%d best-of-n rows", len(rep.BestOfN))
	}
	for _, k := range []string{"n", "kl_exact", "kl_bound", "proxy", "gold", "win_rate"} {
		if _, ok := rep.BestOfN[1][k]; !ok {
			t.Errorf("best-of-n row lacks %q", k)
		}
	}
	for _, f := range []string{"data.jsonl", "model.json", "report.json"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("--out did not write %s", f)
		}
	}
	saved, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if !bytes.Equal(saved, []byte(stdout)) {
		t.Error("report.json differs from the printed report")
	}
	// The saved model scores the saved data.
	if code, _, stderr := rlhfsim("score", "--model", filepath.Join(dir, "model.json"), "--data", filepath.Join(dir, "data.jsonl")); code != 0 {
		t.Errorf("score on --out files: %s", stderr)
	}
	// Same seed, same bytes.
	_, again, _ := rlhfsim(args[:len(args)-2]...)
	if again != stdout {
		t.Error("the same seed printed a different report")
	}
}

func TestPipelineText(t *testing.T) {
	code, stdout, stderr := rlhfsim("pipeline", "--prompts", "300", "--steps", "20", "--policy-prompts", "20", "--length-bias", "1", "--beta", "0")
	if code != 0 {
		t.Fatal(stderr)
	}
	for _, want := range []string{"policy: generative, rloo", "best-of-n on the pool of 65536 base-policy samples for each of 16 prompts", "length weight"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestPipelineErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pipeline", "--algo", "exact"}, "the exact gradient needs the pool policy"},
		{[]string{"pipeline", "--bon", "1,x"}, "invalid --bon"},
		{[]string{"pipeline", "--per-prompt", "1"}, "rloo needs at least 2 samples per prompt for its leave-one-out baseline"},
		{[]string{"pipeline", "--beta", "0", "--target-kl", "2"}, "an adaptive KL controller needs a starting beta above 0"},
		{[]string{"pipeline", "--distractors", "2"}, "cannot produce distractor"},
		{[]string{"pipeline", "--policy", "tabular"}, `invalid --policy "tabular": want generative or pool`},
		{[]string{"pipeline", "--algo", "trpo"}, `invalid --algo "trpo": want reinforce, rloo, ppo or exact`},
		{[]string{"pipeline", "--rm-lr", "-1"}, "--rm-lr -1"},
		{[]string{"pipeline", "--steps", "0"}, "--steps 0"},
	} {
		code, _, stderr := rlhfsim(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestPipelineEnsemble: --ensemble trains the members, reports each one's
// held-out agreement, and changes what the policy optimises.
func TestPipelineEnsemble(t *testing.T) {
	args := []string{"pipeline", "--prompts", "300", "--steps", "20", "--policy-prompts", "20", "--bon", "1,4", "--json"}
	run := func(extra ...string) map[string]any {
		t.Helper()
		code, stdout, stderr := rlhfsim(append(args, extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	single, ens := run(), run("--ensemble", "3", "--ensemble-agg", "min")
	if _, ok := single["reward_model_ensemble"]; ok {
		t.Error("a single-model run reports an ensemble")
	}
	e, ok := ens["reward_model_ensemble"].(map[string]any)
	if !ok || e["members"] != 3.0 || e["aggregate"] != "min" || len(e["member_gold_agreement"].([]any)) != 3 {
		t.Fatalf("ensemble report %v", ens["reward_model_ensemble"])
	}
	last := func(rep map[string]any) map[string]any {
		st := rep["policy"].(map[string]any)["steps"].([]any)
		return st[len(st)-1].(map[string]any)
	}
	if last(single)["proxy"] == last(ens)["proxy"] {
		t.Error("the ensemble did not change the optimised reward")
	}
}

// TestPipelineDPO: --method dpo reports the direct route beside the
// reward model's, and names the method instead of an RL algorithm.
func TestPipelineDPO(t *testing.T) {
	code, stdout, stderr := rlhfsim("pipeline", "--prompts", "300", "--policy", "pool", "--policy-prompts", "20", "--bon", "1", "--method", "dpo", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Direct map[string]any `json:"direct"`
		Policy struct {
			Method string           `json:"method"`
			Algo   *string          `json:"algo"`
			Steps  []map[string]any `json:"steps"`
		} `json:"policy"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"method", "beta", "loss", "implicit_gold_agreement", "implicit_rm_agreement", "tv_to_rm_optimum"} {
		if _, ok := rep.Direct[k]; !ok {
			t.Errorf("direct report lacks %q", k)
		}
	}
	if rep.Policy.Method != "dpo" || rep.Policy.Algo != nil || len(rep.Policy.Steps) != 2 {
		t.Errorf("policy method %q, algo %v, %d steps: want dpo, none, 2", rep.Policy.Method, rep.Policy.Algo, len(rep.Policy.Steps))
	}
}

// A run against the verifier reports what the verifier saw at every step,
// its best-of-n on the checked and open prompts, and the tables name it.
func TestPipelineVerifier(t *testing.T) {
	args := []string{"pipeline", "--prompts", "300", "--steps", "20", "--policy-prompts", "40", "--bon", "1,16",
		"--reward", "verifier", "--verifier-bar", "2", "--weak-tests", "0.9"}
	code, stdout, stderr := rlhfsim(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Policy struct {
			Reward string `json:"reward"`
		} `json:"policy"`
		Verifier struct {
			Coverage float64 `json:"coverage"`
			Settings struct {
				Categories []string `json:"categories"`
				Bar        float64  `json:"bar"`
				WeakTests  float64  `json:"weak_tests"`
			} `json:"settings"`
			Steps      []map[string]float64 `json:"steps"`
			BoNChecked []map[string]float64 `json:"best_of_n_checked"`
			BoNOpen    []map[string]float64 `json:"best_of_n_open"`
		} `json:"verifier"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	v := rep.Verifier
	if rep.Policy.Reward != "verifier" || v.Settings.Bar != 2 || strings.Join(v.Settings.Categories, ",") != "factual,coding" || v.Settings.WeakTests != 0.9 || len(v.Steps) != 21 ||
		!(v.Coverage > 0 && v.Coverage < 1) || len(v.BoNChecked) != 2 || len(v.BoNOpen) != 2 {
		t.Fatalf("verifier report %+v", rep)
	}
	// Weak tests pass some wrong answers, so the pass rate is above the
	// right rate from the start.
	if s := v.Steps[0]; !(s["pass"] > s["right"]) {
		t.Errorf("step 0: pass %v, right %v", s["pass"], s["right"])
	}
	if v.BoNOpen[1]["gold"] != v.BoNOpen[0]["gold"] || v.BoNOpen[1]["kl_exact"] != 0 {
		t.Errorf("best-of-16 by a verifier moved the open-ended prompts: %v", v.BoNOpen)
	}
	code, stdout, stderr = rlhfsim(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"optimising the verifier", "verifier of factual and coding prompts", "gold (open-ended)", "proxy accuracy"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tables lack %q", want)
		}
	}
	// An rm run has no verifier section unless asked for.
	code, stdout, _ = rlhfsim("pipeline", "--prompts", "300", "--steps", "5", "--policy-prompts", "20", "--bon", "1", "--json")
	if code != 0 || strings.Contains(stdout, `"verifier"`) {
		t.Errorf("an rm run reported a verifier")
	}
	code, stdout, _ = rlhfsim("pipeline", "--prompts", "300", "--steps", "5", "--policy-prompts", "20", "--bon", "1", "--json", "--verify")
	if code != 0 || !strings.Contains(stdout, `"verifier"`) || !strings.Contains(stdout, `"reward": "rm"`) {
		t.Errorf("--verify did not add the verifier's view to an rm run")
	}
}
