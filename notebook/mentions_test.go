package notebook

import (
	"fmt"
	"strings"
	"testing"
)

// lessonNaming is a lesson with the given prerequisites whose prose says
// prose on line 10 of its file.
func lessonNaming(t *testing.T, id, before, prose string) *Lesson {
	t.Helper()
	src := fmt.Sprintf(`// Title: %s
// Summary: s
// Minutes: 1
// Learn-before: %s
// Learn-after:
package main

func main() {
	// %%%% [markdown]
	// %s
}
`, id, before, prose)
	l, err := Parse(id, id+"/main.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestProseNamesOnlyLinkedLessons(t *testing.T) {
	a := lessonNaming(t, "01-a", "", "The start.")
	b := lessonNaming(t, "02-b", "01-a", "As lesson 01 showed.")
	c := lessonNaming(t, "03-c", "02-b", "Lessons 01 and 02 were before; lesson 04 is after.")
	d := lessonNaming(t, "04-d", "01-a", "Lesson 02 and lesson 03, and lesson 99, which is no lesson.")
	errs := CheckCourse([]*Lesson{a, b, c, d})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	// 03 names 04, and 04 names 02 and 03: none of them is linked, even
	// through other lessons (04 comes after 01, as 02 does, but that
	// makes them siblings, not prerequisites). 03 may name 01, the
	// prerequisite of its prerequisite.
	want := []string{
		"03-c/main.go:10: the prose names lesson 04 (04-d), which the course map does not link to this lesson: add it to Learn-before or Learn-after",
		"04-d/main.go:10: the prose names lesson 02 (02-b), which the course map does not link to this lesson: add it to Learn-before or Learn-after",
		"04-d/main.go:10: the prose names lesson 03 (03-c), which the course map does not link to this lesson: add it to Learn-before or Learn-after",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d.Meta.LearnAfter = []string{"02-b", "03-c"}
	c.Meta.LearnAfter = []string{"04-d"}
	if errs := CheckCourse([]*Lesson{a, b, c, d}); len(errs) > 0 {
		t.Errorf("linked lessons still reported: %v", errs)
	}
}
