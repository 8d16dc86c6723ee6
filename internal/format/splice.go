package format

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

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
	old, err := ed.listItems(seq)
	if err != nil {
		return err
	}
	n, m := len(old), len(list)
	lcs := commonSubsequences(old, list)
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

// listItem is one "- value" line of a block list.
type listItem struct {
	value      string
	line, dash int // 0-based line, column of its dash
}

// listItems locates the items of a block list of one-line scalars, each on
// a line of its own with its dash in the same column; errNoSplice otherwise.
func (ed *editor) listItems(seq *yaml.Node) ([]listItem, error) {
	old := make([]listItem, len(seq.Content))
	for j, it := range seq.Content {
		s, ok, _ := scalarText(it)
		if !ok || it.Kind != yaml.ScalarNode || it.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || it.ShortTag() == "!!binary" {
			return nil, errNoSplice
		}
		li, dash, ok := ed.itemPlace(it)
		if !ok || (j > 0 && (li <= old[j-1].line || dash != old[0].dash)) {
			return nil, errNoSplice
		}
		old[j] = listItem{s, li, dash}
	}
	return old, nil
}

// itemPlace returns the line and dash column of the list item it, when it
// stands alone on its line after "- " (a comment may follow).
func (ed *editor) itemPlace(it *yaml.Node) (li, dash int, ok bool) {
	pos, ok := ed.offset(it.Line, it.Column)
	if !ok {
		return 0, 0, false
	}
	_, end, ok := ed.token(pos, it)
	li = ed.lineOf(pos)
	if !ok || ed.lineOf(end) != li {
		return 0, 0, false
	}
	if _, dup := ed.repl[li]; dup {
		return 0, 0, false
	}
	rest := ed.src[end:ed.lines[li].end]
	if len(bytes.Trim(rest, " \t")) > 0 && trailingComment(rest) == "" {
		return 0, 0, false
	}
	pre := ed.src[ed.lines[li].start:pos]
	dash = bytes.IndexByte(pre, '-')
	if dash < 0 || len(bytes.Trim(pre[:dash], " ")) > 0 || len(bytes.Trim(pre[dash+1:], " ")) > 0 || dash+1 == len(pre) {
		return 0, 0, false
	}
	return li, dash, true
}

// commonSubsequences returns the table of longest common subsequence
// lengths of the old item values and list: lcs[i][j] for old[i:], list[j:].
func commonSubsequences(old []listItem, list []string) [][]int {
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
	return lcs
}
