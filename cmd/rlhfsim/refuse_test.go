package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestRefusesWhatWouldHurt: each case is an exit-2, one-line error that
// names the cause, and nothing is written.
func TestRefusesWhatWouldHurt(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.jsonl")
	if code, _, stderr := rlhfsim("data", "--prompts", "20", "--k", "3", "--out", data); code != 0 {
		t.Fatal(stderr)
	}
	good, _ := os.ReadFile(data)
	line := strings.SplitN(string(good), "\n", 2)[0]
	// A one-line JSONL file whose first line is changed as given.
	bad := func(name, old, new string) string {
		p := filepath.Join(dir, name+".jsonl")
		if !strings.Contains(line, old) {
			t.Fatalf("the first line lacks %s", old)
		}
		os.WriteFile(p, []byte(strings.Replace(line, old, new, 1)+"\n"), 0o644)
		return p
	}
	huge := filepath.Join(dir, "huge.json")
	if f, err := os.Create(huge); err == nil {
		f.Truncate(2 << 30) // a sparse file of 2 GiB: zeros
		f.Close()
	}
	spaces := filepath.Join(dir, "spaces.json")
	os.WriteFile(spaces, []byte(strings.Repeat(" ", 1000)+"{\"format\": 1e400}"), 0o644)
	model := filepath.Join(dir, "m.json")
	if code, _, stderr := rlhfsim("train", "--prompts", "50", "--save-model", model); code != 0 {
		t.Fatal(stderr)
	}
	mb, _ := os.ReadFile(model)
	bigWeights := filepath.Join(dir, "big.json")
	if !strings.Contains(string(mb), `"params":[`) {
		t.Fatalf("the model file has no params: %s", mb)
	}
	os.WriteFile(bigWeights, regexp.MustCompile(`"params":\[[^,\]]+`).ReplaceAll(mb, []byte(`"params":[1e300`)), 0o644)
	newModel := filepath.Join(dir, "new.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `unknown command "nosuch": the commands are check, codes, data,`},
		{[]string{"data", "--val", "0.5", "--test", "0.45"}, "invalid --val 0.5 with --test 0.45: together they must leave at least 10% of the prompts for training"},
		{[]string{"train", "--data", bad("k-huge", `"k":3`, `"k":4611686018427387904`)}, "line 1: k = 4611686018427387904, want 2 to 20"},
		{[]string{"train", "--data", bad("k-big", `"k":3`, `"k":1073741824`)}, "line 1: k = 1073741824, want 2 to 20"},
		{[]string{"train", "--data", bad("rank", `"rejected_rank":`, `"rejected_rank":99999999999,"x":`)}, "line 1:"},
		{[]string{"train", "--data", bad("feature", `"chosen_features":[`, `"chosen_features":[1e300,`)}, "line 1:"},
		{[]string{"train", "--data", bad("gold", `"chosen_gold":`, `"chosen_gold":1e300,"y":`)}, "line 1:"},
		{[]string{"score", "--model", "/dev/zero", "--prompts", "10"}, "not a model file: it does not start with a JSON object"},
		{[]string{"score", "--model", huge, "--prompts", "10"}, "not a model file"},
		{[]string{"score", "--model", spaces, "--prompts", "10"}, "bad model file"},
		{[]string{"score", "--model", bigWeights, "--prompts", "10"}, "a parameter is 1e+300, not a number from -1e+06 to 1e+06"},
		{[]string{"train", "--data", data, "--save-model", data}, "it is the --data file, which saving the model would replace"},
		{[]string{"train", "--data", data, "--save-model", filepath.Join(dir, ".", "d.jsonl")}, "it is the --data file"},
		{[]string{"data", "--prompts", "1000000", "--k", "20", "--out", filepath.Join(dir, "x.jsonl")}, "of memory, more than the --memory budget of 4.0 GiB: lower --prompts or --k"},
		{[]string{"pipeline", "--policy", "pool", "--policy-prompts", "100000", "--pool-size", "10000", "--out", filepath.Join(dir, "p")}, "lower --prompts, --k, --policy-prompts or --pool-size"},
		{[]string{"train", "--prompts", "1000000", "--distractors", "1000", "--save-model", newModel}, "lower --prompts or --k"},
		{[]string{"figures", "--prompts", "1000000", "--k", "20", "--out", filepath.Join(dir, "f")}, "of memory, more than the --memory budget of 4.0 GiB: lower --prompts or --k"},
		{[]string{"sweep", "--prompts", "1000000", "--k", "20", "--seeds", "1", "--out", filepath.Join(dir, "s")}, "lower --prompts, --k, --policy-prompts or --workers"},
		{[]string{"seq", "--prompts", "100000", "--labels", "1000000", "--max-steps", "50", "--batch", "100000", "--updates", "1", "--memory", "2GiB", "--out", filepath.Join(dir, "q")}, "lower --labels, --prompts, --batch or --max-steps"},
		{[]string{"data", "--memory", "lots"}, `invalid --memory "lots"`},
		{[]string{"pipeline", "--ensemble", "65"}, "invalid --ensemble 65"},
		{[]string{"sweep", "--prompts", "100,abc"}, `invalid --prompts "100,abc": "abc" is not an integer from 10 to 1000000`},
		{[]string{"sweep", "--algos", "rloo,exact", "--out", filepath.Join(dir, "sw")}, "the exact gradient needs the pool policy"},
		{[]string{"sweep", "--seeds", "1", "--betas", "-1"}, `invalid --betas "-1"`},
		{[]string{"sweep", "--algos", "sgd"}, `invalid --algos "sgd": policy: bad settings: algorithm "sgd": want reinforce, rloo, ppo or exact`},
		{[]string{"pipeline", "--method", "ppo"}, `method "ppo": want rlhf, dpo or ipo`},
		{[]string{"pipeline", "--ensemble", "3", "--ensemble-agg", "max"}, `ensemble-agg`},
		{[]string{"pipeline", "--ensemble", "3", "--ensemble-k", "-1"}, "invalid --ensemble-k -1"},
		{[]string{"pipeline", "--reward", "gold"}, `reward "gold": want rm, verifier or mix`},
		{[]string{"pipeline", "--reward", "verifier", "--verifier-categories", "maths"}, `unknown category "maths"`},
		{[]string{"pipeline", "--verifier-categories", ""}, `invalid --verifier-categories`},
		{[]string{"pipeline", "--weak-tests", "1.5"}, "invalid --weak-tests 1.5"},
		{[]string{"pipeline", "--verifier-fn", "0.6", "--verifier-fp", "0.6"}, "false-negative plus false-positive rate"},
		{[]string{"pipeline", "--verifier-bar", "NaN"}, "invalid --verifier-bar"},
		{[]string{"pipeline", "--method", "ipo", "--reward", "mix"}, "optimises no reward"},
		{[]string{"run", "00", "--memory", "1MiB"}, `invalid --memory "1MiB": want a size from 256MiB to 1TiB`},
	} {
		before, _ := os.ReadDir(dir)
		code, _, stderr := rlhfsim(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line containing %q", c.args, code, stderr, c.want)
		}
		if strings.Contains(stderr, ".tmp") || strings.Contains(stderr, "renameio") {
			t.Errorf("%v: the message names a temporary file: %q", c.args, stderr)
		}
		if after, _ := os.ReadDir(dir); len(after) != len(before) {
			t.Errorf("%v: wrote a file despite the error", c.args)
		}
	}
	if b, _ := os.ReadFile(data); string(b) != string(good) {
		t.Error("the dataset changed")
	}
}

// TestOutputsThatAreNotFiles: an output onto a device or a FIFO used to
// replace it with a regular file (as root) and exit 0; an export into a
// path that cannot be a directory exited 1. Each is bad input: exit 2, a
// message naming the path, and the device or file left as it was.
func TestOutputsThatAreNotFiles(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep"), 0o644)
	dev := filepath.Join(dir, "dev.jsonl") // a link to a device, as a device file itself would be
	os.Symlink(os.DevNull, dev)
	os.Symlink(os.DevNull, filepath.Join(dir, "dev.json"))
	fifo := filepath.Join(dir, "fifo.jsonl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub.jsonl")
	os.Mkdir(sub, 0o755)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"data", "--prompts", "20", "--out", dev}, "not a regular file"},
		{[]string{"data", "--prompts", "20", "--out", fifo}, "not a regular file"},
		{[]string{"data", "--prompts", "20", "--out", sub}, "not a regular file"},
		{[]string{"train", "--prompts", "50", "--save-model", filepath.Join(dir, "dev.json")}, "not a regular file"},
		{[]string{"export", filepath.Join(plain, "lessons")}, "not a directory"},
	} {
		code, _, stderr := rlhfsim(c.args...)
		if code != 2 || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q", c.args, code, stderr, c.says)
		}
	}
	for _, p := range []string{dev, filepath.Join(dir, "dev.json")} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&os.ModeDevice == 0 {
			t.Errorf("%s no longer leads to a device: %v", p, err)
		}
	}
	if fi, err := os.Stat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep" {
		t.Error("the plain file changed")
	}
}
