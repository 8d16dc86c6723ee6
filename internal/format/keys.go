package format

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// KeyPos is where one top-level key of a document is written (1-based).
type KeyPos struct {
	Name   string
	Line   int
	Column int
}

// TopLevelKeys lists the top-level keys of a block-mapping document in
// order. ok is false when src is not one YAML document holding a block
// mapping with scalar keys.
func TopLevelKeys(src []byte) ([]KeyPos, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return nil, false
	}
	keys := make([]KeyPos, 0, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, false
		}
		keys = append(keys, KeyPos{Name: k.Value, Line: k.Line, Column: k.Column})
	}
	return keys, true
}

// Canon renders a decoded YAML value canonically, for comparing values of
// unknown keys: its Go type, a space and its YAML encoding (a value YAML
// cannot encode is rendered with %#v).
func Canon(v any) (s string) {
	defer func() {
		if recover() != nil {
			s = fmt.Sprintf("%T %#v", v, v)
		}
	}()
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T %#v", v, v)
	}
	return fmt.Sprintf("%T ", v) + string(b)
}
