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

	"github.com/google/renameio/v2"
)

// Write streams what write writes into path, atomically.
func Write(path string, write func(w io.Writer) error) (err error) {
	pf, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644), renameio.WithExistingPermissions())
	if err != nil {
		return clean(path, err)
	}
	defer pf.Cleanup()
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
