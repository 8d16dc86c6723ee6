package merge

import (
	"fmt"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// fieldMerge is the outcome of the per-field rules.
type fieldMerge struct {
	merged    milestone.Milestone // the merge; a conflicting field holds ours' value
	conflicts []fieldConflict
}

// fieldConflict is one key the rules could not decide, with the value to
// write on each side of the conflict markers.
type fieldConflict struct {
	key          string
	ours, theirs val
	msg          string
}

// mergeFields applies the rules of SPEC section 10 to every key. A nil base
// means both sides added the document: then every key on which they differ
// conflicts.
func mergeFields(b, o, t *milestone.Milestone) fieldMerge {
	fm := fieldMerge{merged: o.Clone()}
	var empty milestone.Milestone
	addAdd := b == nil
	if addAdd {
		b = &empty
	}
	conflict := func(key string, ov, tv val, msg string) {
		fm.conflicts = append(fm.conflicts, fieldConflict{key: key, ours: ov, theirs: tv, msg: msg})
	}
	differ := func(key string, ov, tv val) string {
		return fmt.Sprintf("%s: ours %s, theirs %s", key, show(ov), show(tv))
	}
	for _, key := range keys(o, t, b) {
		rule := mergeRule(key)
		if rule == milestone.MergeAfterStatus {
			continue // after status
		}
		bv, ov, tv := get(b, key), get(o, key), get(t, key)
		if sameAt(key, ov, tv) {
			set(&fm.merged, key, ov)
			continue
		}
		if addAdd {
			conflict(key, ov, tv, differ(key, ov, tv)+" (both added the milestone)")
			continue
		}
		switch rule {
		case milestone.MergeSet:
			set(&fm.merged, key, mergeSet(bv, ov, tv))
		case milestone.MergeEarliest:
			set(&fm.merged, key, pickTime(ov, tv, false))
		case milestone.MergeLatest:
			set(&fm.merged, key, pickTime(ov, tv, true))
		case milestone.MergeLines:
			if v, ok := take(bv, ov, tv); ok {
				set(&fm.merged, key, v)
				break
			}
			lm := MergeLines([]byte(str(bv)), []byte(str(ov)), []byte(str(tv)))
			if lm.Conflicts() == 0 {
				set(&fm.merged, key, text(string(lm.Side(true))))
				break
			}
			conflict(key, text(string(lm.Side(true))), text(string(lm.Side(false))),
				fmt.Sprintf("%s: both sides edited the same lines (%d conflicting part(s))", key, lm.Conflicts()))
		default:
			if v, ok := take(bv, ov, tv); ok {
				set(&fm.merged, key, v)
				break
			}
			conflict(key, ov, tv, differ(key, ov, tv)+", both changed from "+show(bv))
		}
	}
	mergeClosedAt(&fm, b, o, t, addAdd, conflict)
	return fm
}

// mergeRule is the rule milestone.Fields gives key; unknown keys merge
// as scalars.
func mergeRule(key string) milestone.MergeRule {
	if f, ok := milestone.Spec(key); ok {
		return f.Merge
	}
	return milestone.MergeScalar
}

// sameAt compares two values of key: timestamps as instants (the same
// moment written with two UTC offsets is the same value), the rest as
// same does.
func sameAt(key string, a, b val) bool {
	if same(a, b) {
		return true
	}
	return milestone.IsInstantKey(key) && a.ok && b.ok && milestone.SameInstant(str(a), str(b))
}

// take is the three-way rule for one value: the side that changed it. ok
// is false when both changed it differently.
func take(b, o, t val) (val, bool) {
	switch {
	case same(o, t), same(b, t):
		return o, true
	case same(b, o):
		return t, true
	}
	return val{}, false
}

func str(v val) string {
	s, _ := v.v.(string)
	return s
}

// text is the value of a string key: absent when empty.
func text(s string) val { return val{s, s != ""} }

// mergeSet merges two lists as sets: ours' items in order, less those theirs
// removed, then the items theirs added. Nothing removed on either side
// comes back; nothing added on either side is lost.
func mergeSet(b, o, t val) val {
	if v, ok := take(b, o, t); ok {
		return v
	}
	bl, _ := b.v.([]string)
	ol, _ := o.v.([]string)
	tl, _ := t.v.([]string)
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var out []string
	for _, s := range ol {
		if in(bl, s) && !in(tl, s) {
			continue // theirs removed it
		}
		out = append(out, s)
	}
	for _, s := range tl {
		if !in(bl, s) && !in(ol, s) && !in(out, s) {
			out = append(out, s) // theirs added it
		}
	}
	return val{out, len(out) > 0}
}

// pickTime keeps the earliest (or, with latest, the latest) of two
// timestamps; an absent or unreadable one loses. On a tie ours wins.
func pickTime(o, t val, latest bool) val {
	ot, ook := parseTime(str(o))
	tt, tok := parseTime(str(t))
	switch {
	case !o.ok || !ook:
		if t.ok {
			return t
		}
		return o
	case !t.ok || !tok:
		return o
	case latest && tt.After(ot), !latest && tt.Before(ot):
		return t
	}
	return o
}

// mergeClosedAt makes closed_at follow status: the side whose status was
// taken brings its closed_at; when both sides changed status alike, the
// earliest closing time is kept; when status conflicts, each side of the
// conflict keeps its own closed_at; when neither changed status, the
// three-way rule applies.
func mergeClosedAt(fm *fieldMerge, b, o, t *milestone.Milestone, addAdd bool, conflict func(string, val, val, string)) {
	key := milestone.KeyClosedAt
	bv, ov, tv := get(b, key), get(o, key), get(t, key)
	if sameAt(key, ov, tv) {
		set(&fm.merged, key, ov)
		return
	}
	statusConflict := false
	for _, c := range fm.conflicts {
		statusConflict = statusConflict || c.key == milestone.KeyStatus
	}
	oChanged, tChanged := o.Status != b.Status, t.Status != b.Status
	switch {
	case statusConflict || addAdd:
		conflict(key, ov, tv, fmt.Sprintf("closed_at follows status: ours %s, theirs %s", show(ov), show(tv)))
	case oChanged && !tChanged:
		set(&fm.merged, key, ov)
	case tChanged && !oChanged:
		set(&fm.merged, key, tv)
	case oChanged && tChanged:
		set(&fm.merged, key, pickTime(ov, tv, false))
	default:
		if sameAt(key, bv, tv) {
			set(&fm.merged, key, ov)
			return
		}
		if sameAt(key, bv, ov) {
			set(&fm.merged, key, tv)
			return
		}
		conflict(key, ov, tv, fmt.Sprintf("closed_at: ours %s, theirs %s, both changed from %s", show(ov), show(tv), show(bv)))
	}
}
