package site

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/rlhfsim/rlhfsim/notebook"
	"github.com/rlhfsim/rlhfsim/notebook/course"
	"github.com/rlhfsim/rlhfsim/notebook/render"
	"github.com/rlhfsim/rlhfsim/notebook/worker"
)

//go:embed assets
var assets embed.FS

// Module is the import path of the module whose source BuildRuntime
// compiles.
const Module = "github.com/rlhfsim/rlhfsim"

// Options configure Build. Out must be set; the zero value of the rest
// builds the runtime with the Go toolchain, runs the lessons with the
// default limits, one per core, and prints nothing.
type Options struct {
	// Out is the site's directory; it is made if missing, and the files
	// the site has are replaced one by one (each written whole).
	Out string
	// Runtime is a directory holding rlhfsim.wasm and wasm_exec.js, such
	// as the rt folder of a site built before; empty builds them
	// (BuildRuntime).
	Runtime string
	// Limits bound the native runs that fill the pages.
	Limits worker.Limits
	// Workers is how many lessons run at once; 0 means one per core.
	Workers int
	// Log receives a line for each step and each lesson that stops.
	Log io.Writer
	// Release says the lessons are the students' version (rlhfsim
	// release): the editor says so instead of warning that the source
	// holds the answers.
	Release bool
	// Browser holds the time limits of runs in the browser; zero fields
	// mean BrowserLimits'.
	Browser worker.Limits
}

// BrowserSlowdown is how many times longer the browser may take than a
// native run before its time limits stop it: the slowest lessons ran
// about six times slower there (README, the static site's table), so the
// same work gets the same chance and an endless loop is still stopped.
const BrowserSlowdown = 6

// BrowserLimits returns the time limits of runs in the browser: l's, or
// where zero the native defaults times BrowserSlowdown (a minute a cell,
// half an hour a lesson).
func BrowserLimits(l worker.Limits) worker.Limits {
	if l.Cell <= 0 {
		l.Cell = BrowserSlowdown * worker.DefaultCellTimeout
	}
	if l.Lesson <= 0 {
		l.Lesson = BrowserSlowdown * worker.DefaultLessonTimeout
	}
	return l
}

// Report is what Build did.
type Report struct {
	// Pages are the lesson pages written, in order, relative to Out.
	Pages []string
	// Stopped counts the lessons whose run at the defaults stopped: their
	// pages show why.
	Stopped int
	// Runtime is the size of rlhfsim.wasm, and Compressed of its .gz.
	Runtime, Compressed int64
}

// Build writes the static site of the lessons sel of c.
func Build(ctx context.Context, c *course.Course, sel []*notebook.Lesson, o Options) (*Report, error) {
	if o.Out == "" {
		return nil, errors.New("site: Options.Out is empty: give the site's directory")
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	rep := &Report{}
	if o.Runtime != "" {
		// Before anything is written: a wrong folder leaves no half site.
		for _, name := range runtimeFiles {
			if _, err := os.Stat(filepath.Join(o.Runtime, name)); err != nil {
				return nil, &course.InputError{Err: fmt.Errorf("--runtime %s: %w (give the rt folder of a site built before, which holds rlhfsim.wasm, wasm_exec.js and LICENSE-go)", o.Runtime, unwrap(err))}
			}
		}
	} else if _, _, _, err := toolchain(ctx); err != nil {
		return nil, err // nor does a machine that cannot build the runtime
	}
	rt := filepath.Join(o.Out, "rt")
	if err := os.MkdirAll(rt, 0o755); err != nil {
		return nil, &course.InputError{Err: fmt.Errorf("creating the site's directory: %w", err)}
	}
	if o.Runtime != "" {
		if err := copyRuntime(o.Runtime, rt); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintln(o.Log, "rlhfsim site: building the WebAssembly runtime with the Go toolchain (about a minute the first time)…")
		if err := BuildRuntime(ctx, rt); err != nil {
			return nil, err
		}
	}
	if err := writeAssets(rt); err != nil {
		return nil, err
	}
	fmt.Fprintln(o.Log, "rlhfsim site: compressing the runtime…")
	for _, name := range []string{"rlhfsim.wasm", "wasm_exec.js"} {
		n, z, err := precompress(filepath.Join(rt, name))
		if err != nil {
			return nil, err
		}
		if name == "rlhfsim.wasm" {
			rep.Runtime, rep.Compressed = n, z
		}
	}
	fmt.Fprintf(o.Log, "rlhfsim site: running %d lessons at their defaults for the pages…\n", len(sel))
	// The runs write figure files the pages do not use: not into the site.
	scratch, err := os.MkdirTemp("", "rlhfsim-site-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(scratch)
	res, err := c.Run(ctx, sel, nil, course.Options{Out: scratch, Limits: o.Limits, Workers: o.Workers, Stderr: o.Log})
	if err != nil {
		return rep, err
	}
	lim := BrowserLimits(o.Browser)
	rep.Stopped = res.Stopped
	for i, l := range sel {
		var prev, next *notebook.Meta
		if i > 0 {
			prev = &sel[i-1].Meta
		}
		if i+1 < len(sel) {
			next = &sel[i+1].Meta
		}
		b, err := page(res.Results[l.Meta.ID], prev, next, o.Release, lim)
		if err != nil {
			return rep, fmt.Errorf("rendering %s: %w", l.Meta.ID, err)
		}
		name := l.Meta.ID + ".html"
		if err := course.WriteFile(filepath.Join(o.Out, name), b); err != nil {
			return rep, err
		}
		rep.Pages = append(rep.Pages, name)
	}
	// What a class's server needs to know of the site: whether it is
	// the students' version, which it may serve a class.
	var ids []string
	for _, l := range sel {
		ids = append(ids, l.Meta.ID)
	}
	man, _ := json.MarshalIndent(Manifest{Format: ManifestFormat, Release: o.Release, Lessons: ids}, "", "  ")
	if err := course.WriteFile(filepath.Join(o.Out, ManifestFile), append(man, '\n')); err != nil {
		return rep, err
	}
	var idx bytes.Buffer
	if err := Index(&idx, sel); err != nil {
		return rep, err
	}
	if err := course.WriteFile(filepath.Join(o.Out, "index.html"), idx.Bytes()); err != nil {
		return rep, err
	}
	return rep, ctx.Err()
}

// ManifestFile is the file in a site's folder that describes it.
const ManifestFile = "site.json"

// ManifestFormat names the manifest's format.
const ManifestFormat = "rlhfsim-site/1"

// Manifest describes a built site.
type Manifest struct {
	Format string `json:"format"`
	// Release says the pages hold the students' version of the lessons
	// (no quiz answers, no solutions, no hidden tests).
	Release bool `json:"release"`
	// Lessons are the pages' lessons, in order.
	Lessons []string `json:"lessons"`
}

// ReadManifest reads the manifest of the site in dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a site built by this rlhfsim (no %s): build it with rlhfsim site --out %s --release", dir, ManifestFile, dir)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: not a site manifest of this rlhfsim (%s); build the site again", filepath.Join(dir, ManifestFile), ManifestFormat)
	}
	return &m, nil
}

// Page renders a lesson's page from its run at the defaults (seed 1, the
// standard world): the outputs a reader sees before the runtime loads.
func Page(res *notebook.Result, prev, next *notebook.Meta) ([]byte, error) {
	return page(res, prev, next, false, BrowserLimits(worker.Limits{}))
}

func page(res *notebook.Result, prev, next *notebook.Meta, release bool, lim worker.Limits) ([]byte, error) {
	l := res.Lesson
	params := res.Params
	if len(params) == 0 {
		params = l.Declared(nil)
	}
	defaults := map[string]string{}
	for _, p := range l.Params {
		defaults[p.Name] = p.Default
	}
	sum := sha256.Sum256(l.Source)
	cfg := map[string]any{"id": l.Meta.ID, "file": l.File, "source": string(l.Source), "prev": link(prev), "next": link(next), "release": release,
		// The page sends only the values a student changed, so that an
		// edited default in the code takes effect.
		"defaults": defaults,
		// An edit kept in the browser belongs to this version of the
		// lesson: a republished lesson does not run an old edit.
		"version":   hex.EncodeToString(sum[:8]),
		"cellLimit": lim.Cell.Seconds(), "lessonLimit": lim.Lesson.Seconds()}
	js, err := json.Marshal(cfg) // escapes <, > and &: safe inside a script element
	if err != nil {
		return nil, err
	}
	script := template.HTML(`<link rel="stylesheet" href="rt/site.css">
<script>var rlhfsimLesson=` + string(js) + `;</script>
<script src="rt/site.js"></script>`)
	var b bytes.Buffer
	err = render.HTMLLive(&b, res, prev, next, &render.Live{Params: params, Seed: res.Seed, Site: true, Script: script})
	return b.Bytes(), err
}

func link(m *notebook.Meta) map[string]string {
	if m == nil {
		return nil
	}
	return map[string]string{"id": m.ID, "title": m.Title}
}

// Index writes the course map of the lessons sel.
func Index(w io.Writer, sel []*notebook.Lesson) error {
	return indexTmpl.Execute(w, map[string]any{"Lessons": sel, "Download": render.Download})
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>rlhfsim · the course</title>
<style>body{font-family:"Liberation Sans",Arial,sans-serif;line-height:1.5;max-width:52rem;margin:0 auto;padding:1.5rem}
h1{border-bottom:2px solid #0072B2}li{margin:.7rem 0}.meta{color:#666;font-size:.92rem}.done{color:#009E73;font-weight:bold}</style></head>
<body><h1>How the reward model of RLHF works</h1>
<p>Every lesson runs in this browser: change a parameter, or the lesson's code, and it runs again here, with nothing installed. The simulator loads once (about 15 MB). Your answers and progress stay in this browser.</p>
<main><ol id="lessons">{{range .Lessons}}<li data-lesson="{{.Meta.ID}}"><a href="{{.Meta.ID}}.html">{{.Meta.Title}}</a> <span class="done" hidden>✓ done</span>
<div class="meta">{{.Meta.ID}} · {{.Meta.Minutes}} minutes{{with .Meta.LearnBefore}} · after {{range $i, $id := .}}{{if $i}}, {{end}}{{$id}}{{end}}{{end}}</div><div>{{.Meta.Summary}}</div></li>
{{end}}</ol>
{{.Download}}</main>
<script>
document.querySelectorAll('#lessons li').forEach(function(li){
  if(localStorage.getItem('rlhfsim:done:'+li.dataset.lesson)==='1'){li.querySelector('.done').hidden=false;}
});
</script>
</body></html>`))

// writeAssets copies the embedded scripts, styles and editor into rt.
func writeAssets(rt string) error {
	return fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		return course.WriteFile(filepath.Join(rt, filepath.FromSlash(strings.TrimPrefix(p, "assets/"))), b)
	})
}

// runtimeFiles are what BuildRuntime makes.
var runtimeFiles = []string{"rlhfsim.wasm", "wasm_exec.js", "LICENSE-go"}

// copyRuntime takes rlhfsim.wasm, wasm_exec.js and Go's licence from a
// directory built before.
func copyRuntime(from, rt string) error {
	for _, name := range runtimeFiles {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			return &course.InputError{Err: fmt.Errorf("--runtime %s: %w (give the rt folder of a site built before, which holds rlhfsim.wasm, wasm_exec.js and LICENSE-go)", from, unwrap(err))}
		}
		if filepath.Clean(from) == filepath.Clean(rt) {
			continue
		}
		if err := course.WriteFile(filepath.Join(rt, name), b); err != nil {
			return err
		}
	}
	return nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// precompress writes name.gz beside name, for hosts that serve
// precompressed files, and returns both sizes.
func precompress(name string) (n, z int64, err error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.ModTime = time.Time{} // the same bytes every build
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return 0, 0, err
	}
	if err := course.WriteFile(name+".gz", buf.Bytes()); err != nil {
		return 0, 0, err
	}
	return int64(len(b)), int64(buf.Len()), nil
}

// toolchain finds what building the runtime needs: the go command, the
// root of the rlhfsim source it is run in, and the toolchain's GOROOT.
func toolchain(ctx context.Context) (gobin, root, goroot string, err error) {
	gobin, err = exec.LookPath("go")
	if err != nil {
		return "", "", "", &course.InputError{Err: errors.New("building the WebAssembly runtime needs the Go toolchain on the PATH; or give --runtime, the rt folder of a site built before")}
	}
	env := func(name string) (string, error) {
		out, err := exec.CommandContext(ctx, gobin, "env", name).Output()
		return strings.TrimSpace(string(out)), err
	}
	gomod, err := env("GOMOD")
	if err != nil {
		return "", "", "", fmt.Errorf("go env GOMOD: %w", err)
	}
	if mod, _ := os.ReadFile(gomod); gomod == "" || gomod == os.DevNull || !bytes.HasPrefix(bytes.TrimSpace(mod), []byte("module "+Module+"\n")) {
		return "", "", "", &course.InputError{Err: fmt.Errorf("building the WebAssembly runtime needs the rlhfsim source: run this inside a clone of the repository (module %s), or give --runtime, the rt folder of a site built before", Module)}
	}
	goroot, err = env("GOROOT")
	if err != nil {
		return "", "", "", fmt.Errorf("go env GOROOT: %w", err)
	}
	return gobin, filepath.Dir(gomod), goroot, nil
}

// BuildRuntime compiles the WebAssembly runtime (cmd/rlhfsim-wasm) into
// rt/rlhfsim.wasm with the Go toolchain on the PATH, from the module
// source in the current directory, and copies that toolchain's
// wasm_exec.js, which must match it, with Go's licence.
func BuildRuntime(ctx context.Context, rt string) error {
	gobin, root, goroot, err := toolchain(ctx)
	if err != nil {
		return err
	}
	tmp := filepath.Join(rt, ".rlhfsim.wasm.building")
	defer os.Remove(tmp)
	cmd := exec.CommandContext(ctx, gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, "./cmd/rlhfsim-wasm")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the WebAssembly runtime: %v\n%s", err, stderr.String())
	}
	if err := os.Rename(tmp, filepath.Join(rt, "rlhfsim.wasm")); err != nil {
		return err
	}
	for _, f := range [][2]string{{"lib/wasm/wasm_exec.js", "wasm_exec.js"}, {"LICENSE", "LICENSE-go"}} {
		b, err := os.ReadFile(filepath.Join(goroot, filepath.FromSlash(f[0])))
		if err != nil {
			return fmt.Errorf("the Go toolchain's %s: %w", path.Base(f[0]), err)
		}
		if err := course.WriteFile(filepath.Join(rt, f[1]), b); err != nil {
			return err
		}
	}
	return nil
}
