// Package grade holds what a student hands in and how it is graded.
//
// A Submission is one file per student: the answers they gave to
// quizzes, predictions and numbers (from the terminal, the static pages
// or the live notebook) and the code of their exercises. A Grader reruns
// every lesson in the student's own variant of the hidden world (drawn
// from the name and the instructor's secret), compares each answer with
// what that run says, and runs each exercise's hidden tests on the
// student's code, in lesson workers with the usual limits, so hostile
// code stops alone. Its result is a list of Items, written as a CSV and a
// feedback page per student.
//
// Answers are matched to questions by lesson, kind and question text, and
// graded by the text of the chosen option, so the order in which a
// student saw the options does not matter; a prediction's question and
// truth depend on the variant and the seed, so an answer given in another
// world does not match.
package grade
