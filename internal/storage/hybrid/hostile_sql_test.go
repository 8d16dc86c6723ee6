package hybrid

import (
	"fmt"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/filestore"
)

// TestHostileStringsInTheIndex: hostile strings as owner, label and title
// are data to the index's SQL: filters find exactly what the file store
// finds, and searches answer without an SQL error.
func TestHostileStringsInTheIndex(t *testing.T) {
	hostile := []string{`'`, `"`, `'); DROP TABLE milestones; --`, `" OR 1=1 --`, `\`, `%`, `_`, `%_%`, `a_b`, `100%`,
		`$1`, `?`, `?1`, `:name`, `;`, `--`, `/*`, `NEAR(a b)`, `a OR b`, `"phrase`, `col:term`, `-neg`, `*`, `^a`, `É`, `日本`}
	_, s, _ := setup(t, filestore.Options{})
	var all []milestone.Milestone
	for i, h := range hostile {
		m := ms(fmt.Sprintf("h%02d", i), "T "+h, milestone.Active)
		m.Owner, m.Labels, m.Description = h, []string{h, "common"}, "about "+h+"\n"
		all = append(all, m)
	}
	create(t, s, all...)
	for _, h := range hostile {
		for _, q := range []storage.Query{{Owner: h, All: true}, {Labels: []string{h}, All: true}, {Labels: []string{h, "common"}}} {
			got, _, err := s.List(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			want, _, err := s.Files().List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := strings.Join(ids(got), ","), strings.Join(ids(want), ","); g != w {
				t.Errorf("%+v: index %s, files %s", q, g, w)
			}
		}
		if _, _, err := s.List(ctx, storage.Query{Text: h, All: true}); err != nil {
			t.Errorf("search %q: %v", h, err)
		}
	}
	got, _, err := s.List(ctx, storage.Query{All: true})
	if err != nil || len(got) != len(hostile) {
		t.Fatalf("after the hostile queries: %d, %v", len(got), err)
	}
}
