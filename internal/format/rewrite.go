package format

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// How Rewrite produced its result (for tests and fuzzing).
const (
	howUnchanged = "unchanged"  // m equals the document: src is returned as is
	howSplice    = "splice"     // edits spliced into the original text
	howTree      = "tree"       // no splice possible: the yaml.Node tree was re-encoded
	howBadSplice = "bad splice" // the splice did not verify (a bug): tree re-encoded
)

// utf8BOM is the UTF-8 byte-order mark. A document that starts with one
// keeps it through every rewrite; one that does not never gains one.
var utf8BOM = []byte("\xEF\xBB\xBF")

// errNoSplice says the document's layout does not allow a text splice.
var errNoSplice = errors.New("no text splice possible")

// Rewrite returns src changed so that it decodes to m, touching only what must
// change. A value that changes is spliced into the original text in place
// when it was a one-line scalar or flow list; a block list of labels or
// depends_on gets item lines added and removed; other values (multi-line
// blocks, nested unknown keys) have their lines replaced by the canonical
// rendering. Keys new in m are appended at the end of the mapping; keys empty
// in m lose their lines. Comments, blank lines, key order, the quoting of
// untouched values and unknown keys all survive. Only when no splice is
// possible (a flow-style document, odd line breaks, "? " keys) is the
// yaml.Node tree re-encoded, which keeps comments but not blank lines.
//
// m.ID is ignored; status and priority default as in Decode; the file's key
// order wins over the order of m.Extra. src must decode and m must be valid.
// The result is decoded and compared with m before it is returned: Rewrite
// never returns a document that does not decode to m.
func Rewrite(path string, src []byte, m milestone.Milestone) ([]byte, error) {
	out, _, err := rewrite(path, src, m)
	return out, err
}

func rewrite(file string, src []byte, m milestone.Milestone) ([]byte, string, error) {
	p, err := parse(file, src)
	if err != nil {
		return nil, "", err
	}
	want := normalized(m)
	want.ID = p.m.ID
	if err := checkWant(file, &want); err != nil {
		return nil, "", err
	}
	if same, _ := equalMilestones(&p.m, &want); same {
		return bytes.Clone(src), howUnchanged, nil
	}
	how := howTree
	out, err := splice(p, src, &want)
	if err == nil {
		if verify(file, out, &want) == nil {
			return out, howSplice, nil
		}
		how = howBadSplice
	}
	out = reencode(p, &want)
	if bytes.HasPrefix(src, utf8BOM) && !bytes.HasPrefix(out, utf8BOM) {
		out = append(bytes.Clone(utf8BOM), out...) // kept on every path
	}
	if err := verify(file, out, &want); err != nil {
		return nil, how, fmt.Errorf("rewrite %s: cannot write a document that decodes to the milestone: %w", file, err)
	}
	return out, how, nil
}

// checkWant validates the milestone Rewrite is asked to write.
func checkWant(file string, m *milestone.Milestone) error {
	if err := m.Validate(); err != nil {
		return &Error{Path: file, Msg: err.Error()}
	}
	for i, f := range m.Extra {
		if milestone.IsKnownKey(f.Key) {
			return &Error{Path: file, Msg: fmt.Sprintf("unknown key %q is a known key", f.Key)}
		}
		for _, g := range m.Extra[:i] {
			if g.Key == f.Key {
				return &Error{Path: file, Msg: fmt.Sprintf("unknown key %q appears twice", f.Key)}
			}
		}
	}
	return nil
}

// verify decodes out and compares it with want.
func verify(file string, out []byte, want *milestone.Milestone) error {
	got, err := Decode(file, out)
	if err != nil {
		return err
	}
	if same, field := equalMilestones(&got, want); !same {
		return fmt.Errorf("field %s differs", field)
	}
	return nil
}

// toRewrite reports which entries of p get a new value: those that differ
// from want, and those holding an alias of an anchor in a value that is
// rewritten (the new text has no anchors, so the alias must go too).
func toRewrite(p *parsed, want *milestone.Milestone) []bool {
	r := make([]bool, len(p.entries))
	for i, e := range p.entries {
		r[i] = !sameField(&p.m, want, e.name)
	}
	for {
		gone := map[string]bool{}
		for i, e := range p.entries {
			if r[i] {
				anchors(e.val, gone)
			}
		}
		more := false
		for i, e := range p.entries {
			if !r[i] && len(gone) > 0 && usesAlias(e.val, gone) {
				r[i], more = true, true
			}
		}
		if !more {
			return r
		}
	}
}

func anchors(n *yaml.Node, set map[string]bool) {
	if n.Anchor != "" {
		set[n.Anchor] = true
	}
	for _, c := range n.Content {
		anchors(c, set)
	}
}

func usesAlias(n *yaml.Node, set map[string]bool) bool {
	if n.Kind == yaml.AliasNode && set[n.Value] {
		return true
	}
	for _, c := range n.Content {
		if usesAlias(c, set) {
			return true
		}
	}
	return false
}

// reencode applies the differences to the yaml.Node tree of p and encodes it:
// comments and key order survive, blank lines and spacing do not.
func reencode(p *parsed, want *milestone.Milestone) []byte {
	rewritten := toRewrite(p, want)
	content := make([]*yaml.Node, 0, len(p.root.Content)+4)
	for i, e := range p.entries {
		if !rewritten[i] {
			content = append(content, e.key, e.val)
			continue
		}
		v, present := fieldValue(want, e.name)
		if !present {
			continue
		}
		n := fieldNode(e.name, v)
		n.HeadComment, n.LineComment, n.FootComment = e.val.HeadComment, e.val.LineComment, e.val.FootComment
		content = append(content, e.key, n)
	}
	for _, f := range fields(want) {
		if p.find(f.Key) < 0 && !sameField(&p.m, want, f.Key) {
			content = append(content, strNode(f.Key), fieldNode(f.Key, f.Value))
		}
	}
	p.root.Content = content
	return []byte(emitBlock(p.doc))
}

// fieldNode is the node of a value for the tree re-encode.
func fieldNode(key string, v any) *yaml.Node {
	if s, ok := v.(string); ok && isTimeKey(key) && plainOK(s, true, false) {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	}
	return valueNode(v)
}
