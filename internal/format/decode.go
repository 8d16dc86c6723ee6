// Package format reads and writes milestone documents, the YAML files under
// .milestones/ (SPEC section 3).
//
// Decode parses and validates one document and reports every problem as an
// *Error at path:line:col. Encode writes the canonical form of a milestone.
// Rewrite changes a (possibly hand-edited) document so that it decodes to a
// new milestone while keeping comments, blank lines, key order, quoting and
// unknown keys: values are spliced into the original text, and only the lines
// that must change do change.
//
// Decode reads the common layout (the canonical form and light hand edits
// of it) with a small scanner of its own, about six times faster than
// yaml.v3's parser, and everything else with yaml.v3; tests and a fuzz
// target check that both give the same result.
package format

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Error is a problem in a document at a position. Line and Col are 1-based;
// 0 means unknown.
type Error struct {
	Path      string
	Line, Col int
	Msg       string
}

// Error formats the problem as "path:line:col: msg", leaving out the column
// when it is 0, the line when it is 0 and the path when it is empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		if e.Path != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// entry is one key of the document's top-level mapping.
type entry struct {
	name     string
	key, val *yaml.Node // val as written (an alias is not resolved)
}

// parsed is a decoded document with the nodes it came from.
type parsed struct {
	doc, root *yaml.Node
	entries   []entry
	m         milestone.Milestone
}

func (p *parsed) find(name string) int {
	for i, e := range p.entries {
		if e.name == name {
			return i
		}
	}
	return -1
}

// Decode parses and validates one milestone document. path is the
// repository-relative path of the file (".milestones/active/beta.yaml"); the
// id is its file name without ".yaml" and must be a valid id. An empty path
// decodes the document without an id. Every problem is returned as an
// *Error naming the line and column of the offending value.
//
// String fields accept any scalar (title: 2027 is the title "2027"); null
// and "" mean absent. Status defaults to planned and priority to medium.
// Empty labels and depends_on decode as nil. Unknown keys go to Extra in
// document order with their values decoded by yaml.v3.
func Decode(path string, src []byte) (milestone.Milestone, error) {
	id, err := idFromPath(path)
	if err != nil {
		return milestone.Milestone{}, err
	}
	if err := checkSize(path, src); err != nil {
		return milestone.Milestone{}, err
	}
	if m, ok := fastDecode(src); ok {
		m.ID = id
		return m, nil
	}
	p, err := parse(path, src)
	if err != nil {
		return milestone.Milestone{}, err
	}
	return p.m, nil
}

// MaxDocumentSize bounds a milestone document: a larger one is refused
// unparsed (yaml.v3 also refuses excessive alias expansion, so a small
// "billion laughs" document is refused too).
const MaxDocumentSize = 4 << 20

func checkSize(path string, src []byte) error {
	if len(src) > MaxDocumentSize {
		return &Error{Path: path, Msg: fmt.Sprintf("the document is %d bytes, over the limit of %d", len(src), MaxDocumentSize)}
	}
	return nil
}

// idFromPath returns the id a file path names ("" for an empty path).
func idFromPath(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	id, ok := strings.CutSuffix(base, ".yaml")
	if !ok {
		return "", &Error{Path: file, Msg: "a milestone file name must end in .yaml"}
	}
	if err := milestone.ValidateID(id); err != nil {
		return "", &Error{Path: file, Msg: err.Error()}
	}
	return id, nil
}

func parse(file string, src []byte) (*parsed, error) {
	errAt := func(n *yaml.Node, format string, args ...any) error {
		e := &Error{Path: file, Msg: fmt.Sprintf(format, args...)}
		if n != nil {
			e.Line, e.Col = n.Line, n.Column
		}
		return e
	}
	id, err := idFromPath(file)
	if err != nil {
		return nil, err
	}
	if err := checkSize(file, src); err != nil {
		return nil, err
	}
	if line, text := conflictMarker(src); line > 0 {
		return nil, &Error{Path: file, Line: line, Col: 1,
			Msg: fmt.Sprintf("unresolved merge conflict marker %q: resolve the conflict and remove the markers", text)}
	}

	dec := yaml.NewDecoder(bytes.NewReader(src))
	doc := new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Path: file, Msg: "the document is empty: a milestone needs at least a title"}
		}
		return nil, syntaxError(file, src, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(file, src, err)
		}
		return nil, errAt(&next, "a second YAML document starts here: a milestone file holds one document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{Path: file, Msg: "the document is empty: a milestone needs at least a title"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "a milestone document must be a mapping of keys to values, not %s", describe(root))
	}

	p := &parsed{doc: doc, root: root, entries: make([]entry, 0, len(root.Content)/2)}
	m := &p.m
	m.ID = id
	var title *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, "keys must be plain strings, not %s", describe(k))
		}
		if k.Tag == "!!merge" {
			return nil, errAt(k, "merge keys (<<) are not supported in milestone documents")
		}
		name, _, err := scalarText(k)
		if err != nil {
			return nil, errAt(k, "key: %v", err)
		}
		for _, e := range p.entries {
			if e.name == name {
				return nil, errAt(k, "duplicate key %q (first at line %d)", name, e.key.Line)
			}
		}
		p.entries = append(p.entries, entry{name: name, key: k, val: v})
		if !milestone.IsKnownKey(name) {
			var x any
			if err := v.Decode(&x); err != nil {
				return nil, decodeError(file, v, err)
			}
			m.Extra = append(m.Extra, milestone.Field{Key: name, Value: x})
			continue
		}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if err := setField(m, name, v, errAt); err != nil {
			return nil, err
		}
		if name == milestone.KeyTitle {
			title = v
		}
	}
	if title == nil {
		return nil, &Error{Path: file, Msg: "the required key title is missing"}
	}
	if err := milestone.ValidateTitle(m.Title); err != nil {
		return nil, errAt(title, "%v", err)
	}
	if m.Status == "" {
		m.Status = milestone.Planned
	}
	if m.Priority == "" {
		m.Priority = milestone.Medium
	}
	return p, nil
}

type errAtFunc func(n *yaml.Node, format string, args ...any) error

// setField decodes the value v of the known key into m, as the key's
// kind in milestone.Fields says. The title is validated by the caller,
// also when the key is missing.
func setField(m *milestone.Milestone, key string, v *yaml.Node, errAt errAtFunc) error {
	f, _ := milestone.Spec(key)
	switch f.Kind {
	case milestone.KindInt:
		return setIntNode(m, f, v, errAt)
	case milestone.KindList:
		list, err := stringList(f, v, errAt)
		if err != nil {
			return err
		}
		f.SetList(m, list)
		return nil
	}
	s, ok, err := scalarText(v)
	if err != nil {
		return errAt(v, "%s: %v", key, err)
	}
	if !ok {
		return errAt(v, "%s must be a string, not %s", key, describe(v))
	}
	if err := f.SetText(m, s); err != nil {
		return errAt(v, "%v", err)
	}
	return nil
}

// setIntNode decodes a whole-number field (progress): a whole number
// from 0 to 100, or null.
func setIntNode(m *milestone.Milestone, f *milestone.FieldSpec, v *yaml.Node, errAt errAtFunc) error {
	if isNull(v) {
		return nil
	}
	var n int
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&n) != nil {
		return errAt(v, "%s must be a whole number from 0 to 100, not %s", f.Key, describeValue(v))
	}
	if err := f.SetInt(m, n); err != nil {
		return errAt(v, "%v", err)
	}
	return nil
}

// stringList decodes a sequence of strings (flow or block) and validates
// each entry with the field's entry check (a label, or an id for depends_on).
func stringList(f *milestone.FieldSpec, v *yaml.Node, errAt errAtFunc) ([]string, error) {
	key := f.Key
	if isNull(v) {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, errAt(v, "%s must be a list of strings like [a, b], not %s", key, describe(v))
	}
	if len(v.Content) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(v.Content))
	for _, it := range v.Content {
		if it.Kind == yaml.AliasNode && it.Alias != nil {
			it = it.Alias
		}
		s, ok, err := scalarText(it)
		if err != nil {
			return nil, errAt(it, "%s entry: %v", key, err)
		}
		if !ok && !isNull(it) {
			return nil, errAt(it, "%s entries must be strings, not %s", key, describe(it))
		}
		if err := f.Entry(s); err != nil {
			return nil, errAt(it, "%v", err)
		}
		list = append(list, s)
	}
	return list, nil
}

// scalarText returns the text of a scalar as written (null is "", !!binary
// is decoded). ok is false for collections.
func scalarText(v *yaml.Node) (s string, ok bool, err error) {
	if v.Kind != yaml.ScalarNode {
		return "", false, nil
	}
	switch v.ShortTag() {
	case "!!null":
		return "", true, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.Value), ""))
		if err != nil {
			return "", true, fmt.Errorf("invalid !!binary data: %v", err)
		}
		return string(b), true, nil
	}
	return v.Value, true, nil
}

func isNull(v *yaml.Node) bool {
	return v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"
}

// describe names the kind of a node for messages: "a sequence", "an integer".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		}
		return "a string"
	}
	return "nothing"
}

// describeValue is describe, with the text of a scalar: `"abc"`, `1.5`.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
		return strconv.Quote(n.Value)
	}
	return describe(n)
}

// yamlLineError is compiled on first use: a regexp compiled at init costs
// every process start-up time.
var (
	conflictPrefixes = []string{"<<<<<<< ", "=======", ">>>>>>> ", "|||||||"}
	yamlLineError    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })
)

// conflictMarker finds the first line that is a git conflict marker.
func conflictMarker(src []byte) (line int, text string) {
	for n := 1; len(src) > 0; n++ {
		l := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			l, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		if len(l) < 7 || (l[0] != '<' && l[0] != '=' && l[0] != '>' && l[0] != '|') {
			continue
		}
		l = bytes.TrimRight(l, "\r")
		s := string(l)
		if s == "<<<<<<<" || s == ">>>>>>>" {
			return n, s
		}
		for _, p := range conflictPrefixes {
			if strings.HasPrefix(s, p) {
				return n, s
			}
		}
	}
	return 0, ""
}

// parserProblems are the messages of yaml.v3's parser (not its scanner):
// yaml.v3 reports their line 0-based.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>": true, "did not find expected <document start>": true,
	"found incompatible YAML document": true, "found duplicate %YAML directive": true,
	"found duplicate %TAG directive": true, "found undefined tag handle": true,
	"did not find expected node content": true, "did not find expected key": true,
	"did not find expected '-' indicator": true, "did not find expected ',' or ']'": true,
	"did not find expected ',' or '}'": true,
}

// syntaxError turns a yaml.v3 parse error into an *Error with the line
// yaml.v3 means (it reports parser errors 0-based and line 1 not at all), or
// the exact position of a character yaml.v3 refuses to read.
func syntaxError(file string, src []byte, err error) error {
	line, col, msg := YAMLSyntax(src, err)
	return &Error{Path: file, Line: line, Col: col, Msg: "invalid YAML: " + msg}
}

// YAMLSyntax locates a yaml.v3 syntax error in src: its 1-based line, its
// column (0 when yaml.v3 does not say) and its message without the
// "yaml: line N:" prefix. yaml.v3 reports its parser's problems on the
// line before and bad characters without a position: both are corrected.
func YAMLSyntax(src []byte, err error) (line, col int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if sub := yamlLineError().FindStringSubmatch(msg); sub != nil {
		line, _ = strconv.Atoi(sub[1])
		msg = sub[2]
	}
	switch {
	case msg == "control characters are not allowed" || strings.Contains(msg, "UTF-8") || msg == "invalid Unicode character":
		line, col = badCharacter(src)
	case parserProblems[msg]:
		line++
	case line == 0:
		line = 1
	}
	return line, col, msg
}

// badCharacter returns the position of the first character YAML cannot hold.
func badCharacter(src []byte) (line, col int) {
	line, col = 1, 1
	for i := 0; i < len(src); {
		r, w := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && w <= 1, r != '\t' && r != '\n' && r != '\r' && r != 0x85 && r != 0xFEFF && !printable(r) && r != 0x2028 && r != 0x2029:
			return line, col
		case r == '\n':
			line, col = line+1, 0
		}
		i += w
		col++
	}
	return 0, 0
}

// decodeError turns an error of Node.Decode on v into an *Error.
func decodeError(file string, v *yaml.Node, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if sub := yamlLineError().FindStringSubmatch(te.Errors[0]); sub != nil {
			line, _ := strconv.Atoi(sub[1])
			return &Error{Path: file, Line: line, Msg: sub[2]}
		}
		return &Error{Path: file, Line: v.Line, Col: v.Column, Msg: te.Errors[0]}
	}
	return &Error{Path: file, Line: v.Line, Col: v.Column, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}
