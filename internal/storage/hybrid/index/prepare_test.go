package index

import (
	"reflect"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// TestPrepareRefresh: a refresh prepared before its files are written
// (as a commit prepares it while git runs) indexes what the files hold
// when it runs, also when another process wrote the index in between or
// the index was replaced, and leaves the index as RefreshPaths would.
func TestPrepareRefresh(t *testing.T) {
	dir, fs, ix, title := threeActive(t)
	set := func(id, title string) {
		put(t, dir, milestone.Milestone{ID: id, Title: title, Status: milestone.Active, Priority: milestone.Low})
	}

	// Prepared, then the file changes (a commit renames it into place).
	p := ix.PrepareRefresh(ctx, []string{".milestones/active/a.yaml"})
	set("a", "A changed")
	rep, err := p.Run(ctx, fs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Updated, []string{".milestones/active/a.yaml"}) || title("a") != "A changed" {
		t.Fatalf("report %+v, a %q", rep, title("a"))
	}

	// A new file, while another process refreshes the index in between
	// (d11's stat bucket is b's).
	p = ix.PrepareRefresh(ctx, []string{".milestones/active/d11.yaml"})
	other, _ := openIndex(t, dir)
	set("b", "B by other")
	if _, err := other.RefreshPaths(ctx, fs, []string{".milestones/active/b.yaml"}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	set("d11", "D new")
	if rep, err = p.Run(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Added, []string{".milestones/active/d11.yaml"}) || title("d11") != "D new" || title("b") != "B by other" {
		t.Fatalf("report %+v, d11 %q, b %q", rep, title("d11"), title("b"))
	}
	// The other process's record of b was kept (a stat bucket written
	// from the snapshot read before it would have lost it).
	if st, err := ix.Status(ctx, fs); err != nil || !st.Fresh {
		t.Fatalf("status %+v, %v", st, err)
	}

	// The index replaced (reset) between preparing and running.
	p = ix.PrepareRefresh(ctx, []string{".milestones/active/c.yaml"})
	set("c", "C changed")
	if err := ix.Reset(ctx, errString("test")); err != nil {
		t.Fatal(err)
	}
	if _, err = p.Run(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if title("c") != "C changed" {
		t.Fatalf("after a reset: c %q", title("c"))
	}

	// Everything as a full refresh finds it: nothing left to do.
	refresh(t, ix, fs)
	if rep := refresh(t, ix, fs); rep.Changed() {
		t.Fatalf("not fresh: %+v", rep)
	}
	for id, want := range map[string]string{"a": "A changed", "b": "B by other", "c": "C changed", "d11": "D new"} {
		if got := title(id); got != want {
			t.Errorf("%s: %q, want %q", id, got, want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
