package format

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

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
	if err := d.valueSpan(&sp, v, vStart, limit); err != nil {
		return sp, err
	}
	if sp.endLine >= limit && i+1 < len(p.entries) || sp.endLine < sp.keyLine {
		return sp, errNoSplice
	}
	return sp, nil
}

// valueSpan fills in where the value v of the entry in sp ends, and its
// inline token and trailing comment; vStart is the value's byte offset and
// limit the line of the next key.
func (d *doc) valueSpan(sp *span, v *yaml.Node, vStart, limit int) error {
	props := v.Anchor != "" || v.Style&yaml.TaggedStyle != 0
	switch {
	case v.Kind == yaml.ScalarNode && !props && v.Style == 0 && v.Value == "" && v.ShortTag() == "!!null":
		// "key:" with no value written.
		sp.tokStart, sp.tokEnd, sp.inline, sp.endLine = sp.colonEnd, sp.colonEnd, true, sp.keyLine
		return nil
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
				return errNoSplice
			}
			// A plain scalar continued on more lines.
			sp.endLine = d.blockEnd(sp.keyLine, sp.keyIndent, false, limit)
			break
		}
		sp.endLine = d.lineOf(end)
		rest := d.src[end:d.lines[sp.endLine].end]
		sp.comment = trailingComment(rest)
		if sp.comment == "" && len(bytes.Trim(rest, " \t")) > 0 {
			return errNoSplice
		}
		sp.tokStart, sp.tokEnd = start, end
		sp.inline = sp.endLine == sp.keyLine && d.lineOf(start) == sp.keyLine
	}
	return nil
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
		if src[pos] != '"' {
			return 0, 0, false
		}
		end, ok = quotedEnd(src, pos)
		return pos, end, ok
	case n.Kind == yaml.ScalarNode && n.Style&yaml.SingleQuotedStyle != 0:
		if src[pos] != '\'' {
			return 0, 0, false
		}
		end, ok = quotedEnd(src, pos)
		return pos, end, ok
	case n.Kind == yaml.ScalarNode && n.Style == 0:
		end, ok = d.plainEnd(pos, n.Value)
		return pos, end, ok
	case (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle != 0:
		if src[pos] != '[' && src[pos] != '{' {
			return 0, 0, false
		}
		end, ok = flowEnd(src, pos)
		return pos, end, ok
	}
	return 0, 0, false
}

// quotedEnd returns the offset just after the quoted scalar that opens at
// src[pos] (a double or a single quote), honouring backslash escapes in
// double quotes and doubled quotes in single quotes.
func quotedEnd(src []byte, pos int) (int, bool) {
	q := src[pos]
	for i := pos + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case src[i] == q && q == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == q:
			return i + 1, true
		}
	}
	return 0, false
}

// plainEnd returns the offset just after the plain scalar value at pos, when
// it is written there on one line and ends where a plain scalar may end.
func (d *doc) plainEnd(pos int, value string) (int, bool) {
	src := d.src
	end := pos + len(value)
	if end > d.lines[d.lineOf(pos)].end || string(src[pos:end]) != value {
		return 0, false
	}
	if end == len(src) || strings.IndexByte(" :\t\r\n", src[end]) >= 0 {
		return end, true
	}
	for _, sep := range []string{"\u0085", "\u2028", "\u2029"} {
		if bytes.HasPrefix(src[end:], []byte(sep)) {
			return end, true
		}
	}
	return end, false
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
		case c == ',' || c == ':' || c == '?' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
			tokenStart = true
		case c == '#' && i > pos && (src[i-1] == ' ' || src[i-1] == '\t'):
			for i < len(src) && src[i] != '\n' && src[i] != '\r' {
				i++
			}
			tokenStart = true
		case (c == '"' || c == '\'') && tokenStart:
			end, ok := quotedEnd(src, i)
			if !ok {
				return 0, false
			}
			i = end - 1
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
