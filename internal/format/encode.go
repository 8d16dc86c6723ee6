package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Encode writes the canonical document for m: the known keys in
// milestone.Keys order (empty ones omitted), then Extra in order; 2-space
// indentation; labels and depends_on as flow lists `[a, b]`; a multi-line
// string as a literal block; strings quoted only where a plain scalar would
// read back as something else. Decode(Encode(m)) gives m back for every
// valid m. m.ID is not written (the id is the file name). Extra entries
// whose key is a known key, or repeats an earlier Extra key, are skipped.
func Encode(m milestone.Milestone) []byte {
	b := make([]byte, 0, 256+len(m.Description))
	for _, f := range fields(&m) {
		b = appendEntry(b, f.Key, f.Value, 0, "\n")
	}
	return b
}

// fields lists the entries Encode writes, in order.
func fields(m *milestone.Milestone) []milestone.Field {
	fs := m.Fields()
	n := len(fs) - len(m.Extra)
	out := fs[:n]
	for _, f := range fs[n:] {
		if milestone.IsKnownKey(f.Key) || hasKey(out[n:], f.Key) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func hasKey(fs []milestone.Field, key string) bool {
	for _, f := range fs {
		if f.Key == key {
			return true
		}
	}
	return false
}

// appendEntry appends "key: value" at the given indentation, ending with nl.
func appendEntry(b []byte, key string, v any, indent int, nl string) []byte {
	if k, ok := renderKey(key); ok {
		b = appendSpaces(b, indent)
		b = append(b, k...)
		b = append(b, ':')
		return appendValue(b, key, v, indent, 2, nl)
	}
	// A key that needs quoting (or even "? " syntax): let yaml.v3 write the pair.
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{strNode(key), valueNode(v)}}
	return appendIndented(b, emitBlock(doc), indent, nl)
}

// appendValue appends what follows the colon of key: " value" or a block
// (" |\n  text" or "\n  a: 1"), ending with nl. The content of a literal block
// is indented by lit spaces more than the key.
func appendValue(b []byte, key string, v any, indent, lit int, nl string) []byte {
	switch t := v.(type) {
	case string:
		if strings.Contains(t, "\n") && literalOK(t) {
			return appendLiteral(b, t, indent, lit, nl)
		}
		b = append(b, ' ')
		b = append(b, renderString(t, isTimeKey(key), 0)...)
		return append(b, nl...)
	case []string:
		b = append(b, ' ')
		b = append(b, renderList(t)...)
		return append(b, nl...)
	case int:
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(t), 10)
		return append(b, nl...)
	}
	n := valueNode(v)
	if s, ok := inlineNode(n); ok {
		b = append(b, ' ')
		b = append(b, s...)
		return append(b, nl...)
	}
	b = append(b, nl...)
	return appendIndented(b, emitBlock(n), indent+2, nl)
}

// isTimeKey reports whether key holds a date or timestamp, written plain.
func isTimeKey(key string) bool {
	f, ok := milestone.Spec(key)
	return ok && (f.Kind == milestone.KindDate || f.Kind == milestone.KindTimestamp)
}

// appendIndented appends text (lines ending in "\n") with every non-empty
// line indented, using nl as the line break.
func appendIndented(b []byte, text string, indent int, nl string) []byte {
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if line != "" {
			b = appendSpaces(b, indent)
			b = append(b, line...)
		}
		b = append(b, nl...)
	}
	return b
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// literalOK reports whether s can be written as a literal block scalar: valid
// UTF-8 with only printable characters, tabs and "\n" line breaks.
func literalOK(s string) bool {
	for _, r := range s {
		if r != '\n' && r != '\t' && !printable(r) {
			return false
		}
	}
	return true
}

// printable reports whether YAML can hold r unescaped in a scalar without it
// being a line break (NEL, LS, PS) or a byte-order mark. Invalid UTF-8
// decodes to utf8.RuneError, which is printable; callers check validity.
func printable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return r != 0x2028 && r != 0x2029
	case r >= 0xE000 && r <= 0xFFFD:
		return r != 0xFEFF && r != utf8.RuneError
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// literalHeader returns the block header of s: "|", then an indentation
// indicator when the first non-empty line starts with a space or tab, then the
// chomping indicator that keeps the trailing line breaks exact. body is s
// without the final line break that the header accounts for.
func literalHeader(s string, lit int) (header, body string) {
	chomp := ""
	body = s
	switch {
	case !strings.HasSuffix(s, "\n"):
		chomp = "-"
	case strings.HasSuffix(s, "\n\n") || s == "\n":
		chomp = "+"
		body = s[:len(s)-1]
	default:
		body = s[:len(s)-1]
	}
	ind := ""
	first := strings.TrimLeft(body, "\n")
	if first != "" && (first[0] == ' ' || first[0] == '\t') {
		ind = strconv.Itoa(lit)
	}
	return "|" + ind + chomp, body
}

// appendLiteral appends " |…" and the lines of s, indented by indent+lit.
func appendLiteral(b []byte, s string, indent, lit int, nl string) []byte {
	header, body := literalHeader(s, lit)
	b = append(b, ' ')
	b = append(b, header...)
	b = append(b, nl...)
	return appendLiteralBody(b, body, indent+lit, nl)
}

func appendLiteralBody(b []byte, body string, indent int, nl string) []byte {
	for {
		line := body
		i := strings.IndexByte(body, '\n')
		if i >= 0 {
			line = body[:i]
		}
		if line != "" {
			b = appendSpaces(b, indent)
			b = append(b, line...)
		}
		b = append(b, nl...)
		if i < 0 {
			return b
		}
		body = body[i+1:]
	}
}

// renderString renders s as a one-line scalar for a block mapping value (the
// caller writes multi-line text as a literal block when it can). Plain when
// that reads back as the same string (or, with timeOK, as a date or timestamp
// with the same text); double-quoted when the plain text would read as a
// number, boolean, null or date; single-quoted when YAML syntax forbids the
// plain form; double-quoted with escapes for control characters and line
// breaks. style asks for single or double quotes where possible (Rewrite
// keeps quotes a user chose).
func renderString(s string, timeOK bool, style yaml.Style) string {
	if !utf8.ValidString(s) {
		return "!!binary " + base64.StdEncoding.EncodeToString([]byte(s))
	}
	syntaxOK := plainSyntaxOK(s, false)
	switch {
	case style == yaml.SingleQuotedStyle && singleOK(s):
		return singleQuote(s)
	case style == yaml.DoubleQuotedStyle:
		return doubleQuote(s)
	case syntaxOK && resolvesToString(s, timeOK):
		return s
	case !syntaxOK && singleOK(s):
		return singleQuote(s)
	}
	return doubleQuote(s)
}

// renderFlowItem renders s as an item of a flow list.
func renderFlowItem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "!!binary " + base64.StdEncoding.EncodeToString([]byte(s))
	case plainSyntaxOK(s, true) && resolvesToString(s, false):
		return s
	case !plainSyntaxOK(s, true) && singleOK(s):
		return singleQuote(s)
	}
	return doubleQuote(s)
}

// renderList renders a list of strings in flow style: [a, b].
func renderList(list []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(renderFlowItem(s))
	}
	b.WriteByte(']')
	return b.String()
}

func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// doubleQuote renders s double-quoted: printable text as is (only '"' and
// '\' escaped), anything else with yaml.v3's escapes.
func doubleQuote(s string) string {
	if singleOK(s) {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle}
	out, _ := inlineNode(n)
	return out
}

// singleOK reports whether s can be single-quoted on one line: valid UTF-8
// of printable characters (no tabs, no line breaks).
func singleOK(s string) bool {
	for _, r := range s {
		if !printable(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// plainOK reports whether s can be written as a plain scalar (a block value,
// or a flow list item with flow) that reads back as the same text.
func plainOK(s string, timeOK, flow bool) bool {
	return plainSyntaxOK(s, flow) && resolvesToString(s, timeOK)
}

// plainSyntaxOK reports, conservatively, whether YAML syntax allows s as a
// plain scalar with exactly this text: no indicator first, no leading or
// trailing space, no ": " or " #", only printable characters.
func plainSyntaxOK(s string, flow bool) bool {
	if s == "" || len(s) > 1000 || strings.HasPrefix(s, "...") {
		return false
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@` \t", s[0]) >= 0 {
		return false
	}
	if c := s[len(s)-1]; c == ' ' || c == ':' {
		return false
	}
	prev := rune(0)
	for i, r := range s {
		switch {
		case !printable(r):
			return false
		case r == ':' && (s[i+1] == ' ' || flow):
			return false
		case r == '#' && prev == ' ':
			return false
		case flow && (r == ',' || r == '[' || r == ']' || r == '{' || r == '}'):
			return false
		}
		prev = r
	}
	return true
}

// resolvesToString reports whether the plain scalar s reads back as a string
// in yaml.v3 and in YAML 1.1 readers (or, with timeOK, as a timestamp).
func resolvesToString(s string, timeOK bool) bool {
	switch (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag() {
	case "!!str":
	case "!!timestamp":
		if !timeOK {
			return false
		}
	default:
		return false
	}
	return !yaml11Special(s)
}

// sexagesimal matches YAML 1.1 base-60 numbers (compiled on first use, not
// at every process start-up).
var sexagesimal = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$`) })

// yaml11Special reports strings that YAML 1.1 readers take for booleans,
// nulls or base-60 numbers although yaml.v3 reads them as strings.
func yaml11Special(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "on", "off", "true", "false", "null", "~", "=", "<<":
		return true
	}
	return len(s) > 2 && s[0] >= '0' && s[0] <= '9' && strings.IndexByte(s, ':') > 0 && sexagesimal().MatchString(s)
}

// renderKey returns key as written before the colon, if it fits on one
// line as a plain or single-quoted scalar.
func renderKey(key string) (string, bool) {
	switch {
	case plainOK(key, false, false):
		return key, true
	case singleOK(key) && len(key) <= 1000:
		return singleQuote(key), true
	}
	return "", false
}

// strNode is the node of a string inside an unknown key's value. Multi-line
// text is double-quoted: yaml.v3 loses text such as "\n" in literal blocks.
func strNode(s string) *yaml.Node {
	if !utf8.ValidString(s) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!binary", Value: base64.StdEncoding.EncodeToString([]byte(s))}
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") || !singleOK(s) || yaml11Special(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// valueNode converts a decoded YAML value (or a value from JSON) to a node.
func valueNode(v any) *yaml.Node {
	scalar := func(tag, s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: s} }
	switch t := v.(type) {
	case nil:
		return scalar("!!null", "null")
	case string:
		return strNode(t)
	case bool:
		return scalar("!!bool", strconv.FormatBool(t))
	case int:
		return scalar("!!int", strconv.Itoa(t))
	case int64:
		return scalar("!!int", strconv.FormatInt(t, 10))
	case int32:
		return scalar("!!int", strconv.FormatInt(int64(t), 10))
	case uint64:
		return scalar("!!int", strconv.FormatUint(t, 10))
	case uint:
		return scalar("!!int", strconv.FormatUint(uint64(t), 10))
	case float64:
		return scalar("!!float", formatFloat(t))
	case float32:
		return scalar("!!float", formatFloat(float64(t)))
	case json.Number:
		if _, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return scalar("!!int", string(t))
		}
		if f, err := t.Float64(); err == nil {
			return scalar("!!float", formatFloat(f))
		}
		return strNode(string(t))
	case time.Time:
		s := t.Format(time.RFC3339Nano)
		if t.Location() == time.UTC && t.Equal(t.Truncate(24*time.Hour)) {
			s = t.Format(time.DateOnly)
		}
		return scalar("!!timestamp", s)
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, s := range t {
			n.Content = append(n.Content, strNode(s))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, e := range t {
			c := valueNode(e)
			if c.Kind != yaml.ScalarNode || strings.Contains(c.Value, "\n") {
				n.Style = 0
			}
			n.Content = append(n.Content, c)
		}
		return n
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range keys {
			n.Content = append(n.Content, strNode(k), valueNode(t[k]))
		}
		return n
	case map[any]any:
		type kv struct {
			s    string
			k, v any
		}
		kvs := make([]kv, 0, len(t))
		for k, e := range t {
			kvs = append(kvs, kv{fmt.Sprintf("%T %v", k, k), k, e})
		}
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].s < kvs[j].s })
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, e := range kvs {
			n.Content = append(n.Content, valueNode(e.k), valueNode(e.v))
		}
		return n
	}
	n := new(yaml.Node)
	if err := n.Encode(v); err != nil {
		return strNode(fmt.Sprint(v))
	}
	return n
}

// formatFloat writes f so that it reads back as the same float (never as an int).
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

// inlineNode renders n as a value on one line, if yaml.v3 writes it so.
func inlineNode(n *yaml.Node) (string, bool) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle == 0 {
		return "", false
	}
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "\n") && n.Style&yaml.DoubleQuotedStyle == 0 {
		return "", false
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "k"}, n}}
	out := emitBlock(doc)
	out = strings.TrimSuffix(strings.TrimPrefix(out, "k: "), "\n")
	if strings.Contains(out, "\n") {
		return "", false
	}
	return out, true
}

// emitBlock encodes n with yaml.v3 at 2-space indentation.
func emitBlock(n *yaml.Node) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return "null\n"
	}
	_ = enc.Close()
	return b.String()
}
