package format

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LooseField is one top-level key of a document read by DecodeLoose.
type LooseField struct {
	Key string
	// Value is the value decoded by yaml.v3 (an unquoted date is a
	// time.Time, a mapping a map[string]any, ...).
	Value any
	// Text is the text of a scalar as written ("" for null); Scalar says
	// whether the value is one.
	Text   string
	Scalar bool
	Line   int
}

// DecodeLoose reads a YAML mapping document without checking it against
// the milestone schema: every top-level key in document order with its
// value. It is how documents of other shapes (the shell-era layer of the
// design note) are read before they are converted. Syntax errors, a second
// document, conflict markers, duplicate keys and a root that is not a
// mapping are refused as *Error at path:line:col.
func DecodeLoose(path string, src []byte) ([]LooseField, error) {
	if line, text := conflictMarker(src); line > 0 {
		return nil, &Error{Path: path, Line: line, Col: 1,
			Msg: "unresolved merge conflict marker " + text + ": resolve the conflict and remove the markers"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	doc := new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Path: path, Msg: "the document is empty"}
		}
		return nil, syntaxError(path, src, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(path, src, err)
		}
		return nil, &Error{Path: path, Line: next.Line, Col: next.Column, Msg: "a second YAML document starts here: a milestone file holds one document"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{Path: path, Msg: "the document is empty"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Path: path, Line: root.Line, Col: root.Column, Msg: "a milestone document must be a mapping of keys to values, not " + describe(root)}
	}
	fields := make([]LooseField, 0, len(root.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return nil, &Error{Path: path, Line: k.Line, Col: k.Column, Msg: "keys must be plain strings, not " + describe(k)}
		}
		if first, dup := seen[k.Value]; dup {
			return nil, &Error{Path: path, Line: k.Line, Col: k.Column, Msg: "duplicate key " + k.Value + " (first at line " + strconv.Itoa(first) + ")"}
		}
		seen[k.Value] = k.Line
		f := LooseField{Key: k.Value, Line: k.Line}
		val := v
		if val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		if text, ok, err := scalarText(val); err != nil {
			return nil, &Error{Path: path, Line: v.Line, Col: v.Column, Msg: k.Value + ": " + err.Error()}
		} else if ok {
			f.Text, f.Scalar = text, true
		}
		if err := v.Decode(&f.Value); err != nil {
			return nil, decodeError(path, v, err)
		}
		fields = append(fields, f)
	}
	return fields, nil
}
