package filestore

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage"
)

// A cache cut short anywhere, or with any one byte of its structure
// changed, never crashes a read, and a cut one never changes an answer:
// an entry cut in the middle makes the whole cache malformed, a cache cut
// between entries lacks the later ones, and their files are read again.
// (A changed byte inside a field can change an answer: the cache has no
// checksum, before or after the change that made it a buffer.)
func TestDocCacheCutOrChangedAnywhere(t *testing.T) {
	s, _ := cacheStore(t, 10*time.Second)
	ctx := context.Background()
	want, wantProblems := loadAll(t, s)
	q := storage.Query{All: true, Text: "one"}
	wantList, _, err := s.List(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(s.docCachePath())
	if err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) {
		if err := os.WriteFile(s.docCachePath(), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for n := 0; n < len(data); n++ {
		put(data[:n])
		if got, problems := loadAll(t, s); !reflect.DeepEqual(got, want) || problems != wantProblems {
			t.Fatalf("cache cut at %d of %d bytes: LoadAll differs (problems %q)", n, len(data), problems)
		}
		put(data[:n])
		if got, _, err := s.List(ctx, q); err != nil || !reflect.DeepEqual(got, wantList) {
			t.Fatalf("cache cut at %d of %d bytes: List differs (%v)", n, len(data), err)
		}
	}
	for i := len(docCacheMagic); i < len(data); i++ {
		for _, v := range []byte{0, 0xff} {
			b := append([]byte(nil), data...)
			b[i] = v
			put(b)
			loadAll(t, s)
			put(b)
			if _, _, err := s.List(ctx, q); err != nil {
				t.Fatal(err)
			}
			put(b)
			if _, _, err := s.Stats(ctx, "2026-06-01"); err != nil {
				t.Fatal(err)
			}
		}
	}
}
