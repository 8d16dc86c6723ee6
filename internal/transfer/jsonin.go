package transfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// jsonSkip are keys of `list --json` objects that describe where a
// milestone is, not what it is.
var jsonSkip = []string{"path", "project"}

// ReadJSON reads what `list --all --json` (or `export --format json`)
// prints: an array of milestone objects (a single object is accepted
// too). Every key comes back: known fields, unknown keys in order,
// dates and timestamps as written. An entry without an id gets one from
// its title; an entry whose id exists replaces that milestone.
func ReadJSON(r io.Reader) ([]Incoming, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read JSON: %w", err)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		data = append(append([]byte{'['}, data...), ']')
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("input is not a JSON array of milestone objects: %w", err)
	}
	out := make([]Incoming, len(raws))
	err = eachParallel(len(raws), func(i int) error {
		origin := fmt.Sprintf("entry %d", i+1)
		m, err := milestone.FromJSON(raws[i], jsonSkip...)
		if err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		if m.ID != "" {
			origin += " (id " + m.ID + ")"
			if err := milestone.ValidateID(m.ID); err != nil {
				return fmt.Errorf("%s: %w", origin, err)
			}
		}
		if m.Status == "" {
			m.Status = milestone.Planned
		}
		if m.Priority == "" {
			m.Priority = milestone.Medium
		}
		m.Extra = normalizeNumbers(m.Extra)
		out[i] = Incoming{M: m, Origin: origin}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// normalizeNumbers turns json.Number values of unknown keys into int64
// or float64, as YAML decoding gives them, so that a document written
// from JSON decodes back to the same fields.
func normalizeNumbers(fs []milestone.Field) []milestone.Field {
	for i := range fs {
		fs[i].Value = milestone.PlainNumbers(fs[i].Value)
	}
	return fs
}
