package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeqCommand(t *testing.T) {
	dir := t.TempDir()
	args := []string{"seq", "--prompts", "50", "--updates", "40", "--labels", "20", "--out", dir}
	code, stdout, stderr := rlhfsim(append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		World map[string]any `json:"world"`
		Runs  []struct {
			Reward string           `json:"reward"`
			Labels int              `json:"labels"`
			Points []map[string]any `json:"points"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 3 || rep.Runs[0].Reward != "outcome" || rep.Runs[2].Reward != "prm" || rep.World["MaxSteps"] != 6.0 {
		t.Fatalf("report %+v", rep)
	}
	// An outcome label per answer: 40 updates of 64.
	if rep.Runs[0].Labels != 40*64 || len(rep.Runs[0].Points) != 41 {
		t.Errorf("outcome run: %d labels, %d points", rep.Runs[0].Labels, len(rep.Runs[0].Points))
	}
	// A PRM's labels are the steps of 20 reference answers: 2.6 to 3.4
	// steps each on average (the reference takes about 3.1).
	if l := rep.Runs[2].Labels; l < 40 || l > 100 {
		t.Errorf("PRM from 20 answers cost %d step labels", l)
	}
	for _, k := range []string{"Right", "Pass", "Lucky", "Sound", "KL", "samples"} {
		if _, ok := rep.Runs[1].Points[10][k]; !ok {
			t.Errorf("point lacks %q", k)
		}
	}
	figs := map[string][]byte{}
	for _, f := range []string{"seq.json", "seq_sound_rate.svg", "seq_right.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Fatalf("--out did not write %s", f)
		}
		figs[f] = b
	}
	if !bytes.Equal(figs["seq.json"], []byte(stdout)) {
		t.Error("seq.json differs from the printed report")
	}
	// The same seed gives the same bytes; the tables name every reward.
	dir2 := t.TempDir()
	code, stdout, _ = rlhfsim("seq", "--prompts", "50", "--updates", "40", "--labels", "20", "--out", dir2)
	if code != 0 {
		t.Fatal("second run failed")
	}
	if b, _ := os.ReadFile(filepath.Join(dir2, "seq_right.svg")); !bytes.Equal(b, figs["seq_right.svg"]) {
		t.Error("the same seed drew a different figure")
	}
	for _, want := range []string{"outcome (verdict at the end)", "process (exact step labels)", "process (learned PRM)", "reference policy: sound-step rate"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tables lack %q", want)
		}
	}
	// Weak tests on hard problems: the table says the weakness was found.
	code, stdout, _ = rlhfsim("seq", "--rewards", "outcome", "--prompts", "100", "--right-sound", "0.2", "--right-lucky", "0.05",
		"--right-short", "0.02", "--weak-tests", "1")
	if code != 0 || !strings.Contains(stdout, "found its weakness") {
		t.Errorf("exit %d, weak tests not reported as found:\n%s", code, stdout)
	}
}

func TestSeqRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"seq", "--rewards", "outcome,gold"}, `"gold" is not outcome, process or prm`},
		{[]string{"seq", "--rewards", "prm,prm"}, "listed twice"},
		{[]string{"seq", "--rewards", ""}, "invalid --rewards"},
		{[]string{"seq", "--updates", "0"}, "invalid --updates 0"},
		{[]string{"seq", "--batch", "1"}, "invalid --batch 1"},
		{[]string{"seq", "--label-noise", "2"}, "invalid --label-noise 2"},
		{[]string{"seq", "--max-steps", "500"}, "invalid --max-steps 500"},
		{[]string{"seq", "--lr", "NaN"}, "invalid --lr"},
		{[]string{"seq", "--updates", "100000", "--batch", "100000"}, "at most 50,000,000"},
		{[]string{"seq", "--verifier-fn", "0.7", "--verifier-fp", "0.7"}, "seq: bad world"},
	} {
		code, stdout, stderr := rlhfsim(c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// Lesson 11 cites this command as overoptimisation of a process reward
// model: from five answers' labels at 40% noise the right rate first
// rises (0.349 to 0.463 within 12 updates on seed 2), then falls below
// its start (0.198 after 300) while the answers trade sound steps for
// filler. If the engine changes so that it does not rise first, or does
// not fall, the lesson's sentence must change too.
func TestSeqPRMOveroptimised(t *testing.T) {
	code, stdout, stderr := rlhfsim("seq", "--rewards", "prm", "--labels", "5", "--label-noise", "0.4", "--seed", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Runs []struct {
			Points []struct {
				Right, Sound, Steps float64
			} `json:"points"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Runs) != 1 {
		t.Fatalf("report: %v", err)
	}
	pts := rep.Runs[0].Points
	start, end, peak := pts[0], pts[len(pts)-1], pts[0]
	for _, p := range pts[:21] {
		if p.Right > peak.Right {
			peak = p
		}
	}
	if peak.Right < start.Right+0.05 {
		t.Errorf("right %.3f at best in the first 20 updates, from %.3f: want a rise of 0.05 first", peak.Right, start.Right)
	}
	if end.Right > start.Right-0.1 {
		t.Errorf("right %.3f at the end, from %.3f: want a fall of 0.1 below the start", end.Right, start.Right)
	}
	if !(end.Sound < peak.Sound/2 && end.Steps > peak.Steps+1) {
		t.Errorf("sound steps %.2f -> %.2f, steps %.2f -> %.2f from the peak: want sound steps halved and answers a step longer", peak.Sound, end.Sound, peak.Steps, end.Steps)
	}
}
