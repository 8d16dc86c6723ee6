package gitrepo_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestDrivers: a fresh repository lacks the drivers; SetDrivers puts them
// in its config; SetGlobalDrivers in a HOME's global config, which every
// repository of that user then sees.
func TestDrivers(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg"), "GIT_CONFIG_NOSYSTEM": "1"}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	open := func(dir string) *gitrepo.Repo {
		r, err := gitrepo.OpenEnv(dir, getenv)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := []string{"merge.milestone.driver", "diff.milestone.textconv"}

	local := gittest.Init(t)
	r := open(local)
	if got, err := r.MissingDrivers(); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("fresh repository: missing %v, %v; want %v", got, err, want)
	}
	if err := r.SetDrivers(); err != nil {
		t.Fatal(err)
	}
	if got, err := open(local).MissingDrivers(); err != nil || len(got) != 0 {
		t.Fatalf("after SetDrivers: missing %v, %v", got, err)
	}
	if v := gittest.Git(t, local, "config", "--local", "merge.milestone.driver"); v != "git-milestone merge-driver %O %A %B %P" {
		t.Errorf("merge.milestone.driver = %q", v)
	}

	other := gittest.Init(t)
	if got, _ := open(other).MissingDrivers(); len(got) != 2 {
		t.Fatalf("another repository before the global setup: missing %v", got)
	}
	file, err := gitrepo.SetGlobalDrivers(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(file, home) {
		t.Errorf("global config written to %q, not under HOME %q", file, home)
	}
	if got, err := open(other).MissingDrivers(); err != nil || len(got) != 0 {
		t.Fatalf("after SetGlobalDrivers: missing %v, %v", got, err)
	}
	if data, err := os.ReadFile(file); err != nil || !strings.Contains(string(data), "textconv = git-milestone textconv") {
		t.Errorf("global config %s: %q, %v", file, data, err)
	}
	// Idempotent: a second run leaves one value per key.
	if _, err := gitrepo.SetGlobalDrivers(getenv); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(file); strings.Count(string(data), "driver = ") != 1 {
		t.Errorf("a second global setup duplicated the driver:\n%s", data)
	}
}

func TestAttributesRouted(t *testing.T) {
	dir := gittest.Init(t)
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const probe = ".milestones/active/x.yaml"
	if ok, err := r.AttributesRouted(probe); err != nil || ok {
		t.Fatalf("no attributes: routed %v, %v", ok, err)
	}
	gittest.WriteFile(t, dir, ".gitattributes", ".milestones/**/*.yaml merge=milestone\n")
	if ok, _ := r.AttributesRouted(probe); ok {
		t.Error("merge alone counted as routed")
	}
	gittest.WriteFile(t, dir, ".gitattributes", ".milestones/**/*.yaml merge=milestone diff=milestone\n")
	if ok, err := r.AttributesRouted(probe); err != nil || !ok {
		t.Errorf("both attributes: routed %v, %v", ok, err)
	}
	if ok, _ := r.AttributesRouted("docs/x.yaml"); ok {
		t.Error("a file outside .milestones/ counted as routed")
	}
}
