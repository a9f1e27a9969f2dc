package workers

import (
	"errors"
	"fmt"
	"testing"
)

// TestEach: every job runs once into its own slot whatever the number of
// workers, progress counts to n one call at a time, and a failure stops
// new jobs and is reported by the lowest failing index.
func TestEach(t *testing.T) {
	for _, w := range []int{0, 1, 2, 7, 100} {
		out := make([]int, 50)
		var seen []int
		i, err := Each(len(out), w, func(i int) error { out[i] += i * i; return nil }, func(done, total int) {
			if total != 50 {
				t.Fatalf("total %d, want 50", total)
			}
			seen = append(seen, done)
		})
		if i != -1 || err != nil {
			t.Fatalf("workers %d: got %d, %v", w, i, err)
		}
		for k, v := range out {
			if v != k*k {
				t.Fatalf("workers %d: slot %d holds %d, want %d", w, k, v, k*k)
			}
		}
		for k, d := range seen {
			if d != k+1 {
				t.Fatalf("workers %d: progress %v, want 1..50 in order", w, seen)
			}
		}
	}
	boom := errors.New("boom")
	i, err := Each(20, 1, func(i int) error {
		if i >= 3 {
			return fmt.Errorf("job %d: %w", i, boom)
		}
		return nil
	}, nil)
	if i != 3 || !errors.Is(err, boom) {
		t.Fatalf("got %d, %v; want the first failure, job 3", i, err)
	}
	if i, err := Each(0, 2, func(int) error { return boom }, nil); i != -1 || err != nil {
		t.Fatalf("no jobs: got %d, %v", i, err)
	}
}
