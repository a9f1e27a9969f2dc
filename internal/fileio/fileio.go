// Package fileio reads and writes rlhfsim's files. Every output is
// streamed into a pending file beside the target and renamed into place
// only when complete, so no reader ever sees half a file, a failed write
// leaves the old file as it was, and memory does not grow with the file.
// Errors name the file asked for, never the pending one.
package fileio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/google/renameio/v2"
)

// ErrNotRegular is wrapped by the error for a target that exists and is
// not a regular file: a device, a directory, a FIFO or a socket. Writing
// would replace it with a file, so it is refused.
var ErrNotRegular = errors.New("not a regular file")

// Write streams what write writes into path, atomically. The pending file
// lives beside path (so the rename cannot cross file systems and nothing
// is left in the temporary directory), and an interrupt or termination
// signal while it is open removes it before the program ends.
func Write(path string, write func(w io.Writer) error) (err error) {
	return writeFile(path, renameio.WithPermissions(0o644), renameio.WithExistingPermissions(), write)
}

// WritePrivate writes b to path atomically, readable by its owner only
// (0600, whatever the file had): for secrets such as students' links.
func WritePrivate(path string, b []byte) error {
	return writeFile(path, renameio.WithPermissions(0o600), renameio.WithPermissions(0o600), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

func writeFile(path string, perm, existing renameio.Option, write func(w io.Writer) error) (err error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("writing %s: %w (it is a %s); choose a file name", path, ErrNotRegular, kind(fi.Mode()))
	}
	pf, err := renameio.NewPendingFile(path, perm, existing,
		renameio.WithTempDir(filepath.Dir(path)))
	if err != nil {
		return clean(path, err)
	}
	track(pf.Name())
	defer func() {
		pf.Cleanup()
		untrack(pf.Name())
	}()
	bw := bufio.NewWriterSize(pf, 1<<16)
	if err := write(bw); err != nil {
		return clean(path, err)
	}
	if err := bw.Flush(); err != nil {
		return clean(path, err)
	}
	return clean(path, pf.CloseAtomicallyReplace())
}

// Read opens path and hands it to read, naming the file in read's error.
func Read(path string, read func(r io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := read(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteBytes writes b to path, atomically.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// kind names a file mode's type for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// pending holds the names of the pending files being written, for the
// signal handler that removes them.
var pending struct {
	sync.Mutex
	names map[string]bool
	sig   chan os.Signal
}

// track records a pending file, and while any is open, has SIGINT and
// SIGTERM remove them all before the signal takes its usual effect.
func track(name string) {
	pending.Lock()
	defer pending.Unlock()
	if pending.names == nil {
		pending.names = map[string]bool{}
	}
	pending.names[name] = true
	if pending.sig == nil {
		pending.sig = make(chan os.Signal, 1)
		signal.Notify(pending.sig, os.Interrupt, syscall.SIGTERM)
		go onSignal(pending.sig)
	}
}

func untrack(name string) {
	pending.Lock()
	defer pending.Unlock()
	delete(pending.names, name)
	if len(pending.names) == 0 && pending.sig != nil {
		signal.Stop(pending.sig)
		close(pending.sig)
		pending.sig = nil
	}
}

// onSignal removes the pending files when a signal arrives, then
// delivers the signal again with the handler gone, so the program ends
// (or another handler, such as serve's, sees it) as it would have.
func onSignal(c chan os.Signal) {
	s, ok := <-c
	if !ok {
		return
	}
	RemovePending()
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Signal(s)
	}
}

// RemovePending removes every pending file still being written and
// forgets them.
func RemovePending() {
	pending.Lock()
	defer pending.Unlock()
	for n := range pending.names {
		os.Remove(n)
	}
	pending.names = nil
	if pending.sig != nil {
		signal.Stop(pending.sig)
		pending.sig = nil
	}
}

// clean names path in err in place of the pending file's name.
func clean(path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("writing %s: %w", path, err)
}
