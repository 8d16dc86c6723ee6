package filestore

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRacy(t *testing.T) {
	const fine = int64(1_700_000_000_123_456_789) // a time with nanoseconds
	const coarse = int64(1_700_000_000) * int64(time.Second)
	for _, tc := range []struct {
		name                  string
		mtime, ctime, checked int64
		want                  bool
	}{
		{"fine, checked in the same instant", fine, fine, fine, true},
		{"fine, checked within the margin", fine, fine, fine + FineRacyMargin, true},
		{"fine, checked after the margin", fine, fine, fine + FineRacyMargin + 1, false},
		{"fine, changed (ctime) after modified", fine, fine + FineRacyMargin, fine + FineRacyMargin + 1, true},
		{"coarse mtime, checked a second later", coarse, fine, coarse + int64(time.Second), true},
		{"coarse ctime, checked a second later", fine, coarse, coarse + int64(time.Second), true},
		{"coarse, checked after two seconds", coarse, coarse, coarse + CoarseRacyMargin + 1, false},
		{"times ahead of the clock", fine + int64(time.Hour), fine, fine, true},
	} {
		if got := Racy(tc.mtime, tc.ctime, tc.checked); got != tc.want {
			t.Errorf("%s: Racy = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRacyRealFile checks the rule on what this file system reports for
// a file just written: racy when checked before it was written, not racy
// once the margin has passed.
func TestRacyRealFile(t *testing.T) {
	before := time.Now().UnixNano()
	path := filepath.Join(t.TempDir(), "doc.yaml")
	if err := os.WriteFile(path, []byte("title: X\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := statKeyOf(fi)
	if !ok {
		t.Skip("no stat data on this platform")
	}
	if !Racy(st.mtime, st.ctime, before) {
		t.Errorf("a file written after the check is not racy (mtime %d, ctime %d, checked %d)", st.mtime, st.ctime, before)
	}
	if Racy(st.mtime, st.ctime, max(st.mtime, st.ctime)+CoarseRacyMargin+1) {
		t.Errorf("a file checked long after it was written is racy")
	}
}
