package lessons

import "embed"

// FS holds every lesson directory's main.go and the instructors' README.
//
//go:embed */main.go README.md INSTRUCTORS.md
var FS embed.FS
