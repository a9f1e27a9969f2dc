package notebook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// LessonFile is the file a lesson directory holds.
const LessonFile = "main.go"

// MaxLessonBytes is the largest lesson file the course reads: ten times
// the longest lesson of the embedded course, and small enough that a
// lesson can never exhaust memory on its own. MaxCells caps its cells.
const (
	MaxLessonBytes = 2 << 20
	MaxCells       = 10_000
)

// readLesson reads a lesson file through root: only a regular file
// (after resolving links, which must stay inside root) of at most
// MaxLessonBytes. A FIFO, a device or a link to one is refused before it
// is opened, so reading can neither hang nor run out of memory.
func readLesson(root *os.Root, name, shown string) ([]byte, error) {
	fi, err := root.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (a lesson must be a regular file inside the course's directory; a link may point only inside it)", shown, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): a lesson must be a plain .go file", shown, fi.Mode().Type())
	}
	if fi.Size() > MaxLessonBytes {
		return nil, fmt.Errorf("%s is %d bytes; a lesson may have at most %d: split it into several lessons", shown, fi.Size(), MaxLessonBytes)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have changed since Stat: read no more than the cap.
	src, err := io.ReadAll(io.LimitReader(f, MaxLessonBytes+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxLessonBytes {
		return nil, fmt.Errorf("%s grew past %d bytes while it was read", shown, MaxLessonBytes)
	}
	return src, nil
}

// ReadLessonFile reads the lesson file at name inside the directory dir,
// as readLesson does: a link that leaves dir, a FIFO, a device or a file
// over MaxLessonBytes is an error that names it.
func ReadLessonFile(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readLesson(root, name, filepath.Join(dir, name))
}

// Load parses every lesson directory of fsys (directories holding a
// main.go), in name order. dirName is how error messages name fsys, e.g.
// "lessons". Parse errors are collected, not fatal: every lesson that
// parses is returned.
func Load(fsys fs.FS, dirName string) ([]*Lesson, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var ls []*Lesson
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") || e.Name() == TemplateDir {
			continue
		}
		src, err := fs.ReadFile(fsys, path.Join(e.Name(), LessonFile))
		if err != nil {
			continue // not a lesson directory
		}
		l, err := Parse(e.Name(), path.Join(dirName, e.Name(), LessonFile), src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Meta.ID < ls[j].Meta.ID })
	return ls, errors.Join(errs...)
}

// LoadPath parses the lesson at p: a lesson directory or its main.go.
func LoadPath(p string) (*Lesson, error) {
	file := p
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		file = filepath.Join(p, LessonFile)
	}
	src, err := ReadLessonFile(filepath.Dir(file), filepath.Base(file))
	if err != nil {
		return nil, err
	}
	id := filepath.Base(filepath.Dir(file))
	if id == "." || id == "/" {
		id = strings.TrimSuffix(filepath.Base(file), ".go")
	}
	return Parse(id, file, src)
}

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// TemplateDir is the lesson directory that "rlhfsim new" copies. Load
// skips it: it is a lesson for authors, not for students.
const TemplateDir = "template"

// NewLesson returns the source of a new lesson called id, made from the
// template lesson's source (template/main.go in the embedded course).
func NewLesson(id string, template []byte) ([]byte, error) {
	if !slug.MatchString(id) || id == TemplateDir {
		return nil, fmt.Errorf("lesson name %q: use lower-case letters, digits and dashes, e.g. 08-my-lesson", id)
	}
	return bytes.Replace(template, []byte("// Title: "+TemplateDir+"\n"), []byte("// Title: "+id+"\n"), 1), nil
}
