package merge

import (
	"strings"
	"unicode"
)

// LineOptions shape the conflict markers of a line merge.
type LineOptions struct {
	OursLabel   string // written after "<<<<<<<"; "" writes the bare marker
	TheirsLabel string // written after ">>>>>>>"
	MarkerSize  int    // length of the markers; 0 means 7, as in git
}

// LineMerge is the outcome of a three-way line merge.
type LineMerge struct {
	chunks []chunk
}

// chunk is a run of merged lines, or a conflict between two runs.
type chunk struct {
	conflict     bool
	taken        bool     // lines taken from a side's change (not unchanged lines)
	lines        []string // the merged lines (no conflict)
	ours, theirs []string // the two sides (conflict)
}

// MergeLines merges the changes ours and theirs made to base, line by
// line, with the semantics of `git merge-file`: a change made on one side
// is taken; the same change made on both sides is taken once; changes of
// both sides that overlap or touch conflict. Conflicts are narrowed to the
// lines that really differ, and two conflicts at most three lines apart (or
// separated by lines without letters or digits) are joined, as git's
// "zealous alnum" level does.
func MergeLines(base, ours, theirs []byte) *LineMerge {
	return mergeLineSlices(SplitLines(base), SplitLines(ours), SplitLines(theirs))
}

func mergeLineSlices(base, ours, theirs []string) *LineMerge {
	in := interner{}
	b, o, t := in.ids(base), in.ids(ours), in.ids(theirs)
	ho, ht := diffIDs(b, o), diffIDs(b, t)
	lm := &LineMerge{}
	pos, dO, dT := 0, 0, 0
	i, j := 0, 0
	for i < len(ho) || j < len(ht) {
		gs := 0
		if j >= len(ht) || (i < len(ho) && ho[i].A0 <= ht[j].A0) {
			gs = ho[i].A0
		} else {
			gs = ht[j].A0
		}
		ge := gs
		oStart, tStart := gs+dO, gs+dT
		nO, nT := 0, 0
		for {
			switch {
			case i < len(ho) && ho[i].A0 <= ge:
				h := ho[i]
				ge = max(ge, h.A1)
				dO += (h.B1 - h.B0) - (h.A1 - h.A0)
				i, nO = i+1, nO+1
				continue
			case j < len(ht) && ht[j].A0 <= ge:
				h := ht[j]
				ge = max(ge, h.A1)
				dT += (h.B1 - h.B0) - (h.A1 - h.A0)
				j, nT = j+1, nT+1
				continue
			}
			break
		}
		lm.common(base[pos:gs])
		pos = ge
		op, tp := ours[oStart:ge+dO], theirs[tStart:ge+dT]
		switch {
		case nT == 0:
			lm.resolved(op)
		case nO == 0:
			lm.resolved(tp)
		case equalLines(op, tp):
			lm.resolved(op)
		default:
			lm.refine(op, tp)
		}
	}
	lm.common(base[pos:])
	lm.simplify()
	return lm
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// common appends unchanged lines, joining them to a preceding unchanged run.
func (lm *LineMerge) common(lines []string) {
	if len(lines) == 0 {
		return
	}
	if n := len(lm.chunks); n > 0 && !lm.chunks[n-1].conflict && !lm.chunks[n-1].taken {
		lm.chunks[n-1].lines = append(lm.chunks[n-1].lines, lines...)
		return
	}
	lm.chunks = append(lm.chunks, chunk{lines: append([]string(nil), lines...)})
}

// resolved appends the result of a change taken from one side (or made
// alike on both). simplify never joins two conflicts across it.
func (lm *LineMerge) resolved(lines []string) {
	lm.chunks = append(lm.chunks, chunk{taken: true, lines: append([]string(nil), lines...)})
}

// refine splits the conflict between ours and theirs into the lines they
// share and smaller conflicts (git's zealous level).
func (lm *LineMerge) refine(ours, theirs []string) {
	if len(ours) == 0 || len(theirs) == 0 {
		lm.chunks = append(lm.chunks, chunk{conflict: true, ours: ours, theirs: theirs})
		return
	}
	p := 0
	for _, h := range DiffLines(ours, theirs) {
		lm.common(ours[p:h.A0])
		lm.chunks = append(lm.chunks, chunk{conflict: true, ours: ours[h.A0:h.A1], theirs: theirs[h.B0:h.B1]})
		p = h.A1
	}
	lm.common(ours[p:])
}

// simplify joins two conflicts separated by at most three unchanged lines,
// or by unchanged lines with no letter or digit, into one conflict; then it
// joins runs of merged lines.
func (lm *LineMerge) simplify() {
	out := make([]chunk, 0, len(lm.chunks))
	for _, c := range lm.chunks {
		n := len(out)
		if c.conflict && n >= 2 && out[n-2].conflict && !out[n-1].conflict && !out[n-1].taken &&
			(len(out[n-1].lines) <= 3 || !hasAlnum(out[n-1].lines)) {
			prev, mid := out[n-2], out[n-1].lines
			prev.ours = concat(prev.ours, mid, c.ours)
			prev.theirs = concat(prev.theirs, mid, c.theirs)
			out = append(out[:n-2], prev)
			continue
		}
		out = append(out, c)
	}
	lm.chunks = lm.chunks[:0]
	for _, c := range out {
		switch {
		case c.conflict:
			lm.chunks = append(lm.chunks, c)
		case len(c.lines) > 0:
			if n := len(lm.chunks); n > 0 && !lm.chunks[n-1].conflict {
				lm.chunks[n-1].lines = append(lm.chunks[n-1].lines, c.lines...)
				continue
			}
			lm.chunks = append(lm.chunks, chunk{lines: c.lines})
		}
	}
}

func concat(parts ...[]string) []string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]string, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func hasAlnum(lines []string) bool {
	for _, l := range lines {
		for _, r := range l {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return true
			}
		}
	}
	return false
}

// Conflicts is the number of conflicts.
func (lm *LineMerge) Conflicts() int {
	n := 0
	for _, c := range lm.chunks {
		if c.conflict {
			n++
		}
	}
	return n
}

// Side is the merge with every conflict resolved to one side: ours when
// ours is true, theirs otherwise.
func (lm *LineMerge) Side(ours bool) []byte {
	var b strings.Builder
	for _, c := range lm.chunks {
		lines := c.lines
		if c.conflict {
			lines = c.theirs
			if ours {
				lines = c.ours
			}
		}
		for _, l := range lines {
			b.WriteString(l)
		}
	}
	return []byte(b.String())
}

// Text is the merge with each conflict written between standard markers:
// "<<<<<<< ours", the ours lines, "=======", the theirs lines,
// ">>>>>>> theirs".
func (lm *LineMerge) Text(opt LineOptions) []byte {
	size := opt.MarkerSize
	if size <= 0 {
		size = 7
	}
	var b strings.Builder
	for _, c := range lm.chunks {
		if !c.conflict {
			for _, l := range c.lines {
				b.WriteString(l)
			}
			continue
		}
		nl := "\n"
		if eol := lineEnding(c.ours, c.theirs); eol != "" {
			nl = eol
		}
		ensureBreak(&b, nl)
		b.WriteString(marker('<', size, opt.OursLabel, nl))
		writeSide(&b, c.ours, nl)
		b.WriteString(strings.Repeat("=", size) + nl)
		writeSide(&b, c.theirs, nl)
		b.WriteString(marker('>', size, opt.TheirsLabel, nl))
	}
	return []byte(b.String())
}

func marker(c byte, size int, label, nl string) string {
	m := strings.Repeat(string(c), size)
	if label != "" {
		m += " " + label
	}
	return m + nl
}

func writeSide(b *strings.Builder, lines []string, nl string) {
	for _, l := range lines {
		b.WriteString(l)
	}
	ensureBreak(b, nl)
}

// ensureBreak ends what was written with a line break, if it has none.
func ensureBreak(b *strings.Builder, nl string) {
	if s := b.String(); len(s) > 0 && s[len(s)-1] != '\n' {
		b.WriteString(nl)
	}
}

// lineEnding is "\r\n" when the first line of the conflict ends so.
func lineEnding(sides ...[]string) string {
	for _, s := range sides {
		if len(s) > 0 && strings.HasSuffix(s[0], "\n") {
			if strings.HasSuffix(s[0], "\r\n") {
				return "\r\n"
			}
			return "\n"
		}
	}
	return ""
}
