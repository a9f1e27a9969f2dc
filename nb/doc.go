// Package nb is the notebook API that lessons call: parameters a student can
// change, figures, tables, self-checks, quizzes and predict-then-reveal
// questions.
//
// Under "rlhfsim run" the notebook runtime collects every call and renders
// it to the terminal, to HTML and to Markdown. Compiled with "go run
// ./lessons/NN-name", the same calls print plain text to standard output,
// and parameters can be set with "--set name=value" arguments.
//
// The API is plain, non-generic Go, because the lesson interpreter cannot
// see generic functions.
package nb
