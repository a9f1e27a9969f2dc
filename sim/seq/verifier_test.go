package seq

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPerfectVerifierTracksGold: trained on a perfect verifier's verdict,
// the policy raises the rate of right answers exactly as it raises the
// pass rate (measured 0.34-0.35 -> 0.87-0.88 on seeds 1-6): a verifier is
// not hackable in the ways a learned reward model is.
func TestPerfectVerifierTracksGold(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six policies")
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			p, err := New(nil, Prompts(500, rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatal(err)
			}
			pts, err := Train(p, &Settings{Reward: Outcome}, rand.NewPCG(seed, 3))
			if err != nil {
				t.Fatal(err)
			}
			for _, pt := range pts {
				if pt.Pass != pt.Right {
					t.Fatalf("update %d: pass rate %v, right rate %v: a perfect verifier passes exactly the right answers", pt.Update, pt.Pass, pt.Right)
				}
			}
			a, z := pts[0], pts[len(pts)-1]
			t.Logf("right = pass: %.3f -> %.3f", a.Right, z.Right)
			if z.Right < a.Right+0.3 {
				t.Errorf("right answers %.3f -> %.3f: want a rise of 0.3", a.Right, z.Right)
			}
		})
	}
}

// TestWeakTestsAreFoundAndExploited: on hard problems, where even sound
// work gives a right answer only 20% of the time (and luck 5%), tests
// that pass every answer made of filler alone (hard-coded output) are
// found by training on the verifier: the pass rate climbs from about 0.09
// to 0.97 while the rate of right answers, the gold, falls from about
// 0.07 to 0.02 and sound steps disappear (seeds 1-6). The same training
// against a perfect verifier doubles the right rate (0.07 -> 0.17) and
// the sound steps with it. Where honest work pays about as much as the
// hole (RightSound 0.5 or more) training did not find the hole within 300
// updates: the weakness is exploited when it pays.
func TestWeakTestsAreFoundAndExploited(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twelve policies")
	}
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			for _, weak := range []float64{0, 1} {
				p, err := New(&World{RightSound: 0.2, RightLucky: 0.05, RightShort: 0.02, WeakTests: weak}, Prompts(500, rand.NewPCG(seed, 1)))
				if err != nil {
					t.Fatal(err)
				}
				pts, err := Train(p, &Settings{Reward: Outcome}, rand.NewPCG(seed, 3))
				if err != nil {
					t.Fatal(err)
				}
				a, z := pts[0], pts[len(pts)-1]
				t.Logf("weak tests %v: pass %.3f -> %.3f, right %.3f -> %.3f, sound steps %.2f -> %.2f", weak, a.Pass, z.Pass, a.Right, z.Right, a.Sound, z.Sound)
				switch {
				case weak == 0 && (z.Right < a.Right+0.05 || z.Pass != z.Right):
					t.Errorf("perfect verifier: right answers %.3f -> %.3f (pass %.3f): want a rise of 0.05, equal to the pass rate", a.Right, z.Right, z.Pass)
				case weak > 0 && (z.Pass < a.Pass+0.5 || z.Right > a.Right/2):
					t.Errorf("weak tests: pass %.3f -> %.3f, right %.3f -> %.3f: want the pass rate up by 0.5 and gold at most half its start", a.Pass, z.Pass, a.Right, z.Right)
				}
			}
		})
	}
}
