package notebook

import (
	"testing"
	"time"
)

// TestCourseRunsOnSixSeeds runs every lesson interpreted with the default
// seed and five others and requires every self-check to pass: a check that
// holds on one seed only would be testing luck, not the phenomenon.
func TestCourseRunsOnSixSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole course six times")
	}
	ls := loadCourse(t)
	if len(ls) < 8 {
		t.Fatalf("the course has %d lessons, want the tour and seven more", len(ls))
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5, 6} {
		for _, l := range ls {
			res := Run(l, Options{Seed: seed, Timeout: time.Minute})
			if res.Err != nil {
				t.Errorf("%s, seed %d: %v", l.Meta.ID, seed, res.Err)
				continue
			}
			if res.Checks == 0 {
				t.Errorf("%s has no self-check", l.Meta.ID)
			}
			for _, c := range res.Cells {
				for _, it := range c.Items {
					if e := it.Event; e != nil && e.Kind == "check" && !e.Pass {
						t.Errorf("%s, seed %d: check failed: %s (hint: %s)", l.Meta.ID, seed, e.Text, e.Hint)
					}
				}
			}
			if seed == 1 && res.Duration > 5*time.Second {
				t.Errorf("%s took %v, want at most 5 s", l.Meta.ID, res.Duration)
			}
		}
	}
}

// TestEveryLessonHasTheParts checks the course's promise for each lesson: a
// figure, a self-check, a quiz, a parameter and course-map metadata.
func TestEveryLessonHasTheParts(t *testing.T) {
	for _, l := range loadCourse(t) {
		res := Run(l, Options{})
		kinds := map[string]int{}
		for _, c := range res.Cells {
			for _, it := range c.Items {
				if it.Event != nil {
					kinds[string(it.Event.Kind)]++
				}
			}
		}
		for _, k := range []string{"figure", "check", "quiz", "param"} {
			if kinds[k] == 0 {
				t.Errorf("%s has no %s", l.Meta.ID, k)
			}
		}
		if len(l.Meta.LearnBefore) == 0 && l.Meta.ID != "00-notebook-tour" {
			t.Errorf("%s has no learn-before", l.Meta.ID)
		}
	}
}
