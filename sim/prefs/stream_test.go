package prefs

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeapDuring returns how far the live heap rose above where it stood
// before f, sampled every half millisecond with the collector set to run
// often, so garbage does not pile up and hide the live heap.
func peakHeapDuring(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
			time.Sleep(500 * time.Microsecond)
		}
	}()
	f()
	close(done)
	return peak.Load()
}

// TestWriteFileStreams writes a dataset and one four times its size: the
// heap used by writing must not grow with the file. Building the whole
// file in memory, as WriteFile once did, would add about four times the
// first file's size (about 2 MB per 1,000 prompts).
func TestWriteFileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10 MB")
	}
	dir := t.TempDir()
	var peaks, sizes []uint64
	for _, n := range []int{1500, 6000} {
		d := gen(t, &Settings{Prompts: n, K: 4}, nil, 1)
		p := filepath.Join(dir, "d.jsonl")
		peak := peakHeapDuring(func() {
			if err := WriteFile(p, d); err != nil {
				t.Fatal(err)
			}
		})
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		peaks, sizes = append(peaks, peak), append(sizes, uint64(fi.Size()))
	}
	t.Logf("peak heap above the dataset while writing files of %d and %d bytes: %d and %d bytes", sizes[0], sizes[1], peaks[0], peaks[1])
	// The collector's slack grows with the live heap (the dataset), so
	// the peak may wobble by a few MB; a buffered write would add three to
	// four times the file.
	if peaks[1] > sizes[1]/8 || peaks[1] > peaks[0]+6<<20 {
		t.Errorf("writing 4x the records raised the peak heap from %d to %d bytes", peaks[0], peaks[1])
	}
}
