package notebook

import (
	"fmt"
	"regexp"
	"strings"
)

// mention finds "lesson 07", "lessons 06 and 08", "Lesson 12" in prose.
var mention = regexp.MustCompile(`\b[Ll]essons? (\d{2})((?:(?:, | and | or |, and )\d{2})*)`)

// checkMentions reports prose that names a lesson the course map does not
// link to the lesson naming it: a student told "as lesson 09 showed" should
// find lesson 09 among the lessons to take first, or to take next. The link
// may be indirect: lesson 07 may name lesson 04, a prerequisite of its
// prerequisite.
func checkMentions(ls []*Lesson) ErrorList {
	byNum := map[string]string{}
	next := map[string][]string{} // id -> lessons that come after it
	for _, l := range ls {
		byNum[strings.SplitN(l.Meta.ID, "-", 2)[0]] = l.Meta.ID
		for _, b := range l.Meta.LearnBefore {
			next[b] = append(next[b], l.Meta.ID)
		}
		next[l.Meta.ID] = append(next[l.Meta.ID], l.Meta.LearnAfter...)
	}
	reaches := func(from, to string) bool {
		seen := map[string]bool{}
		stack := []string{from}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if id == to {
				return true
			}
			if !seen[id] {
				seen[id] = true
				stack = append(stack, next[id]...)
			}
		}
		return false
	}
	var errs ErrorList
	for _, l := range ls {
		for _, c := range l.Cells {
			if c.Kind != Markdown {
				continue
			}
			for i, line := range strings.Split(c.Source, "\n") {
				for _, m := range mention.FindAllStringSubmatch(line, -1) {
					nums := append([]string{m[1]}, regexp.MustCompile(`\d{2}`).FindAllString(m[2], -1)...)
					for _, n := range nums {
						id := byNum[n]
						if id == "" || id == l.Meta.ID || reaches(id, l.Meta.ID) || reaches(l.Meta.ID, id) {
							continue
						}
						errs = append(errs, &Error{File: l.File, Line: c.Marker + 1 + i, Msg: fmt.Sprintf(
							"the prose names lesson %s (%s), which the course map does not link to this lesson: add it to Learn-before or Learn-after", n, id)})
					}
				}
			}
		}
	}
	return errs
}
