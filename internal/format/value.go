package format

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// ParseValue parses VALUE of `--set KEY=VALUE` for an unknown key as one YAML
// scalar or flow collection, decoded as Decode decodes unknown keys: "3" is 3,
// "1.5" is 1.5, "true" is true, "~" is nil, "2026-01-02" is a time.Time,
// "[a, b]" is []any{"a", "b"}, `"007"` is "007". Other plain text, block
// syntax, tags, anchors and anything that does not parse are the string s,
// exactly as given.
func ParseValue(s string) any {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return s
	}
	v := doc.Content[0]
	if v.Anchor != "" || v.Style&yaml.TaggedStyle != 0 {
		return s
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return s
		}
		if v.Style == 0 {
			if v.Value == "" { // an empty document, "---"
				return s
			}
			switch v.ShortTag() {
			case "!!int", "!!float", "!!bool", "!!null", "!!timestamp":
			default:
				return s
			}
		}
	case yaml.SequenceNode, yaml.MappingNode:
		if v.Style&yaml.FlowStyle == 0 {
			return s
		}
	default:
		return s
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return s
	}
	return x
}

// normalized returns a copy of m with the defaults Decode applies: status
// planned, priority medium, empty lists and Extra as nil.
func normalized(m milestone.Milestone) milestone.Milestone {
	m = m.Clone()
	if m.Status == "" {
		m.Status = milestone.Planned
	}
	if m.Priority == "" {
		m.Priority = milestone.Medium
	}
	if len(m.Labels) == 0 {
		m.Labels = nil
	}
	if len(m.DependsOn) == 0 {
		m.DependsOn = nil
	}
	if len(m.Extra) == 0 {
		m.Extra = nil
	}
	return m
}

// fieldValue returns the value of key in m as Encode sees it (string,
// []string, int or an Extra value) and whether the key is present.
func fieldValue(m *milestone.Milestone, key string) (any, bool) {
	if key == milestone.KeyTitle {
		return m.Title, true // required: written even when empty
	}
	return m.Get(key)
}

// sameField reports whether key has the same value (or is absent) in a and b.
func sameField(a, b *milestone.Milestone, key string) bool {
	va, pa := fieldValue(a, key)
	vb, pb := fieldValue(b, key)
	if pa != pb {
		return false
	}
	return !pa || valuesEqual(va, vb)
}

// equalMilestones compares two normalized milestones field by field. Extra
// is compared as a set of keys: Rewrite keeps the file's key order.
func equalMilestones(a, b *milestone.Milestone) (bool, string) {
	if a.ID != b.ID {
		return false, "id"
	}
	for _, k := range milestone.Keys {
		if !sameField(a, b, k) {
			return false, k
		}
	}
	if len(a.Extra) != len(b.Extra) {
		return false, "unknown keys"
	}
	for _, f := range a.Extra {
		if !sameField(a, b, f.Key) {
			return false, f.Key
		}
	}
	return true, ""
}

// valuesEqual compares decoded YAML values: like reflect.DeepEqual, except
// that times compare by instant and offset, numbers by value whatever their
// Go type, NaN equals NaN and a json.Number equals the number it spells.
func valuesEqual(a, b any) bool {
	if eq, ok := compositeEqual(a, b); ok {
		return eq
	}
	if _, ok := b.(json.Number); ok {
		a, b = b, a
	}
	if n, ok := a.(json.Number); ok {
		return jsonNumberEqual(n, b)
	}
	if eq, ok := numbersEqual(a, b); ok {
		return eq
	}
	return reflect.DeepEqual(a, b)
}

// compositeEqual compares times, floats, lists and mappings; ok is false
// when a is none of those and the caller must compare otherwise.
func compositeEqual(a, b any) (eq, ok bool) {
	switch x := a.(type) {
	case time.Time:
		y, isTime := b.(time.Time)
		if !isTime {
			return false, true
		}
		_, ox := x.Zone()
		_, oy := y.Zone()
		return x.Equal(y) && ox == oy, true
	case float64:
		if y, isFloat := b.(float64); isFloat {
			return x == y || math.IsNaN(x) && math.IsNaN(y), true
		}
	case []string:
		y, isList := b.([]string)
		return isList && len(x) == len(y) && (len(x) == 0 || reflect.DeepEqual(x, y)), true
	case []any:
		y, isList := b.([]any)
		return isList && listsEqual(x, y), true
	case map[string]any:
		y, isMap := b.(map[string]any)
		return isMap && mapsEqual(x, y), true
	case map[any]any:
		y, isMap := b.(map[any]any)
		return isMap && mapsEqual(x, y), true
	}
	return false, false
}

// listsEqual compares two decoded YAML sequences element by element.
func listsEqual(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !valuesEqual(x[i], y[i]) {
			return false
		}
	}
	return true
}

// jsonNumberEqual compares a json.Number with a decoded number.
func jsonNumberEqual(n json.Number, b any) bool {
	switch y := b.(type) {
	case json.Number:
		return n == y
	case int:
		return string(n) == strconv.Itoa(y)
	case int64:
		return string(n) == strconv.FormatInt(y, 10)
	case uint64:
		return string(n) == strconv.FormatUint(y, 10)
	case float64:
		f, err := n.Float64()
		return err == nil && f == y
	}
	return false
}

// numbersEqual compares two numbers of any Go integer or float type by
// value; ok is false when either is not a number.
func numbersEqual(a, b any) (eq, ok bool) {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return false, false
	}
	switch {
	case va.CanInt() && vb.CanInt():
		return va.Int() == vb.Int(), true
	case va.CanUint() && vb.CanUint():
		return va.Uint() == vb.Uint(), true
	case va.CanInt() && vb.CanUint():
		return va.Int() >= 0 && uint64(va.Int()) == vb.Uint(), true
	case va.CanUint() && vb.CanInt():
		return vb.Int() >= 0 && uint64(vb.Int()) == va.Uint(), true
	case va.CanFloat() && vb.CanFloat():
		return va.Float() == vb.Float(), true
	}
	return false, false
}

// mapsEqual compares two decoded YAML mappings with valuesEqual.
func mapsEqual[K comparable](x, y map[K]any) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !valuesEqual(v, w) {
			return false
		}
	}
	return true
}
