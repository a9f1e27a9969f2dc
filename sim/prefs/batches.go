package prefs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"sync"

	gojson "github.com/goccy/go-json"
)

// decodedLine is one line of a file, decoded.
type decodedLine struct {
	n     int // its line number
	line  Line
	names rawJSON // the feature names as written (line.FeatureNames is nil)
	blank bool
	err   error // names the line
}

// decodeLine decodes line n of a file and checks its required fields.
func decodeLine(raw []byte, n int) decodedLine {
	if len(raw) == 0 {
		return decodedLine{n: n, blank: true}
	}
	var fast lineFast
	if err := gojson.Unmarshal(raw, &fast); err != nil {
		// The fast path's messages can be vague or its own; on the error
		// path encoding/json says exactly what is wrong.
		var in lineIn
		if !json.Valid(raw) {
			return decodedLine{n: n, err: lineErr(n, "invalid JSON: %v", json.Unmarshal(raw, &in))}
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return decodedLine{n: n, err: lineErr(n, "field %q: a JSON %s where a %s belongs", te.Field, te.Value, te.Type)}
			}
			return decodedLine{n: n, err: lineErr(n, "%v", err)}
		}
		return decodedLine{n: n, err: lineErr(n, "%v", err)}
	}
	l, names, missing := line(&fast)
	if missing != "" {
		return decodedLine{n: n, err: lineErr(n, "missing field %q", missing)}
	}
	return decodedLine{n: n, line: l, names: names}
}

// lineBatches reads a file's lines a batch at a time and decodes each
// batch on all cores while the caller works through the one before, then
// hands the lines back in file order, so that what is built from them, and
// the first error reported, are the same as reading one line after
// another. Memory holds a few batches, however long the file.
type lineBatches struct {
	out    chan *lineBatch
	stop   chan struct{}
	exited chan struct{}
	cur    *lineBatch
	i      int
	// count is the number of lines scanned and err the scanner's error,
	// set by the producer before it closes out.
	count int
	err   error
}

// lineBatch is a batch of lines, decoded once ready is closed.
type lineBatch struct {
	lines []decodedLine
	ready chan struct{}
}

func newLineBatches(sc *bufio.Scanner) *lineBatches {
	b := &lineBatches{out: make(chan *lineBatch, batchesAhead), stop: make(chan struct{}), exited: make(chan struct{})}
	go b.produce(sc)
	return b
}

// produce scans batches of lines and starts decoding each, until the file
// ends or close is called.
func (b *lineBatches) produce(sc *bufio.Scanner) {
	defer close(b.exited)
	defer close(b.out)
	count, size := 0, 1<<16
	var ends []int
	for {
		// One block holds the batch's bytes: the scanner reuses its
		// buffer, and one copy is cheaper than a copy per line. It is
		// sized from the batch before, so it seldom grows.
		block := make([]byte, 0, size+size/4)
		ends = ends[:0]
		for len(ends) < batchLines && sc.Scan() {
			block = append(block, bytes.TrimSpace(sc.Bytes())...)
			ends = append(ends, len(block))
		}
		if len(ends) == 0 {
			b.count, b.err = count, sc.Err()
			return
		}
		size = max(size, len(block))
		lb := &lineBatch{lines: make([]decodedLine, len(ends)), ready: make(chan struct{})}
		go lb.decode(block, append([]int(nil), ends...), count)
		count += len(ends)
		select {
		case b.out <- lb:
		case <-b.stop:
			return
		}
	}
}

// decode decodes the lines of block that end at ends, the first being line
// first+1 of the file, on all cores.
func (lb *lineBatch) decode(block []byte, ends []int, first int) {
	defer close(lb.ready)
	workers := min(runtime.GOMAXPROCS(0), 8)
	per := (len(ends) + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < len(ends); lo += per {
		hi := min(lo+per, len(ends))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := lo; k < hi; k++ {
				start := 0
				if k > 0 {
					start = ends[k-1]
				}
				lb.lines[k] = decodeLine(block[start:ends[k]:ends[k]], first+k+1)
			}
		}()
	}
	wg.Wait()
}

func (b *lineBatches) current() *decodedLine { return &b.cur.lines[b.i] }

// next moves to the next line, false at the end of the file.
func (b *lineBatches) next() bool {
	b.i++
	if b.cur != nil && b.i < len(b.cur.lines) {
		return true
	}
	lb, ok := <-b.out
	if !ok {
		return false
	}
	<-lb.ready
	b.cur, b.i = lb, 0
	return true
}

// close stops the producer and waits until it no longer reads the file.
func (b *lineBatches) close() {
	close(b.stop)
	<-b.exited
}

// batchLines is how many lines lineBatches decodes at a time, and
// batchesAhead how many decoded batches may wait for the reader.
const (
	batchLines   = 2048
	batchesAhead = 2
)
