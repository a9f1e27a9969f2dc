package symbols

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/traefik/yaegi/extract"
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
	for _, p := range Packages {
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

func TestEveryPackageHasSymbols(t *testing.T) {
	for _, p := range Packages {
		name := p[strings.LastIndex(p, "/")+1:]
		if len(Symbols[p+"/"+name]) == 0 {
			t.Errorf("no symbols for %s", p)
		}
	}
}
