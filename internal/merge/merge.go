// Package merge is the three-way merge of milestone documents that git
// runs as the `milestone` merge driver (SPEC section 10), plus the line
// merge and line diff it is built on.
//
// Merge decodes the three versions and merges them field by field: scalar
// fields (title, status, priority, owner, dates, progress, unknown keys)
// take the side that changed them and conflict when both changed them
// differently; labels and depends_on merge as sets (a removal on one side
// is honoured); created_at keeps the oldest and updated_at the latest
// timestamp; closed_at follows status; description merges line by line
// like `git merge-file`. The merged document keeps the text of ours and,
// where a line merge allows it, the comments and layout theirs changed.
// Conflicts are written with standard markers around the lines of the
// fields in conflict. When a version does not decode, the whole text is
// merged line by line instead.
package merge

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Result is the outcome of merging one document.
type Result struct {
	// Content is the merged document. With conflicts it holds standard
	// conflict markers (<<<<<<< ours, =======, >>>>>>> theirs).
	Content []byte
	// Conflicts lists what could not be merged; empty means a clean merge,
	// whose Content always decodes and validates.
	Conflicts []Conflict
	// LineMerged is true when a version did not decode and the document was
	// merged as plain lines (git merge-file semantics).
	LineMerged bool
	// Notes are things to tell the user (why the document was line-merged).
	Notes []string
}

// Clean reports whether the merge has no conflict.
func (r Result) Clean() bool { return len(r.Conflicts) == 0 }

// Conflict is one thing the merge could not decide.
type Conflict struct {
	Field  string // the document key; "" for the document as a whole
	Ours   string // the value on our side, for messages ("(absent)" if none)
	Theirs string // the value on their side
	Msg    string // one sentence for people
}

// Options adjust Merge.
type Options struct {
	// OursLabel and TheirsLabel follow the conflict markers; empty means
	// "ours" and "theirs".
	OursLabel, TheirsLabel string
	// MarkerSize is the length of conflict markers; 0 means 7.
	MarkerSize int
}

// Merge merges the milestone document at path (repository-relative; used in
// messages) from its common ancestor base and the two versions ours and
// theirs. An empty base means both sides added the document.
func Merge(base, ours, theirs []byte, path string) Result {
	return MergeWith(base, ours, theirs, path, Options{})
}

// MergeWith is Merge with options.
func MergeWith(base, ours, theirs []byte, path string, opt Options) Result {
	if opt.OursLabel == "" {
		opt.OursLabel = "ours"
	}
	if opt.TheirsLabel == "" {
		opt.TheirsLabel = "theirs"
	}
	lopt := LineOptions(opt)
	switch {
	case bytes.Equal(ours, theirs), bytes.Equal(base, theirs):
		return Result{Content: bytes.Clone(ours)}
	case bytes.Equal(base, ours):
		return Result{Content: bytes.Clone(theirs)}
	}
	if why := unmergeable(path, base, ours, theirs); why != "" {
		// Not a text document: ours is kept as it is and the merge is a
		// conflict, so git reports it and nothing of the user's is lost.
		return Result{Content: bytes.Clone(ours), Notes: []string{why + "; your version is kept"},
			Conflicts: []Conflict{{Msg: why + ": resolve it by hand"}}}
	}
	noBase := len(bytes.TrimSpace(base)) == 0
	var bad []string
	decode := func(side string, src []byte) *milestone.Milestone {
		m, err := format.Decode("", src)
		if err != nil {
			bad = append(bad, sideError(path, side, err))
			return nil
		}
		return &m
	}
	var mb *milestone.Milestone
	if !noBase {
		mb = decode("base", base)
	}
	mo, mt := decode("ours", ours), decode("theirs", theirs)
	if len(bad) > 0 {
		return lineFallback(base, ours, theirs, path, bad, lopt)
	}

	fm := mergeFields(mb, mo, mt)
	if len(fm.conflicts) == 0 {
		return Result{Content: render(base, ours, theirs, &fm.merged)}
	}
	mOurs, mTheirs := fm.merged.Clone(), fm.merged.Clone()
	for _, c := range fm.conflicts {
		set(&mOurs, c.key, c.ours)
		set(&mTheirs, c.key, c.theirs)
	}
	co, ct := render(base, ours, theirs, &mOurs), render(base, ours, theirs, &mTheirs)
	lm := &LineMerge{}
	lm.refine(SplitLines(co), SplitLines(ct))
	lm.simplify()
	res := Result{Content: lm.Text(lopt)}
	if noBase {
		id := idOf(path)
		res.Conflicts = append(res.Conflicts, Conflict{Msg: fmt.Sprintf(
			"both sides added milestone %s with different content; if they are different milestones, "+
				"run `git merge --abort`, rename one on its branch with `git milestone mv %s NEW-ID` and merge again",
			id, id)})
	}
	for _, c := range fm.conflicts {
		res.Conflicts = append(res.Conflicts, Conflict{Field: c.key, Ours: show(c.ours), Theirs: show(c.theirs), Msg: c.msg})
	}
	return res
}

// sideError names a version that does not decode.
func sideError(path, side string, err error) string {
	var fe *format.Error
	if errors.As(err, &fe) {
		e := *fe
		e.Path = path
		return fmt.Sprintf("%s version: %s", side, e.Error())
	}
	return fmt.Sprintf("%s version of %s: %v", side, path, err)
}

// idOf is the milestone id of a document path (its file name without .yaml).
func idOf(path string) string {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	return strings.TrimSuffix(base, ".yaml")
}

// lineFallback merges the three texts line by line when a version does not
// decode. A result that does not decode is reported as a conflict, so git
// never records it as resolved.
// unmergeable says why three versions cannot be merged even line by line
// (binary data, NUL bytes, invalid UTF-8, or a version over the document
// size limit), or "".
func unmergeable(path string, base, ours, theirs []byte) string {
	for i, src := range [][]byte{base, ours, theirs} {
		side := [...]string{"base", "ours", "theirs"}[i]
		switch {
		case len(src) > format.MaxDocumentSize:
			return fmt.Sprintf("%s version of %s is %d bytes, over the document limit of %d", side, path, len(src), format.MaxDocumentSize)
		case bytes.IndexByte(src, 0) >= 0:
			return fmt.Sprintf("%s version of %s holds NUL bytes (binary data)", side, path)
		case !utf8.Valid(src):
			return fmt.Sprintf("%s version of %s is not UTF-8 text", side, path)
		}
	}
	return ""
}

func lineFallback(base, ours, theirs []byte, path string, bad []string, lopt LineOptions) Result {
	lm := MergeLines(base, ours, theirs)
	res := Result{Content: lm.Text(lopt), LineMerged: true}
	for _, b := range bad {
		res.Notes = append(res.Notes, b+"; merged line by line")
	}
	if n := lm.Conflicts(); n > 0 {
		res.Conflicts = append(res.Conflicts, Conflict{Msg: fmt.Sprintf("%s: %d overlapping line edit(s) (line merge)", path, n)})
		return res
	}
	if _, err := format.Decode("", res.Content); err != nil {
		res.Conflicts = append(res.Conflicts, Conflict{Msg: fmt.Sprintf("the line-merged document does not decode: %s", sideError(path, "merged", err))})
		return res
	}
	for _, b := range bad {
		if !strings.Contains(b, "base version") {
			// A side that does not parse is never merged silently.
			res.Conflicts = append(res.Conflicts, Conflict{Msg: b + ": check the line-merged document"})
			break
		}
	}
	return res
}

// render writes the document for m. It starts from ours rewritten to m
// (ours' comments and layout kept, only changed values spliced in), then
// tries to bring in the comments and layout theirs changed: ours and theirs
// rewritten to m are line-merged against base key by key (so edits of
// neighbouring keys never collide), and the result is used when it decodes
// to m.
func render(base, ours, theirs []byte, m *milestone.Milestone) []byte {
	ro, err := format.Rewrite("", ours, *m)
	if err != nil {
		return format.Encode(*m) // cannot happen for a valid m; Encode always decodes to m
	}
	rt, err := format.Rewrite("", theirs, *m)
	if err != nil || bytes.Equal(ro, rt) {
		return ro
	}
	if x, ok := mergeByKey(base, ours, theirs, ro, rt); ok && decodesTo(x, m) {
		return x
	}
	if lm := MergeLines(base, ro, rt); lm.Conflicts() == 0 {
		if x := lm.Side(true); decodesTo(x, m) {
			return x
		}
	}
	return ro
}

func decodesTo(src []byte, m *milestone.Milestone) bool {
	got, err := format.Decode("", src)
	return err == nil && sameMilestone(&got, m)
}

// sameMilestone reports whether a and b have the same fields.
func sameMilestone(a, b *milestone.Milestone) bool {
	for _, k := range keys(a, b) {
		if !same(get(a, k), get(b, k)) {
			return false
		}
	}
	return true
}
