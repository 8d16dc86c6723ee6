package merge

import (
	"bytes"

	"github.com/git-milestone/git-milestone/internal/format"
)

// segment is the text of one top-level key of a document: the comment
// lines right above the key, the key and its value lines. The lines before
// the first key form a segment named "".
type segment struct {
	name  string
	lines []string
}

// segments cuts a block-mapping document into one segment per top-level
// key. ok is false for layouts it does not handle (flow mappings, keys not
// in column 1, line breaks other than "\n" and "\r\n").
func segments(src []byte) ([]segment, bool) {
	if bytes.ContainsAny(src, "\u0085\u2028\u2029") || bytes.Count(src, []byte("\r")) != bytes.Count(src, []byte("\r\n")) {
		return nil, false
	}
	keys, ok := format.TopLevelKeys(src)
	if !ok {
		return nil, false
	}
	lines := SplitLines(src)
	segs := []segment{{name: ""}}
	start, prev := 0, -1
	for _, k := range keys {
		l := k.Line - 1
		if k.Column != 1 || l <= prev || l >= len(lines) {
			return nil, false
		}
		// Comment lines in column 1 right above the key belong to it.
		top := l
		for top-1 > prev && len(lines[top-1]) > 0 && lines[top-1][0] == '#' {
			top--
		}
		segs[len(segs)-1].lines = lines[start:top]
		segs = append(segs, segment{name: k.Name})
		start, prev = top, l
	}
	segs[len(segs)-1].lines = lines[start:]
	return segs, true
}

// mergeByKey merges the texts ro and rt (ours and theirs already rewritten
// to the merged values) key by key: a key whose text only one side changed
// (in ours or theirs, compared with base) takes that side's text; a key
// both changed is line-merged against base, and keeps ro's text when that
// conflicts. ok is false when the documents cannot be cut into keys, or ro
// and rt do not have the same keys in the same order.
func mergeByKey(base, ours, theirs, ro, rt []byte) ([]byte, bool) {
	so, ok1 := segments(ro)
	st, ok2 := segments(rt)
	if !ok1 || !ok2 || len(so) != len(st) {
		return nil, false
	}
	for i := range so {
		if so[i].name != st[i].name {
			return nil, false
		}
	}
	byName := func(src []byte) (map[string][]string, bool) {
		m := map[string][]string{}
		segs, ok := segments(src)
		for _, s := range segs {
			if _, dup := m[s.name]; !dup {
				m[s.name] = s.lines
			}
		}
		return m, ok
	}
	bs, _ := byName(base)
	oursSegs, okO := byName(ours)
	theirsSegs, okT := byName(theirs)
	var out []byte
	for i := range so {
		name, o, t := so[i].name, so[i].lines, st[i].lines
		b := bs[name]
		lines := o
		switch {
		case equalLines(o, t):
		case okO && equalLines(oursSegs[name], b):
			lines = t // ours left this key as it was
		case okT && equalLines(theirsSegs[name], b):
		default:
			if lm := mergeLineSlices(b, o, t); lm.Conflicts() == 0 {
				lines = SplitLines(lm.Side(true))
			}
		}
		for _, l := range lines {
			out = append(out, l...)
		}
	}
	return out, true
}
