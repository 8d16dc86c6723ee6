package format

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

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

// line is one line of the source: content src[start:end], break src[end:next].
type line struct{ start, end, next int }

// splitLines cuts src into lines at the line breaks yaml.v3 counts: "\r\n",
// "\r", "\n", NEL, LS and PS. A leading byte-order mark is not part of line 0.
func splitLines(src []byte) []line {
	ls := make([]line, 0, bytes.Count(src, []byte{'\n'})+1)
	start := 0
	if bytes.HasPrefix(src, []byte("\xEF\xBB\xBF")) {
		start = 3
	}
	for i := start; i < len(src); {
		n := 0
		switch c := src[i]; {
		case c == '\n':
			n = 1
		case c == '\r':
			n = 1
			if i+1 < len(src) && src[i+1] == '\n' {
				n = 2
			}
		case c == 0xC2 && i+1 < len(src) && src[i+1] == 0x85:
			n = 2
		case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9):
			n = 3
		}
		if n == 0 {
			i++
			continue
		}
		ls = append(ls, line{start, i, i + n})
		i += n
		start = i
	}
	return append(ls, line{start, len(src), len(src)})
}

// doc is the source as lines, for locating nodes.
type doc struct {
	src   []byte
	lines []line
}

// offset converts a node's 1-based line and column (in characters) to a
// byte offset.
func (d *doc) offset(lineNo, col int) (int, bool) {
	if lineNo < 1 || lineNo > len(d.lines) || col < 1 {
		return 0, false
	}
	l := d.lines[lineNo-1]
	pos := l.start
	for c := 1; c < col; c++ {
		if pos >= l.end {
			return 0, false
		}
		_, w := utf8.DecodeRune(d.src[pos:l.end])
		pos += w
	}
	return pos, true
}

// lineOf returns the index of the line holding byte offset pos.
func (d *doc) lineOf(pos int) int {
	lo, hi := 0, len(d.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if d.lines[mid].start <= pos {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (d *doc) content(i int) []byte { return d.src[d.lines[i].start:d.lines[i].end] }

// indentOf counts the leading spaces of line i and reports whether the line
// is blank (only spaces and tabs).
func (d *doc) indentOf(i int) (n int, blank bool) {
	c := d.content(i)
	for n < len(c) && c[n] == ' ' {
		n++
	}
	return n, len(bytes.TrimLeft(c[n:], " \t")) == 0
}

// span is where one entry of the top-level mapping sits in the source.
type span struct {
	keyLine, endLine int // 0-based lines of the key and of the value's end
	keyIndent        int
	colonEnd         int // byte offset just after the key's ':'
	tokStart, tokEnd int // byte range of an inline value (tokStart == tokEnd == colonEnd: no value written)
	inline           bool
	comment          string // the comment after the value (or after a block header), "" if none
	litIndent        int    // absolute content indentation of a literal/folded block, 0 if unknown
	keep             bool   // a block scalar with keep chomping (|+): trailing blank lines are its text
}

// entrySpan locates entry i of p in the source.
func (d *doc) entrySpan(p *parsed, i int) (span, error) {
	e := p.entries[i]
	var sp span
	sp.keyLine = e.key.Line - 1
	keyStart, ok := d.offset(e.key.Line, e.key.Column)
	if !ok || len(bytes.Trim(d.src[d.lines[sp.keyLine].start:keyStart], " ")) > 0 {
		return sp, errNoSplice
	}
	sp.keyIndent = keyStart - d.lines[sp.keyLine].start
	_, keyEnd, ok := d.token(keyStart, e.key)
	if !ok || d.lineOf(keyEnd) != sp.keyLine {
		return sp, errNoSplice
	}
	pos := skipBlanks(d.src, keyEnd)
	if pos >= len(d.src) || d.src[pos] != ':' {
		return sp, errNoSplice
	}
	sp.colonEnd = pos + 1
	limit := len(d.lines)
	if i+1 < len(p.entries) {
		limit = p.entries[i+1].key.Line - 1
	}

	v := e.val
	vStart, ok := d.offset(v.Line, v.Column)
	if !ok {
		return sp, errNoSplice
	}
	props := v.Anchor != "" || v.Style&yaml.TaggedStyle != 0
	switch {
	case v.Kind == yaml.ScalarNode && !props && v.Style == 0 && v.Value == "" && v.ShortTag() == "!!null":
		// "key:" with no value written.
		sp.tokStart, sp.tokEnd, sp.inline, sp.endLine = sp.colonEnd, sp.colonEnd, true, sp.keyLine
		return sp, nil
	case v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && !props:
		hdr := vStart
		for hdr < len(d.src) && strings.IndexByte("|>+-123456789", d.src[hdr]) >= 0 {
			hdr++
		}
		sp.comment = trailingComment(d.src[hdr:d.lines[d.lineOf(vStart)].end])
		sp.keep = bytes.Contains(d.src[vStart:hdr], []byte("+"))
		sp.endLine, sp.litIndent = d.literalEnd(d.lineOf(vStart), sp.keyIndent, sp.keep, limit)
		if n := explicitIndent(d.src[vStart:hdr]); n > 0 {
			sp.litIndent = sp.keyIndent + n
		}
	case (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && v.Style&yaml.FlowStyle == 0 || props:
		sp.comment = trailingComment(d.src[sp.colonEnd:d.lines[sp.keyLine].end])
		sp.endLine = d.blockEnd(sp.keyLine, sp.keyIndent, v.Kind == yaml.SequenceNode, limit)
	default:
		start, end, ok := d.token(vStart, v)
		if !ok {
			if v.Kind != yaml.ScalarNode || v.Style != 0 {
				return sp, errNoSplice
			}
			// A plain scalar continued on more lines.
			sp.endLine = d.blockEnd(sp.keyLine, sp.keyIndent, false, limit)
			break
		}
		sp.endLine = d.lineOf(end)
		rest := d.src[end:d.lines[sp.endLine].end]
		sp.comment = trailingComment(rest)
		if sp.comment == "" && len(bytes.Trim(rest, " \t")) > 0 {
			return sp, errNoSplice
		}
		sp.tokStart, sp.tokEnd = start, end
		sp.inline = sp.endLine == sp.keyLine && d.lineOf(start) == sp.keyLine
	}
	if sp.endLine >= limit && i+1 < len(p.entries) || sp.endLine < sp.keyLine {
		return sp, errNoSplice
	}
	return sp, nil
}

// token finds the byte range of the scalar, alias or flow collection n that
// starts at pos. ok is false when the token is not where n says, or for a
// plain scalar that continues on the next lines.
func (d *doc) token(pos int, n *yaml.Node) (start, end int, ok bool) {
	src := d.src
	if n.Anchor != "" || n.Style&yaml.TaggedStyle != 0 || pos >= len(src) {
		return 0, 0, false
	}
	switch {
	case n.Kind == yaml.AliasNode:
		end = pos + 1 + len(n.Value)
		return pos, end, end <= len(src) && src[pos] == '*' && string(src[pos+1:end]) == n.Value
	case n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0:
		for i := pos + 1; i < len(src); i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return pos, i + 1, src[pos] == '"'
			}
		}
	case n.Kind == yaml.ScalarNode && n.Style&yaml.SingleQuotedStyle != 0:
		for i := pos + 1; i < len(src); i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return pos, i + 1, src[pos] == '\''
			}
		}
	case n.Kind == yaml.ScalarNode && n.Style == 0:
		end = pos + len(n.Value)
		if end > d.lines[d.lineOf(pos)].end || string(src[pos:end]) != n.Value {
			return 0, 0, false
		}
		return pos, end, end == len(src) || src[end] == ' ' || src[end] == ':' || src[end] == '\t' || src[end] == '\r' || src[end] == '\n' ||
			bytes.HasPrefix(src[end:], []byte("\u0085")) || bytes.HasPrefix(src[end:], []byte("\u2028")) || bytes.HasPrefix(src[end:], []byte("\u2029"))
	case (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle != 0:
		if src[pos] != '[' && src[pos] != '{' {
			return 0, 0, false
		}
		if end, ok := flowEnd(src, pos); ok {
			return pos, end, true
		}
	}
	return 0, 0, false
}

// flowEnd finds the end of the flow collection that opens at src[pos].
func flowEnd(src []byte, pos int) (int, bool) {
	depth := 0
	tokenStart := true // at a place where a quoted scalar may begin
	for i := pos; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '[' || c == '{':
			depth++
			tokenStart = true
		case c == ']' || c == '}':
			depth--
			if depth == 0 {
				return i + 1, true
			}
			tokenStart = false
		case c == ',' || c == ':' || c == '?':
			tokenStart = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			tokenStart = true
		case c == '#' && i > pos && (src[i-1] == ' ' || src[i-1] == '\t'):
			for i < len(src) && src[i] != '\n' && src[i] != '\r' {
				i++
			}
			tokenStart = true
		case (c == '"' || c == '\'') && tokenStart:
			i++
			for ; i < len(src); i++ {
				if c == '"' && src[i] == '\\' {
					i++
				} else if src[i] == c {
					if c == '\'' && i+1 < len(src) && src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
			tokenStart = false
		default:
			tokenStart = false
		}
	}
	return 0, false
}

// blockEnd returns the last line of a block value whose key is on line from:
// the following lines indented more than the key (or, for a block sequence,
// "- " items at the key's indentation), with comment and blank lines in
// between; comment and blank lines after the value belong to the next key.
func (d *doc) blockEnd(from, keyIndent int, seq bool, limit int) int {
	end := from
	for i := from + 1; i < limit; i++ {
		n, blank := d.indentOf(i)
		c := d.content(i)
		if blank || c[n] == '#' {
			continue
		}
		if n > keyIndent || seq && n == keyIndent && c[n] == '-' && (n+1 == len(c) || c[n+1] == ' ' || c[n+1] == '\t') {
			end = i
			continue
		}
		break
	}
	return end
}

// literalEnd returns the last line of a literal or folded block whose header
// is on line from, and the indentation of its first content line. Trailing
// blank lines are part of the block only with keep chomping (|+).
func (d *doc) literalEnd(from, keyIndent int, keep bool, limit int) (end, indent int) {
	end = from
	last := from
	for i := from + 1; i < limit && d.lines[i].start < len(d.src); i++ {
		n, _ := d.indentOf(i)
		c := d.content(i)
		if n == len(c) { // empty or spaces only
			last = i
			continue
		}
		if n <= keyIndent {
			break
		}
		if indent == 0 {
			indent = n
		}
		end, last = i, i
	}
	if keep {
		end = last
	}
	return end, indent
}

// explicitIndent returns the indentation indicator of a block header, or 0.
func explicitIndent(hdr []byte) int {
	for _, c := range hdr {
		if c >= '1' && c <= '9' {
			return int(c - '0')
		}
	}
	return 0
}

// trailingComment returns the "# ..." comment that rest (the remainder of a
// line after a value) holds, or "".
func trailingComment(rest []byte) string {
	t := bytes.TrimLeft(rest, " \t")
	if len(t) > 0 && t[0] == '#' && (len(t) < len(rest) || len(rest) == 0) {
		return string(bytes.TrimRight(t, " \t"))
	}
	return ""
}

func skipBlanks(src []byte, pos int) int {
	for pos < len(src) && (src[pos] == ' ' || src[pos] == '\t') {
		pos++
	}
	return pos
}

// editor collects line edits on a document and assembles the result.
type editor struct {
	*doc
	nl     string
	repl   map[int][]byte // replacement of a whole line (with its break); nil deletes it
	before map[int][]byte
	after  map[int][]byte
}

func (ed *editor) replaceLines(from, to int, text []byte) error {
	for i := from; i <= to; i++ {
		if _, dup := ed.repl[i]; dup {
			return errNoSplice
		}
		ed.repl[i] = nil
	}
	ed.repl[from] = text
	return nil
}

// replaceRange replaces src[start:end], which lies on one line, with text.
func (ed *editor) replaceRange(start, end int, text string) error {
	i := ed.lineOf(start)
	l := ed.lines[i]
	var b []byte
	b = append(b, ed.src[l.start:start]...)
	b = append(b, text...)
	b = append(b, ed.src[end:l.next]...)
	return ed.replaceLines(i, i, b)
}

// spliceInline replaces the one-line value src[start:end] with text and
// keeps a comment after it in its column where the padding allows.
func (ed *editor) spliceInline(start, end int, text string) error {
	rest := ed.src[end:ed.lines[ed.lineOf(start)].end]
	pad := len(rest) - len(bytes.TrimLeft(rest, " "))
	if pad > 0 && pad < len(rest) && rest[pad] == '#' {
		delta := utf8.RuneCountInString(text) - utf8.RuneCount(ed.src[start:end])
		text += strings.Repeat(" ", max(pad-delta, 1))
		end += pad
	}
	return ed.replaceRange(start, end, text)
}

func (ed *editor) bytes() []byte {
	out := make([]byte, 0, len(ed.src)+256)
	bom := ed.lines[0].start // a byte-order mark is kept, and is not a line
	emit := func(b []byte) {
		if len(b) == 0 {
			return
		}
		if len(out) > bom && !endsWithBreak(out) {
			out = append(out, ed.nl...)
		}
		out = append(out, b...)
	}
	out = append(out, ed.src[:bom]...)
	for i, l := range ed.lines {
		emit(ed.before[i])
		if r, ok := ed.repl[i]; ok {
			emit(r)
		} else {
			emit(ed.src[l.start:l.next])
		}
		emit(ed.after[i])
	}
	return out
}

func endsWithBreak(b []byte) bool {
	return bytes.HasSuffix(b, []byte{'\n'}) || bytes.HasSuffix(b, []byte{'\r'}) ||
		bytes.HasSuffix(b, []byte("\u0085")) || bytes.HasSuffix(b, []byte("\u2028")) || bytes.HasSuffix(b, []byte("\u2029"))
}

// splice applies the differences between p and want to the source text.
func splice(p *parsed, src []byte, want *milestone.Milestone) ([]byte, error) {
	if p.root.Style&yaml.FlowStyle != 0 || len(p.entries) == 0 {
		return nil, errNoSplice
	}
	d := &doc{src: src, lines: splitLines(src)}
	ed := &editor{doc: d, nl: "\n", repl: map[int][]byte{}, before: map[int][]byte{}, after: map[int][]byte{}}
	if l := d.lines[0]; l.next-l.end == 2 && src[l.end] == '\r' {
		ed.nl = "\r\n"
	}
	rewritten := toRewrite(p, want)
	spans := make([]span, len(p.entries))
	for i := range p.entries {
		sp, err := d.entrySpan(p, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && (sp.keyIndent != spans[0].keyIndent || sp.keyLine <= spans[i-1].endLine) {
			return nil, errNoSplice
		}
		spans[i] = sp
	}
	for i, e := range p.entries {
		if !rewritten[i] {
			continue
		}
		sp := spans[i]
		v, present := fieldValue(want, e.name)
		var err error
		if !present {
			err = ed.replaceLines(sp.keyLine, sp.endLine, nil)
		} else {
			err = ed.change(e, sp, v)
		}
		if err != nil {
			return nil, err
		}
	}
	var add []byte
	indent := spans[0].keyIndent
	keepBlockLast := false
	for _, f := range fields(want) {
		if p.find(f.Key) < 0 && !sameField(&p.m, want, f.Key) {
			add = appendEntry(add, f.Key, f.Value, indent, ed.nl)
			keepBlockLast = keepBlock(f.Value)
		}
	}
	// Blank lines after a keep-chomped block (|+) are its text: keep them
	// from joining it when a key below is removed or a block becomes |+.
	for i, e := range p.entries {
		v, present := fieldValue(want, e.name)
		if present && (rewritten[i] && keepBlock(v) || !rewritten[i] && spans[i].keep) {
			ed.protectKeep(spans[i].endLine, false)
		}
	}
	if len(add) > 0 {
		li := len(spans) - 1
		last := spans[li].endLine
		if l := d.lines[last]; l.next == l.end && !rewritten[li] && p.entries[li].val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			// A block scalar ending the file without a line break would
			// gain one: write it anew (with its chomping indicator).
			v, _ := fieldValue(want, p.entries[li].name)
			if err := ed.change(p.entries[li], spans[li], v); err != nil {
				return nil, err
			}
		}
		ed.after[last] = append(ed.after[last], add...)
		if keepBlockLast {
			ed.protectKeep(last, true)
		}
	}
	return ed.bytes(), nil
}

// keepBlock reports whether v is written as a literal block with keep
// chomping (|+), whose text would take in any blank lines that follow it.
func keepBlock(v any) bool {
	s, ok := v.(string)
	return ok && (s == "\n" || strings.HasSuffix(s, "\n\n")) && literalOK(s)
}

// protectKeep deletes the blank lines that would follow a keep-chomped
// block ending on line end in the result, up to the next text. With
// appended, the block is the last text appended after line end.
func (ed *editor) protectKeep(end int, appended bool) {
	if len(ed.after[end]) > 0 && !appended {
		return
	}
	for j := end + 1; j < len(ed.lines) && ed.lines[j].start < len(ed.src); j++ {
		if len(ed.before[j]) > 0 {
			return
		}
		if r, ok := ed.repl[j]; ok {
			if len(r) > 0 {
				return
			}
		} else {
			if _, blank := ed.indentOf(j); !blank {
				return
			}
			ed.repl[j] = nil
		}
		if len(ed.after[j]) > 0 {
			return
		}
	}
}

// change writes the new value v of entry e.
func (ed *editor) change(e entry, sp span, v any) error {
	if list, ok := v.([]string); ok && e.val.Kind == yaml.SequenceNode && e.val.Style&yaml.FlowStyle == 0 {
		if err := ed.editItems(e.val, list); err == nil {
			return nil
		}
	}
	if sp.inline {
		if text, ok := inlineValue(e, v); ok {
			if sp.tokStart == sp.tokEnd { // "key:" with no value written
				text = " " + text
			}
			return ed.spliceInline(sp.tokStart, sp.tokEnd, text)
		}
	}
	// Replace the entry's lines, keeping the key as written and the comment.
	lit := 2
	if r := sp.litIndent - sp.keyIndent; sp.litIndent > 0 && r >= 1 && r <= 9 {
		lit = r
	}
	b := append([]byte(nil), ed.src[ed.lines[sp.keyLine].start:sp.colonEnd]...)
	n := len(b)
	b = appendValue(b, e.name, v, sp.keyIndent, lit, ed.nl)
	if sp.comment != "" {
		eol := n + bytes.Index(b[n:], []byte(ed.nl))
		b = append(b[:eol], append([]byte(" "+sp.comment), b[eol:]...)...)
	}
	return ed.replaceLines(sp.keyLine, sp.endLine, b)
}

// inlineValue renders v for a splice in place of the one-line value of e,
// keeping the old quoting style when the user chose quotes that were not
// needed. ok is false when v needs more than one line.
func inlineValue(e entry, v any) (string, bool) {
	switch t := v.(type) {
	case string:
		if strings.Contains(t, "\n") && literalOK(t) {
			return "", false
		}
		var style yaml.Style
		if old := e.val; old.Kind == yaml.ScalarNode && old.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 &&
			plainOK(old.Value, isTimeKey(e.name), false) {
			style = old.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle)
		}
		return renderString(t, isTimeKey(e.name), style), true
	case []string:
		return renderList(t), true
	case int:
		return fmt.Sprint(t), true
	}
	return inlineNode(valueNode(v))
}

// editItems edits a block list of one-line scalars item by item: lines of
// removed items are deleted, new items get a line after the item they
// follow. It fails (changing nothing) when the list is laid out otherwise.
func (ed *editor) editItems(seq *yaml.Node, list []string) error {
	type item struct {
		value      string
		line, dash int
	}
	old := make([]item, len(seq.Content))
	for j, it := range seq.Content {
		s, ok, _ := scalarText(it)
		if !ok || it.Kind != yaml.ScalarNode || it.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || it.ShortTag() == "!!binary" {
			return errNoSplice
		}
		pos, ok := ed.offset(it.Line, it.Column)
		if !ok {
			return errNoSplice
		}
		_, end, ok := ed.token(pos, it)
		li := ed.lineOf(pos)
		if !ok || ed.lineOf(end) != li || (j > 0 && li <= old[j-1].line) {
			return errNoSplice
		}
		if _, dup := ed.repl[li]; dup {
			return errNoSplice
		}
		rest := ed.src[end:ed.lines[li].end]
		if len(bytes.Trim(rest, " \t")) > 0 && trailingComment(rest) == "" {
			return errNoSplice
		}
		pre := ed.src[ed.lines[li].start:pos]
		dash := bytes.IndexByte(pre, '-')
		if dash < 0 || len(bytes.Trim(pre[:dash], " ")) > 0 || len(bytes.Trim(pre[dash+1:], " ")) > 0 || dash+1 == len(pre) {
			return errNoSplice
		}
		if j > 0 && dash != old[0].dash {
			return errNoSplice
		}
		old[j] = item{s, li, dash}
	}
	// Longest common subsequence of old values and list.
	n, m := len(old), len(list)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if old[i].value == list[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	itemLine := func(s string) []byte {
		b := appendSpaces(nil, old[0].dash)
		b = append(b, "- "...)
		b = append(b, renderString(s, false, 0)...)
		return append(b, ed.nl...)
	}
	// New items go before the next old item (taking the place of one that
	// is removed), or after the last one.
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && old[i].value == list[j]:
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			if i < n {
				ed.before[old[i].line] = append(ed.before[old[i].line], itemLine(list[j])...)
			} else {
				ed.after[old[n-1].line] = append(ed.after[old[n-1].line], itemLine(list[j])...)
			}
			j++
		default:
			ed.repl[old[i].line] = nil
			i++
		}
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
