package serve

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// parsedFile is one lesson file's read and parse, and the file it came
// from: the same file (device and inode), size and modification time mean
// the same bytes.
type parsedFile struct {
	info os.FileInfo
	e    entry
}

// entry is one lesson of the course, or the error that stops it loading.
type entry struct {
	ID     string
	Lesson *notebook.Lesson
	Err    error
	Source []byte
	File   string
}

// embedded is the course built in, parsed once: it cannot change while
// the server runs, and parsing it again took a third of a cached page's
// time.
var embedded = sync.OnceValues(course.Embedded)

// lessons returns the course: the embedded lessons, or those in Dir,
// read now.
func (s *Server) lessons() ([]entry, error) {
	if s.opt.Dir == "" {
		c, err := embedded()
		if err != nil {
			return nil, err
		}
		out := make([]entry, len(c.Lessons))
		for i, l := range c.Lessons {
			out[i] = entry{ID: l.Meta.ID, Lesson: l, Source: l.Source, File: l.File}
		}
		return out, nil
	}
	des, err := os.ReadDir(s.opt.Dir)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, d := range des {
		if !d.IsDir() || d.Name() == notebook.TemplateDir {
			continue
		}
		e, ok := s.read(d.Name())
		if ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// read returns the lesson of directory name in Dir, from the cache when
// its file has not changed, and false when the directory holds no
// lesson file. A file that cannot be read safely is an entry with an
// error, shown as a broken lesson.
func (s *Server) read(name string) (entry, bool) {
	file := filepath.Join(s.opt.Dir, name, notebook.LessonFile)
	info, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false // not a lesson directory
	}
	s.parsedMu.Lock()
	c, hit := s.parsed[file]
	s.parsedMu.Unlock()
	if err == nil && hit && os.SameFile(c.info, info) && c.info.Size() == info.Size() && c.info.ModTime().Equal(info.ModTime()) {
		return c.e, true
	}
	src, err := notebook.ReadLessonFile(s.opt.Dir, filepath.Join(name, notebook.LessonFile))
	if errors.Is(err, fs.ErrNotExist) {
		return entry{}, false
	}
	if err != nil {
		return entry{ID: name, Err: err, File: file}, true
	}
	l, err := notebook.Parse(name, file, src)
	e := entry{ID: name, Lesson: l, Err: err, Source: src, File: file}
	if info != nil {
		s.parsedMu.Lock()
		if s.parsed == nil {
			s.parsed = map[string]parsedFile{}
		}
		s.parsed[file] = parsedFile{info: info, e: e}
		s.parsedMu.Unlock()
	}
	return e, true
}

// find returns the lesson called id, its neighbours, or false. The id is
// only ever compared with the course's own names, never used as a path.
// found is find for the lesson a request names, answering 404 itself
// when there is none.
func (s *Server) found(w http.ResponseWriter, r *http.Request) (e entry, prev, next *notebook.Meta, ok bool) {
	e, prev, next, ok = s.find(r.PathValue("id"))
	if !ok {
		deny(w, http.StatusNotFound, "no lesson %.60q in this course", r.PathValue("id"))
	}
	return e, prev, next, ok
}

func (s *Server) find(id string) (e entry, prev, next *notebook.Meta, ok bool) {
	ls, err := s.lessons()
	if err != nil {
		return entry{}, nil, nil, false
	}
	for i, x := range ls {
		if x.ID != id {
			continue
		}
		if i > 0 && ls[i-1].Lesson != nil {
			prev = &ls[i-1].Lesson.Meta
		}
		if i+1 < len(ls) && ls[i+1].Lesson != nil {
			next = &ls[i+1].Lesson.Meta
		}
		return x, prev, next, true
	}
	return entry{}, nil, nil, false
}

// request is a run's parameters, read from the query and checked with
// the rules of --set.
type request struct {
	set     map[string]string
	seed    uint64
	page    string
	student string
	code    string
	variant world.Variant
	// prewarm marks the server's own runs ahead of time, which yield to
	// students' runs.
	prewarm bool
	// member marks a class member's request: the page shows their name
	// and variant as set by their link.
	member bool
	// queued, if set, hears the run's place in the queue while it waits
	// for a slot (not part of what determines the run).
	queued func(position int)
}

// who names whose run a request is, for the queue's round-robin: a class
// member's name; everyone else shares one turn.
func (r request) who() string {
	if r.member {
		return "member:" + r.student
	}
	if r.prewarm {
		return "prewarm"
	}
	return ""
}

func (s *Server) parse(l *notebook.Lesson, q url.Values) (request, error) {
	r := request{set: map[string]string{}, seed: 1}
	if len(q) > maxParams {
		return r, fmt.Errorf("too many parameters (%d; at most %d)", len(q), maxParams)
	}
	for k, vs := range q {
		if len(vs) != 1 || len(vs[0]) > maxValueBytes || len(k) > maxValueBytes {
			return r, fmt.Errorf("parameter %.40q: give one value of at most %d bytes", k, maxValueBytes)
		}
		v := vs[0]
		switch k {
		case "seed":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 1_000_000 {
				return r, fmt.Errorf("seed %.40q: want a whole number from 1 to 1000000", v)
			}
			r.seed = n
		case "page":
			r.page = v
		case "student":
			r.student = strings.TrimSpace(v)
		case "variant":
			r.code = strings.TrimSpace(v)
		default:
			r.set[k] = v
		}
	}
	switch {
	case r.student != "":
		v, err := world.Student(r.student, r.code)
		if err != nil {
			return r, fmt.Errorf("student: %v", err)
		}
		r.variant = v
	case r.code != "":
		return r, errors.New("a variant code needs the name it was given for: fill in student too")
	}
	if e := l.CheckSet(r.set); e != nil {
		return r, errors.New(e.Msg)
	}
	return r, nil
}

// checked is l.Check(), remembered by the lesson's file and source:
// type-checking a lesson is a millisecond or more on every page load,
// and its verdict changes only with the source.
func (s *Server) checked(l *notebook.Lesson) notebook.ErrorList {
	k := sha256.Sum256(append([]byte(l.File+"\x00"), l.Source...))
	s.parsedMu.Lock()
	errs, ok := s.checks[k]
	s.parsedMu.Unlock()
	if ok {
		return errs
	}
	errs = l.Check()
	s.parsedMu.Lock()
	defer s.parsedMu.Unlock()
	if s.checks == nil || len(s.checks) >= 1024 {
		s.checks = map[[32]byte]notebook.ErrorList{}
	}
	s.checks[k] = errs
	return errs
}
