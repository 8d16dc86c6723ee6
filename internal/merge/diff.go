package merge

// Line diff: Myers' O(ND) algorithm in linear space (the "middle snake"
// bisection), on lines interned as ints, with a bounded cost: two ranges
// with no line in common are wholly different at once, and a bisection
// that needs more than maxEditCost edits gives up and treats its ranges as
// wholly different (correct, if not minimal). So large dissimilar inputs
// cost about linear time, not quadratic; they then merge as one block.

// Hunk is one difference between two line sequences: the lines A[A0:A1]
// are replaced by B[B0:B1]. An insertion has A0 == A1, a deletion B0 == B1.
type Hunk struct {
	A0, A1, B0, B1 int
}

// SplitLines cuts text into lines, each keeping its "\n" (the last one
// may have none). Empty text has no lines.
func SplitLines(text []byte) []string {
	if len(text) == 0 {
		return nil
	}
	n := 1
	for _, c := range text {
		if c == '\n' {
			n++
		}
	}
	lines := make([]string, 0, n)
	start := 0
	for i, c := range text {
		if c == '\n' {
			lines = append(lines, string(text[start:i+1]))
			start = i + 1
		}
	}
	if start < len(text) {
		lines = append(lines, string(text[start:]))
	}
	return lines
}

// interner maps lines to small ints so comparisons are cheap.
type interner map[string]int

func (in interner) ids(lines []string) []int {
	out := make([]int, len(lines))
	for i, l := range lines {
		id, ok := in[l]
		if !ok {
			id = len(in)
			in[l] = id
		}
		out[i] = id
	}
	return out
}

// DiffLines returns the hunks that turn a into b, in order, for a shortest
// edit script.
func DiffLines(a, b []string) []Hunk {
	in := interner{}
	return diffIDs(in.ids(a), in.ids(b))
}

// diffIDs returns the hunks between two interned sequences.
func diffIDs(a, b []int) []Hunk {
	top := 0
	for _, x := range a {
		top = max(top, x+1)
	}
	for _, x := range b {
		top = max(top, x+1)
	}
	d := &differ{a: a, b: b, stamp: make([]int, top)}
	d.compare(0, len(a), 0, len(b))
	var hunks []Hunk
	pa, pb := 0, 0
	for _, p := range d.pairs {
		if p[0] > pa || p[1] > pb {
			hunks = append(hunks, Hunk{pa, p[0], pb, p[1]})
		}
		pa, pb = p[0]+1, p[1]+1
	}
	if pa < len(a) || pb < len(b) {
		hunks = append(hunks, Hunk{pa, len(a), pb, len(b)})
	}
	return hunks
}

type differ struct {
	a, b  []int
	pairs [][2]int // matched (i, j), increasing
	stamp []int    // by line id: the gen of the last range that holds it
	gen   int
}

// maxEditCost bounds the edit distance one bisection searches for.
const maxEditCost = 1024

// shareLine reports whether a[aLo:aHi] and b[bLo:bHi] have a line in
// common, in linear time.
func (d *differ) shareLine(aLo, aHi, bLo, bHi int) bool {
	d.gen++
	for _, x := range d.a[aLo:aHi] {
		d.stamp[x] = d.gen
	}
	for _, y := range d.b[bLo:bHi] {
		if d.stamp[y] == d.gen {
			return true
		}
	}
	return false
}

// compare records the matches of a[aLo:aHi] and b[bLo:bHi].
func (d *differ) compare(aLo, aHi, bLo, bHi int) {
	for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
		d.pairs = append(d.pairs, [2]int{aLo, bLo})
		aLo, bLo = aLo+1, bLo+1
	}
	suffix := 0
	for aLo < aHi-suffix && bLo < bHi-suffix && d.a[aHi-1-suffix] == d.b[bHi-1-suffix] {
		suffix++
	}
	aEnd, bEnd := aHi-suffix, bHi-suffix
	if aLo < aEnd && bLo < bEnd && (aEnd-aLo)+(bEnd-bLo) > 64 && !d.shareLine(aLo, aEnd, bLo, bEnd) {
		// nothing in common: wholly different
	} else if aLo < aEnd && bLo < bEnd {
		// A split at a corner would not make progress: the ranges are then
		// treated as wholly different (correct, if not minimal).
		if x, y, ok := d.bisect(aLo, aEnd, bLo, bEnd); ok && !(x == aLo && y == bLo) && !(x == aEnd && y == bEnd) {
			d.compare(aLo, x, bLo, y)
			d.compare(x, aEnd, y, bEnd)
		}
	}
	for k := 0; k < suffix; k++ {
		d.pairs = append(d.pairs, [2]int{aEnd + k, bEnd + k})
	}
}

// bisect finds a point (x, y) on a shortest edit path through the box
// a[aLo:aHi] x b[bLo:bHi] where the forward and backward searches meet.
// ok is false when the two ranges have nothing in common, or when no
// meeting point is found within maxEditCost edits.
func (d *differ) bisect(aLo, aHi, bLo, bHi int) (x, y int, ok bool) {
	s := newSnakes(d.a[aLo:aHi], d.b[bLo:bHi])
	for dd := 0; dd < s.maxD; dd++ {
		if x, y, ok := s.forward(dd); ok {
			return aLo + x, bLo + y, true
		}
		if x, y, ok := s.backward(dd); ok {
			return aLo + x, bLo + y, true
		}
	}
	return 0, 0, false
}

// snakes is the state of one bisection: by diagonal k (at index off+k),
// the furthest x the forward search (v1, from the top left) and the
// backward search (v2, from the bottom right, x counted from the end) has
// reached; -1 where not yet reached. The k*start and k*end counts trim
// diagonals that have run off the box.
type snakes struct {
	a, b                           []int
	n, m, maxD, off, vlen, delta   int
	front                          bool // the forward search checks for the overlap
	v1, v2                         []int
	k1start, k1end, k2start, k2end int
}

func newSnakes(a, b []int) *snakes {
	n, m := len(a), len(b)
	maxD := min((n+m+1)/2, maxEditCost)
	s := &snakes{a: a, b: b, n: n, m: m, maxD: maxD, off: maxD, vlen: 2*maxD + 2, delta: n - m}
	s.front = s.delta%2 != 0
	v := make([]int, 2*s.vlen)
	s.v1, s.v2 = v[:s.vlen], v[s.vlen:]
	for i := range s.v1 {
		s.v1[i], s.v2[i] = -1, -1
	}
	s.v1[s.off+1], s.v2[s.off+1] = 0, 0
	return s
}

// forward extends the forward search by one edit (to cost dd) and reports
// where it meets the backward search, if it does.
func (s *snakes) forward(dd int) (x, y int, ok bool) {
	n, m, off, v1, v2 := s.n, s.m, s.off, s.v1, s.v2
	for k1 := -dd + s.k1start; k1 <= dd-s.k1end; k1 += 2 {
		k1o := off + k1
		var x1 int
		if k1 == -dd || (k1 != dd && v1[k1o-1] < v1[k1o+1]) {
			x1 = v1[k1o+1]
		} else {
			x1 = v1[k1o-1] + 1
		}
		y1 := x1 - k1
		for x1 < n && y1 < m && s.a[x1] == s.b[y1] {
			x1, y1 = x1+1, y1+1
		}
		v1[k1o] = x1
		switch {
		case x1 > n:
			s.k1end += 2
		case y1 > m:
			s.k1start += 2
		case s.front:
			k2o := off + s.delta - k1
			if k2o >= 0 && k2o < s.vlen && v2[k2o] != -1 {
				if x1 >= n-v2[k2o] {
					return x1, y1, true
				}
			}
		}
	}
	return 0, 0, false
}

// backward extends the backward search by one edit (to cost dd) and
// reports where it meets the forward search, if it does.
func (s *snakes) backward(dd int) (x, y int, ok bool) {
	n, m, off, v1, v2 := s.n, s.m, s.off, s.v1, s.v2
	for k2 := -dd + s.k2start; k2 <= dd-s.k2end; k2 += 2 {
		k2o := off + k2
		var x2 int
		if k2 == -dd || (k2 != dd && v2[k2o-1] < v2[k2o+1]) {
			x2 = v2[k2o+1]
		} else {
			x2 = v2[k2o-1] + 1
		}
		y2 := x2 - k2
		for x2 < n && y2 < m && s.a[n-x2-1] == s.b[m-y2-1] {
			x2, y2 = x2+1, y2+1
		}
		v2[k2o] = x2
		switch {
		case x2 > n:
			s.k2end += 2
		case y2 > m:
			s.k2start += 2
		case !s.front:
			k1o := off + s.delta - k2
			if k1o >= 0 && k1o < s.vlen && v1[k1o] != -1 {
				x1 := v1[k1o]
				y1 := off + x1 - k1o
				if x1 >= n-x2 {
					return x1, y1, true
				}
			}
		}
	}
	return 0, 0, false
}
