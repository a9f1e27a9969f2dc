package notebook

import (
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
		if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || strings.HasPrefix(e.Name(), ".") {
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

// NewLesson returns the source of a new lesson called id, from the
// template documented in lessons/README.md.
func NewLesson(id string) ([]byte, error) {
	if !slug.MatchString(id) {
		return nil, fmt.Errorf("lesson name %q: use lower-case letters, digits and dashes, e.g. 08-my-lesson", id)
	}
	return []byte(strings.ReplaceAll(Template, "{{ID}}", id)), nil
}

// Template is the skeleton "rlhfsim new" writes.
const Template = `// Title: {{ID}}
// Summary: One sentence on what the student will see happen.
// Minutes: 10
// Learn-before: 01-hidden-truth
// Learn-after:
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/sim/pipeline"
)

func main() {
	// %% [markdown]
	// # A title students will read
	//
	// Prose cells are comment lines. Say what the student is about to see
	// and why it matters.

	// %%
	prompts := nb.Int("prompts", 500, 50, 5000, "number of prompts to generate")
	c := pipeline.Default()
	c.Seed = nb.Seed()
	c.Data.Prompts = prompts
	_, _, d, err := c.Data.Generate(c.Seed)
	if err != nil {
		panic(err)
	}
	fmt.Println("pairs:", len(d.Pairs))

	// %% [markdown]
	// Explain the output, then check that the phenomenon really happened.

	// %%
	nb.Check("every prompt gave K(K-1)/2 pairs", len(d.Pairs) == prompts*6,
		"a K-way ranking implies one pair per two responses")
	nb.Quiz("How many pairs does a ranking of 4 responses give?",
		[]string{"3", "4", "6", "12"}, 2, "C(4,2) = 6: every response beats all below it.")
}
`
