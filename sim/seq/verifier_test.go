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
//
// Its weak-tests counterpart is not reproduced yet. With WeakTests = 0.9
// (or 1, with RightSound lowered to 0.5) training never finds answers
// made of filler alone: they are too rare under the reference policy, and
// honest solving already pays, so the pass rate and the right rate rise
// together there too. The test (gold falls while the pass rate
// rises) needs a more discoverable weakness.
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
