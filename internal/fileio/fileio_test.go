package fileio

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteIsAtomicAndNamesTheTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := WriteBytes(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves the old file, and no pending file behind.
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("stopped midway")
	})
	if err == nil || err.Error() != "writing "+p+": stopped midway" {
		t.Errorf("error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file holds %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files left in the directory", len(ents))
	}
	// A directory that does not exist: the message names the target only.
	bad := filepath.Join(dir, "missing", "x.txt")
	err = WriteBytes(bad, []byte("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "writing "+bad+": ") || strings.Count(err.Error(), dir) != 1 {
		t.Errorf("error %v", err)
	}
}
