// Package nbschema validates Jupyter notebooks against the official
// nbformat 4.5 JSON schema, vendored beside it with its licence, so that
// the tests can show the notebooks rlhfsim writes open in Jupyter.
package nbschema

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed nbformat.v4.5.schema.json
var schemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("nbformat.v4.5.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("nbformat.v4.5.schema.json")
})

// Validate reports why notebook is not a valid nbformat 4.5 notebook, or
// nil.
func Validate(notebook []byte) error {
	s, err := compiled()
	if err != nil {
		return fmt.Errorf("nbschema: the vendored schema does not compile: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(notebook))
	if err != nil {
		return err
	}
	return s.Validate(v)
}
