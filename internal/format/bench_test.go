package format

import (
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

func BenchmarkDecode(b *testing.B) {
	src := []byte(specDoc)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Decode(betaPath, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	m, err := Decode(betaPath, []byte(specDoc))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Encode(m)
	}
}

// BenchmarkRewrite is an `update --status blocked`: two spliced values.
func BenchmarkRewrite(b *testing.B) {
	src := []byte(specDoc)
	m, err := Decode(betaPath, src)
	if err != nil {
		b.Fatal(err)
	}
	m.Status = milestone.Blocked
	m.UpdatedAt = "2026-12-01T10:00:00Z"
	for b.Loop() {
		if _, err := Rewrite(betaPath, src, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRewriteHandEdited adds a label to a block list and a key.
func BenchmarkRewriteHandEdited(b *testing.B) {
	src := []byte(techNotesDoc)
	m, err := Decode(betaPath, src)
	if err != nil {
		b.Fatal(err)
	}
	m.Labels = append(m.Labels, "web")
	m.Progress = intp(50)
	for b.Loop() {
		if _, err := Rewrite(betaPath, src, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHandEdited decodes a document the fast path leaves to
// yaml.v3 (nested unknown keys, block lists, anchors).
func BenchmarkDecodeHandEdited(b *testing.B) {
	src := []byte(techNotesDoc)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Decode(betaPath, src); err != nil {
			b.Fatal(err)
		}
	}
}
