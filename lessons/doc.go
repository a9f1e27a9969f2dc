// Package lessons embeds the course, so that "rlhfsim run" works from any
// directory with no Go toolchain. Each lesson is a directory holding a Go
// package main; see README.md for the format.
package lessons
