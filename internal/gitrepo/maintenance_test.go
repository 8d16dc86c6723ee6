package gitrepo_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// looseIn17 stores n loose blobs whose ids start with "17", the folder
// git samples to estimate the number of loose objects.
func looseIn17(t *testing.T, dir string, n int) {
	t.Helper()
	for i, found := 0, 0; found < n; i++ {
		data := fmt.Sprintf("sample %d\n", i)
		if strings.HasPrefix(gitrepo.NewBlob([]byte(data)).ID(), "17") {
			if _, err := gittest.RunInput(dir, nil, data, "hash-object", "-w", "--stdin"); err != nil {
				t.Fatal(err)
			}
			found++
		}
	}
}

func TestAutoMaintenance(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "one", map[string]string{"f": "1\n"})
	looseIn17(t, dir, 3)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	set := func(k, v string) {
		git(t, dir, "config", k, v)
		if r, err = gitrepo.Open(dir); err != nil { // config is cached per Repo
			t.Fatal(err)
		}
	}
	if r.AutoMaintenance() {
		t.Error("started with 3 of ~6700 loose objects (default gc.auto)")
	}
	set("gc.auto", "0")
	if r.AutoMaintenance() {
		t.Error("started with gc.auto=0")
	}
	set("gc.auto", "20")
	set("maintenance.auto", "false")
	if r.AutoMaintenance() {
		t.Error("started with maintenance.auto=false")
	}
	set("maintenance.auto", "true")
	if !r.AutoMaintenance() {
		t.Fatal("not started with gc.auto=20 and 3 loose objects in objects/17")
	}
	// Wait for the detached gc to pack the history (an event, not a time).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
		if len(packs) > 0 && !exists(filepath.Join(dir, ".git", "gc.pid")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("git gc --auto never packed the repository")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
