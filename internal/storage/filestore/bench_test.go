package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/storage/storagetest"
)

// BenchmarkLoadAll measures LoadAll (what every file-mode list, search and
// stats does) with and without the document cache:
//
//	go test -run '^$' -bench BenchmarkLoadAll -benchtime 20x ./internal/storage/filestore/
func BenchmarkLoadAll(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			repo := storagetest.NewRepo(b)
			for i := 0; i < n; i++ {
				folder := "active"
				if i%5 == 3 {
					folder = "completed"
				}
				p := filepath.Join(repo.WorkTree, Dir, folder, fmt.Sprintf("m-%05d.yaml", i))
				if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
					b.Fatal(err)
				}
				src := fmt.Sprintf("title: Milestone %d of the roadmap\nstatus: planned\npriority: high\nowner: owner%d@example.com\ndue: 2027-01-%02d\nlabels: [team%d, area%d]\nprogress: %d\ndescription: |\n  Work item %d.\n  Second line.\ncreated_at: 2026-01-01T00:00:00Z\nupdated_at: 2026-01-01T00:00:00Z\n", i, i%37, 1+i%28, i%10, i%7, i%101, i)
				if err := os.WriteFile(p, []byte(src), 0o666); err != nil {
					b.Fatal(err)
				}
			}
			s := Open(repo, Options{Getenv: storagetest.Getenv})
			s.now = func() time.Time { return time.Now().Add(10 * time.Second) } // the files count as old
			run := func(b *testing.B, before func()) {
				for i := 0; i < b.N; i++ {
					before()
					recs, _, err := s.LoadAll(context.Background())
					if err != nil || len(recs) != n {
						b.Fatal(len(recs), err)
					}
				}
			}
			b.Run("uncached", func(b *testing.B) { run(b, func() { os.Remove(s.docCachePath()) }) })
			b.Run("cached", func(b *testing.B) { run(b, func() {}) })
		})
	}
}
