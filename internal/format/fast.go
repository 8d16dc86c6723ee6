package format

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// fastDecode decodes the common layout of milestone documents (the one Encode
// writes, and hand edits of it) without yaml.v3's parser, which costs most of
// Decode. It accepts only a conservative subset of YAML: top-level keys at
// column 0 with a plain, simply quoted, flow-list or literal-block value, and
// comment and empty lines. For anything else, and for every document with a
// problem, ok is false and the caller decodes with yaml.v3, which also
// produces the error messages. Where it accepts a document it returns
// exactly what the yaml.v3 path returns (checked by tests and FuzzFastDecode).
func fastDecode(src []byte) (m milestone.Milestone, ok bool) {
	if len(src) == 0 || src[len(src)-1] != '\n' || !readable(src) {
		return m, false
	}
	var seen keySet
	hasTitle := false
	for pos := 0; pos < len(src); {
		line, next := cutLine(src, pos)
		pos = next
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		colon := keyEnd(line)
		if colon < 0 {
			return m, false
		}
		key := string(line[:colon])
		if !seen.add(key) {
			return m, false
		}
		known := milestone.IsKnownKey(key)
		if !known && !resolvesAs(key, "!!str") {
			return m, false
		}
		rest := line[colon+1:]
		if len(rest) > 0 && rest[0] != ' ' {
			return m, false
		}
		v, end, good := fastEntryValue(src, pos, bytes.TrimLeft(rest, " "))
		if !good {
			return m, false
		}
		pos = end
		if !v.set(&m, key, known) {
			return m, false
		}
		hasTitle = hasTitle || key == milestone.KeyTitle
	}
	if !hasTitle || milestone.ValidateTitle(m.Title) != nil {
		return m, false
	}
	if m.Status == "" {
		m.Status = milestone.Planned
	}
	if m.Priority == "" {
		m.Priority = milestone.Medium
	}
	return m, true
}

type fastKind int

const (
	fastNull   fastKind = iota
	fastPlain           // text resolves like a plain scalar
	fastQuoted          // text is a string
	fastList            // items
)

type fastValue struct {
	kind  fastKind
	text  string
	items []fastValue
}

// str returns the text of a scalar as the yaml.v3 path reads it for a
// string field ("" for null); ok is false for a list.
func (v fastValue) str() (string, bool) {
	switch v.kind {
	case fastNull:
		return "", true
	case fastPlain:
		if resolvesAs(v.text, "!!null") {
			return "", true
		}
		return v.text, true
	case fastQuoted:
		return v.text, true
	}
	return "", false
}

// any returns the value as Node.Decode(&any) would.
func (v fastValue) any() (any, bool) {
	switch v.kind {
	case fastNull:
		return nil, true
	case fastQuoted:
		return v.text, true
	case fastPlain:
		var x any
		if err := (&yaml.Node{Kind: yaml.ScalarNode, Value: v.text}).Decode(&x); err != nil {
			return nil, false
		}
		return x, true
	}
	list := make([]any, len(v.items))
	for i, it := range v.items {
		x, ok := it.any()
		if !ok {
			return nil, false
		}
		list[i] = x
	}
	return list, true
}

// set stores v as the value of key in m, validating it as the key's kind
// in milestone.Fields says; false means "let the yaml.v3 path decide".
func (v fastValue) set(m *milestone.Milestone, key string, known bool) bool {
	if !known {
		x, ok := v.any()
		m.Extra = append(m.Extra, milestone.Field{Key: key, Value: x})
		return ok
	}
	f, _ := milestone.Spec(key)
	switch f.Kind {
	case milestone.KindList:
		return v.setList(m, f)
	case milestone.KindInt:
		return v.setInt(m, f)
	}
	s, ok := v.str()
	return ok && f.SetText(m, s) == nil
}

// setList stores a list field (labels, depends_on).
func (v fastValue) setList(m *milestone.Milestone, f *milestone.FieldSpec) bool {
	if v.kind == fastNull {
		return true
	}
	if v.kind != fastList {
		return false
	}
	var list []string
	for _, it := range v.items {
		s, _ := it.str()
		if f.Entry(s) != nil {
			return false
		}
		list = append(list, s)
	}
	f.SetList(m, list)
	return true
}

// setInt stores a whole-number field (progress), a plain integer or null.
func (v fastValue) setInt(m *milestone.Milestone, f *milestone.FieldSpec) bool {
	if v.kind == fastNull || v.kind == fastPlain && resolvesAs(v.text, "!!null") {
		return true
	}
	var n int
	if v.kind != fastPlain || !resolvesAs(v.text, "!!int") ||
		(&yaml.Node{Kind: yaml.ScalarNode, Value: v.text}).Decode(&n) != nil {
		return false
	}
	return f.SetInt(m, n) == nil
}

func resolvesAs(s, tag string) bool {
	return (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag() == tag
}

// readable reports whether src is valid UTF-8 of printable characters, tabs
// and "\n" line breaks only.
func readable(src []byte) bool {
	for i := 0; i < len(src); {
		if c := src[i]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(src[i:])
		if !printable(r) || r == utf8.RuneError && w == 1 {
			return false
		}
		i += w
	}
	return true
}

// cutLine returns the line at pos without its "\n", and the next line's start.
func cutLine(src []byte, pos int) ([]byte, int) {
	if i := bytes.IndexByte(src[pos:], '\n'); i >= 0 {
		return src[pos : pos+i], pos + i + 1
	}
	return src[pos:], len(src)
}

// keyEnd returns the index of the colon after a simple key at the start of
// line: [A-Za-z0-9_][A-Za-z0-9_.-]*, or -1.
func keyEnd(line []byte) int {
	for i, c := range line {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '-' || c == '.') && i > 0:
		case c == ':' && i > 0:
			return i
		default:
			return -1
		}
	}
	return -1
}

// onlyComment reports whether rest (after a value) is empty or a comment.
func onlyComment(rest []byte) bool {
	t := bytes.TrimLeft(rest, " ")
	return len(t) == 0 || t[0] == '#' && len(t) < len(rest)
}

// safeText reports whether b has only printable characters (no tabs).
func safeText(b []byte) bool {
	for _, r := range string(b) {
		if !printable(r) {
			return false
		}
	}
	return true
}

// inlineScalarOrList reads a plain or quoted scalar, or a flow list of them,
// at the start of val; end is where it stops.
func inlineScalarOrList(val []byte) (v fastValue, end int, ok bool) {
	if val[0] != '[' {
		return scalarAt(val, false)
	}
	v.kind = fastList
	i := 1
	for {
		for i < len(val) && val[i] == ' ' {
			i++
		}
		if i < len(val) && val[i] == ']' && len(v.items) == 0 {
			return v, i + 1, true
		}
		if i >= len(val) {
			return v, 0, false
		}
		it, n, ok := scalarAt(val[i:], true)
		if !ok || it.kind == fastNull {
			return v, 0, false
		}
		v.items = append(v.items, it)
		i += n
		for i < len(val) && val[i] == ' ' {
			i++
		}
		switch {
		case i < len(val) && val[i] == ',':
			i++
		case i < len(val) && val[i] == ']':
			return v, i + 1, true
		default:
			return v, 0, false
		}
	}
}

// scalarAt reads a plain or quoted scalar at the start of b (in a flow list
// with flow) and returns where it ends.
func scalarAt(b []byte, flow bool) (v fastValue, end int, ok bool) {
	switch b[0] {
	case '\'':
		var sb strings.Builder
		for i := 1; i < len(b); i++ {
			if b[i] == '\'' {
				if i+1 < len(b) && b[i+1] == '\'' {
					sb.WriteByte('\'')
					i++
					continue
				}
				return fastValue{kind: fastQuoted, text: sb.String()}, i + 1, safeText([]byte(sb.String()))
			}
			sb.WriteByte(b[i])
		}
		return v, 0, false
	case '"':
		i := bytes.IndexByte(b[1:], '"')
		if i < 0 || bytes.IndexByte(b[1:i+1], '\\') >= 0 || !safeText(b[1:i+1]) {
			return v, 0, false
		}
		return fastValue{kind: fastQuoted, text: string(b[1 : i+1])}, i + 2, true
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@` ", b[0]) >= 0 {
		return v, 0, false
	}
	end = len(b)
	for i := 1; i < len(b); i++ {
		c := b[i]
		if c == '#' && b[i-1] == ' ' || flow && (c == ',' || c == ']') {
			end = i
			break
		}
		if c == ':' && (i+1 == len(b) || b[i+1] == ' ' || flow) || flow && (c == '[' || c == '{' || c == '}' || c == '#' || c == '"' || c == '\'') {
			return v, 0, false
		}
	}
	text := bytes.TrimRight(b[:end], " ")
	if !safeText(text) {
		return v, 0, false
	}
	return fastValue{kind: fastPlain, text: string(text)}, len(text), true
}

// literalBlock reads a literal block scalar whose header (val: "|", "|-" or
// "|+", maybe with a comment) ends the line before pos. It returns the text
// and the start of the first line after the block.
func literalBlock(src []byte, pos int, val []byte) (text string, end int, ok bool) {
	chomp := byte(0)
	h := 1
	if h < len(val) && (val[h] == '-' || val[h] == '+') {
		chomp = val[h]
		h++
	}
	if !onlyComment(val[h:]) || h < len(val) && val[h] != ' ' {
		return "", 0, false
	}
	var b strings.Builder
	indent, blanks := 0, 0
	end = pos
	for end < len(src) {
		line, next := cutLine(src, end)
		if len(line) == 0 {
			blanks++
			end = next
			continue
		}
		if line[0] != ' ' {
			break
		}
		n := 0
		for n < len(line) && line[n] == ' ' {
			n++
		}
		if n == len(line) || n < indent || line[n] == '\t' && indent == 0 {
			return "", 0, false // spaces-only lines and odd indentation: let yaml.v3 decide
		}
		if indent == 0 {
			indent = n
		}
		for ; blanks > 0; blanks-- {
			b.WriteByte('\n')
		}
		b.Write(line[indent:])
		b.WriteByte('\n')
		end = next
	}
	if indent == 0 {
		return "", 0, false
	}
	text = b.String()
	switch chomp {
	case '-':
		text = text[:len(text)-1]
	case '+':
		text += strings.Repeat("\n", blanks)
	}
	return text, end, true
}

// keySet holds the top-level keys seen so far, up to a small fixed number.
type keySet struct {
	keys [24]string
	n    int
}

// add records key; false when it was seen before or the set is full.
func (s *keySet) add(key string) bool {
	for _, k := range s.keys[:s.n] {
		if k == key {
			return false
		}
	}
	if s.n == len(s.keys) {
		return false
	}
	s.keys[s.n] = key
	s.n++
	return true
}

// fastEntryValue reads the value val of the entry whose line ends at pos
// (literal blocks continue on the lines from pos) and returns it with the
// position after it; ok is false for anything the fast path leaves alone.
func fastEntryValue(src []byte, pos int, val []byte) (v fastValue, next int, ok bool) {
	switch {
	case len(val) == 0 || val[0] == '#':
		if pos < len(src) && (src[pos] == ' ' || src[pos] == '-') {
			return v, pos, false // a block value on the next lines
		}
		return fastValue{kind: fastNull}, pos, true
	case val[0] == '|':
		text, end, good := literalBlock(src, pos, val)
		return fastValue{kind: fastQuoted, text: text}, end, good
	}
	v, end, good := inlineScalarOrList(val)
	if !good || !onlyComment(val[end:]) || pos < len(src) && src[pos] == ' ' {
		return v, pos, false
	}
	return v, pos, true
}
