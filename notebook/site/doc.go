// Package site writes the course as a static website that reruns its
// lessons in the browser, with nothing to install and no server of our
// own: any static host, or any local file server, serves it.
//
// Build runs every selected lesson natively at its defaults, so that each
// page shows its prose, code and outputs before anything loads, and
// writes the pages with their controls, quizzes and predictions as the
// live notebook has them. Moving a control reruns the lesson in the
// browser (package browser, compiled to WebAssembly by BuildRuntime),
// and the page's editor (CodeMirror, vendored in assets/codemirror with
// its licence) reruns the lesson as edited.
//
// The site's layout:
//
//	index.html            the course map
//	NN-name.html          one page per lesson
//	rt/                   the runtime: rlhfsim.wasm and its .gz, the Go
//	                      toolchain's wasm_exec.js (with Go's licence),
//	                      the scripts and the editor
//
// Pages link relatively, so the site works in any folder of any host.
// Browsers do not start Web Workers or load WebAssembly for pages opened
// as files (file://): the site needs a web server, however plain. Handler
// is one that also serves the precompressed files.
package site
