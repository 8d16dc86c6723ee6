package gitrepo_test

import (
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// Fsyncs reads core.fsync (and core.fsyncObjectFiles) as git does.
func TestFsyncsFollowsCoreFsync(t *testing.T) {
	type want struct{ loose, ref, index, pack bool }
	for _, tc := range []struct {
		name   string
		config map[string]string
		want   want
	}{
		{"default like git", nil, want{pack: true}},
		{"committed", map[string]string{"core.fsync": "committed"}, want{loose: true, ref: true, pack: true}},
		{"added", map[string]string{"core.fsync": "added"}, want{loose: true, ref: true, index: true, pack: true}},
		{"one more", map[string]string{"core.fsync": "reference"}, want{ref: true, pack: true}},
		{"none", map[string]string{"core.fsync": "none"}, want{}},
		{"all but one", map[string]string{"core.fsync": "all,-loose-object"}, want{ref: true, index: true, pack: true}},
		{"unknown words ignored", map[string]string{"core.fsync": "Objects, bogus"}, want{loose: true, pack: true}},
		{"old fsyncObjectFiles", map[string]string{"core.fsyncObjectFiles": "true"}, want{loose: true, pack: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := gittest.Init(t)
			for k, v := range tc.config {
				gittest.Git(t, dir, "config", k, v)
			}
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			got := want{
				loose: r.Fsyncs(gitrepo.FsyncLooseObject),
				ref:   r.Fsyncs(gitrepo.FsyncReference),
				index: r.Fsyncs(gitrepo.FsyncIndex),
				pack:  r.Fsyncs(gitrepo.FsyncPack),
			}
			if got != tc.want {
				t.Fatalf("core.fsync %v: got %+v, want %+v", tc.config, got, tc.want)
			}
		})
	}
}
