package prefs

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/world"
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

// benchJSONL is the benchmarks' dataset, 2,000 prompts with K = 4, and
// its JSONL.
func benchJSONL(b *testing.B) (*Dataset, *bytes.Buffer) {
	d, err := Generate(world.Default(), []annotate.Annotator{{Name: "a", Tau: 1}}, &Settings{Prompts: 2000, K: 4}, rand.NewPCG(1, 1))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		b.Fatal(err)
	}
	return d, &buf
}

// BenchmarkRead reads 2,000 prompts' pairs (K = 4, 12,000 lines, about
// 20 MB) of JSONL; MB/s is the reading speed, to set beside Python's
// json.loads loop on the same file (see the README's benchmarks).
func BenchmarkRead(b *testing.B) {
	_, buf := benchJSONL(b)
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReadErrorsNameTheFieldAndLine: the fast decoder's vague messages
// are replaced by exact ones on the error path.
func TestReadErrorsNameTheFieldAndLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"prompt": "x"`, `line 1: invalid JSON`},
		{`{"prompt": 1}`, `line 1: field "prompt": a JSON number where a string belongs`},
		{`{"prompt": "a", "chosen_features": ["x"]}`, `line 1: field "chosen_features": a JSON string where a float64 belongs`},
		{`{"prompt": "a"}`, `line 1: missing field "chosen"`},
		{"\n\n" + `{"prompt": "a", "chosen": null}`, `line 3: missing field "chosen"`},
		{`{"prompt": "` + strings.Repeat("x", maxLine) + `"}`, `line 1: longer than 64 MiB`},
	} {
		_, err := Read(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}

// TestWriteIsTheSameOnAnyNumberOfCores: blocks are encoded on all cores and
// written in order, so the file is byte for byte the one that encoding
// line after line gives, whatever the number of cores.
func TestWriteIsTheSameOnAnyNumberOfCores(t *testing.T) {
	d := gen(t, &Settings{Prompts: 700, K: 4}, nil, 3) // 4,200 pairs: several rounds of blocks
	var serial bytes.Buffer
	if err := writeLines(&serial, d, d.Pairs, true); err != nil {
		t.Fatal(err)
	}
	for _, procs := range []int{1, 2, 3, 8} {
		var buf bytes.Buffer
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			if err := Write(&buf, d); err != nil {
				t.Fatal(err)
			}
		}()
		if !bytes.Equal(buf.Bytes(), serial.Bytes()) {
			t.Errorf("%d cores: %d bytes differ from the %d of one line after another", procs, buf.Len(), serial.Len())
		}
	}
}

// BenchmarkWrite writes the 2,000 prompts of BenchmarkRead as JSONL to
// memory; MB/s is the writing speed (response texts included).
func BenchmarkWrite(b *testing.B) {
	d, buf := benchJSONL(b)
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		buf.Reset()
		if err := Write(buf, d); err != nil {
			b.Fatal(err)
		}
	}
}
