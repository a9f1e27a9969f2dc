package fileio

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// TestWriteRefusesWhatIsNotAFile: as root, writing onto /dev/null used to
// replace the device with a regular file. A device, a directory or a FIFO
// is refused before anything is created, and stays as it was.
func TestWriteRefusesWhatIsNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{os.DevNull, t.TempDir(), fifo} {
		before, _ := os.Stat(p)
		err := WriteBytes(p, []byte("x"))
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", p, err)
		}
		if after, _ := os.Stat(p); after.Mode() != before.Mode() {
			t.Errorf("%s changed from %v to %v", p, before.Mode(), after.Mode())
		}
	}
}

// TestPendingFilesLiveBesideTheTarget: the pending file is made in the
// target's directory, not in $TMPDIR, and RemovePending (what the signal
// handler calls) removes it.
func TestPendingFilesLiveBesideTheTarget(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	err := Write(p, func(w io.Writer) error {
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), ".out.txt") {
			t.Errorf("while writing, the directory holds %v", ents)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("$TMPDIR holds %v", ents)
		}
		RemovePending()
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("after RemovePending the directory holds %v", ents)
		}
		return errors.New("interrupted")
	})
	if err == nil {
		t.Error("the write succeeded without its pending file")
	}
}

// TestInterruptRemovesThePendingFile interrupts a process in the middle of
// a write (SIGINT, as Ctrl-C sends), and finds neither the target nor a
// pending file left behind.
func TestInterruptRemovesThePendingFile(t *testing.T) {
	if dir := os.Getenv("FILEIO_INTERRUPT_DIR"); dir != "" {
		Write(filepath.Join(dir, "big.jsonl"), func(w io.Writer) error {
			io.WriteString(w, strings.Repeat("x", 1<<20))
			syscall.Kill(os.Getpid(), syscall.SIGINT)
			select {} // the signal ends the process
		})
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptRemovesThePendingFile$")
	cmd.Env = append(os.Environ(), "FILEIO_INTERRUPT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Fatalf("the child ended with %v, want death by SIGINT: %s", err, out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}
