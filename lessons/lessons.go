// Package lessons embeds the course, so that "rlhfsim run" works from any
// directory with no Go toolchain. Each lesson is a directory holding a Go
// package main; see README.md for the format.
package lessons

import "embed"

// FS holds every lesson directory's main.go and the instructors' README.
//
//go:embed */main.go README.md
var FS embed.FS
