package notebook

import (
	"bytes"
	"errors"
	"fmt"
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
	src, err := os.ReadFile(file)
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
