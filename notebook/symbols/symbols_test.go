package symbols

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/traefik/yaegi/extract"

	"github.com/rlhfsim/rlhfsim/notebook/sandbox"
)

// TestSymbolsAreCurrent regenerates every package's symbols in memory, as
// "go generate" would, and compares them with the committed files: a
// lesson must never run against a stale view of the API.
func TestSymbolsAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks every exposed package from source")
	}
	r := strings.NewReplacer("/", "-", ".", "_", "~", "_")
	ext := extract.Extractor{Dest: "symbols"}
	for _, p := range sandbox.Project() {
		var buf bytes.Buffer
		if _, err := ext.Extract(p, "", &buf); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		file := r.Replace(p) + ".go"
		have, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./notebook/symbols)", p, err)
		}
		if !bytes.Equal(have, buf.Bytes()) {
			t.Errorf("%s is stale: run go generate ./notebook/symbols and commit the result", file)
		}
	}
}

func TestGenerateLineNamesTheProjectPackages(t *testing.T) {
	src, err := os.ReadFile("symbols.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract -name symbols (.*)`).FindSubmatch(src)
	if m == nil || strings.Join(sandbox.Project(), " ") != string(m[1]) {
		t.Errorf("the go:generate line of symbols.go must name sandbox.Project, in order: %s", strings.Join(sandbox.Project(), " "))
	}
}

func TestEveryPackageHasSymbols(t *testing.T) {
	for _, p := range sandbox.Project() {
		name := p[strings.LastIndex(p, "/")+1:]
		if len(Symbols[p+"/"+name]) == 0 {
			t.Errorf("no symbols for %s", p)
		}
	}
}
