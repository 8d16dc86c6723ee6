package milestone

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Fields returns the document's keys and values in canonical order (known
// keys first, then Extra in document order), omitting empty fields. Values
// are strings, []string, int or the decoded YAML value of an unknown key.
func (m *Milestone) Fields() []Field {
	var fs []Field
	for _, k := range Keys {
		if v, ok := m.Get(k); ok {
			fs = append(fs, Field{k, v})
		}
	}
	if m.Title == "" { // required: always written
		fs = append([]Field{{KeyTitle, ""}}, fs...)
	}
	return append(fs, m.Extra...)
}

// JSON encodes m as one JSON object: "id", then Fields() in order, then
// the extra fields given (for example "path"). This is the object of the
// `show --json` contract.
func (m *Milestone) JSON(extra ...Field) ([]byte, error) {
	return m.writeObject(m.Fields(), extra)
}

// ContractJSON encodes m as the object scripts rely on (show --json, list
// --json): "id", then every known key, null where unset and [] for an
// empty labels or depends_on, then the unknown keys, then extra.
func (m *Milestone) ContractJSON(extra ...Field) ([]byte, error) {
	var fields []Field
	for i, k := range Keys {
		v, ok := m.Get(k)
		switch {
		case Fields[i].Kind == KindList:
			v = nonNil(v.([]string))
		case !ok:
			v = nil
		}
		fields = append(fields, Field{k, v})
	}
	return m.writeObject(append(fields, m.Extra...), extra)
}

// writeObject writes "id", the document fields and the extra fields as one
// JSON object with one value per key: a document's own "id" key (the id is
// the file name; fsck reports a mismatch), or one named like an extra field
// given here ("path"), would give parsers two values to choose from. The id
// and the given fields win.
func (m *Milestone) writeObject(doc, extra []Field) ([]byte, error) {
	given := make(map[string]bool, len(extra)+1)
	given["id"] = true
	for _, f := range extra {
		given[f.Key] = true
	}
	fields := []Field{{"id", m.ID}}
	for _, f := range doc {
		if !given[f.Key] {
			fields = append(fields, f)
		}
	}
	fields = append(fields, extra...)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalNoEscape(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshalNoEscape(f.Value)
		if err != nil {
			return nil, fmt.Errorf("milestone %s: field %s: %w", m.ID, f.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so text such as
// "<b>" or "&" is written as is.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(JSONable(v)); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// JSONable turns the map[any]any values YAML may decode (which
// encoding/json refuses) into map[string]any, recursively, copying maps
// and lists.
func JSONable(v any) any {
	switch t := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = JSONable(e)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = JSONable(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = JSONable(e)
		}
		return s
	}
	return v
}

// PlainNumbers turns the json.Number values in v (as FromJSON and a
// decoder with UseNumber leave them) into int, or float64 when not whole
// (kept as text when not even that), recursively and in place.
func PlainNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return int(n)
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return t.String()
	case map[string]any:
		for k, e := range t {
			t[k] = PlainNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = PlainNumbers(e)
		}
	}
	return v
}

// FromJSON decodes an object written by JSON back into a Milestone. Unknown
// keys (other than "id" and the names in skip) become Extra in object order.
// Numbers in unknown keys decode as json.Number.
func FromJSON(data []byte, skip ...string) (Milestone, error) {
	if json.Valid(data) {
		var m Milestone
		isObject, err := eachMember(data, func(key string, raw []byte) error {
			if err := m.setJSON(key, raw, skip); err != nil {
				return fmt.Errorf("decode milestone JSON key %s: %w", key, err)
			}
			return nil
		})
		if isObject {
			return m, err
		}
	}
	return fromJSONStream(data, skip)
}

// fromJSONStream is FromJSON through encoding/json's tokens: what names
// the problem in an input that is not valid JSON, or not an object.
func fromJSONStream(data []byte, skip []string) (Milestone, error) {
	var m Milestone
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return m, fmt.Errorf("decode milestone JSON: not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return m, fmt.Errorf("decode milestone JSON: %w", err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return m, fmt.Errorf("decode milestone JSON key %s: %w", key, err)
		}
		if err := m.setJSON(key, raw, skip); err != nil {
			return m, fmt.Errorf("decode milestone JSON key %s: %w", key, err)
		}
	}
	return m, nil
}

func (m *Milestone) setJSON(key string, raw json.RawMessage, skip []string) error {
	for _, s := range skip {
		if key == s {
			return nil
		}
	}
	if IsKnownKey(key) && string(bytes.TrimSpace(raw)) == "null" {
		return nil // a contract object's unset field
	}
	if key == "id" {
		return json.Unmarshal(raw, &m.ID)
	}
	if f, ok := Spec(key); ok {
		switch f.Kind {
		case KindList:
			return json.Unmarshal(raw, f.list(m))
		case KindInt:
			var p int
			if err := json.Unmarshal(raw, &p); err != nil {
				return err
			}
			*f.num(m) = &p
			return nil
		}
		return json.Unmarshal(raw, f.text(m))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	m.Extra = append(m.Extra, Field{key, v})
	return nil
}

// eachMember calls fn with the key and the raw value of every member of
// the JSON object data, in order, and reports whether data is an object.
// data must be valid JSON (json.Valid): the scan only finds where each
// key and value ends. It is FromJSON's split of an object without
// json.Decoder, which builds (and drops) an error after every scalar
// value followed by more input: most of the time of an import.
func eachMember(data []byte, fn func(key string, raw []byte) error) (bool, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false, nil
	}
	i++
	for {
		i = skipSpace(data, i)
		switch data[i] {
		case '}':
			return true, nil
		case ',':
			i = skipSpace(data, i+1)
		}
		end := stringEnd(data, i)
		key, err := jsonKey(data[i:end])
		if err != nil {
			return true, fmt.Errorf("decode milestone JSON: %w", err)
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the ':'
		end = valueEnd(data, i)
		if err := fn(key, data[i:end]); err != nil {
			return true, err
		}
		i = end
	}
}

// jsonKey is the string of the quoted key q: copied when it is plain
// ASCII, otherwise decoded as encoding/json decodes it (escapes, invalid
// UTF-8 replaced).
func jsonKey(q []byte) (string, error) {
	for _, c := range q {
		if c == '\\' || c >= 0x80 {
			var k string
			err := json.Unmarshal(q, &k)
			return k, err
		}
	}
	return string(q[1 : len(q)-1]), nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index after the string that starts at data[i] ('"').
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd is the index after the value that starts at data[i].
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); {
			switch data[j] {
			case '"':
				j = stringEnd(data, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(data)
	}
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
		j++
	}
	return j
}

// nonNil returns s, or an empty list for nil (JSON [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
