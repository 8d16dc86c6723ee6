package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// SeedFromYAML reads a shell-era YAML document; path is its
// repository-relative file (.milestones/active/<id>.yaml): the file name
// is the id, the folder says whether it was open.
func SeedFromYAML(file string, src []byte) (SeedDoc, error) {
	fields, err := format.DecodeLoose(file, src)
	if err != nil {
		return SeedDoc{}, err
	}
	d := SeedDoc{ID: strings.TrimSuffix(path.Base(file), ".yaml"), Path: file, Folder: path.Base(path.Dir(file))}
	for _, f := range fields {
		d.Fields = append(d.Fields, SeedField{Key: f.Key, Value: f.Value, Text: f.Text, Scalar: f.Scalar})
	}
	return d, nil
}

// SeedFromRow reads a row of the shell-era enterprise.db: its data column
// is the document as a JSON object (yq's conversion of the YAML).
func SeedFromRow(id string, data []byte, createdAt, updatedAt string) (SeedDoc, error) {
	d := SeedDoc{ID: id, CreatedAt: createdAt, UpdatedAt: updatedAt}
	origin := "enterprise.db row " + fmt.Sprintf("%q", id)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return d, fmt.Errorf("%s: data is not a JSON object", origin)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return d, fmt.Errorf("%s: data: %w", origin, err)
		}
		key, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return d, fmt.Errorf("%s: data key %s: %w", origin, key, err)
		}
		f := SeedField{Key: key, Value: v}
		switch x := v.(type) {
		case nil:
			f.Scalar = true
		case string:
			f.Text, f.Scalar = x, true
		case json.Number:
			f.Text, f.Scalar, f.Value = x.String(), true, milestone.PlainNumbers(x)
		case bool:
			f.Text, f.Scalar = fmt.Sprint(x), true
		default:
			f.Value = milestone.PlainNumbers(v)
		}
		d.Fields = append(d.Fields, f)
	}
	return d, nil
}
