package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadLessonFileRefusesWhatCannotBeALesson: course directories arrive
// as repositories and tarballs, which can carry links and FIFOs. A link
// to /dev/zero used to exhaust memory and a FIFO to hang every reader;
// both, a link out of the course and an oversized file are refused with
// an error that names the file, before anything is read.
func TestReadLessonFileRefusesWhatCannotBeALesson(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(d, LessonFile)
	}
	if err := os.Symlink("/dev/zero", mk("zero")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(mk("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(outside, []byte(header+"package main\nfunc main() {\n\t// %%\n}\n"), 0o644)
	if err := os.Symlink(outside, mk("escape")); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, MaxLessonBytes+1)
	for i := range big {
		big[i] = '\n'
	}
	os.WriteFile(mk("big"), big, 0o644)
	for name, want := range map[string]string{
		"zero":   "inside the course's directory",
		"fifo":   "is not a regular file",
		"escape": "escapes",
		"big":    "a lesson may have at most",
	} {
		_, err := ReadLessonFile(dir, filepath.Join(name, LessonFile))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, want)
		}
		if _, err := LoadPath(filepath.Join(dir, name)); err == nil {
			t.Errorf("LoadPath read %s", name)
		}
	}
}

// TestDeclared: a lesson's parameters with a set value, the others at
// their defaults, a name it does not declare ignored.
func TestDeclared(t *testing.T) {
	l := &Lesson{Params: []ParamSpec{{Name: "k", Default: "4"}, {Name: "tau", Default: "1"}}}
	got := l.Declared(map[string]string{"tau": "2", "nope": "3"})
	if len(got) != 2 || got[0].Value != "4" || got[1].Value != "2" {
		t.Errorf("Declared: %+v", got)
	}
	if !l.Declares("k") || l.Declares("nope") {
		t.Error("Declares")
	}
}
