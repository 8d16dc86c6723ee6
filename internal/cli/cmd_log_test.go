package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLogSameAsGitLog: `log ID` prints, text and JSON, byte for byte what
// it printed when git log walked the history, on a history with moves
// between active/ and completed/, a rename, merges (one that took a
// milestone from its side branch), a removed milestone, a hand edit that
// does not parse, and an id that is a prefix of another. An empty
// diff.orderFile changes nothing in git's answer but leaves the walk to
// git (gitrepo's walkable), which gives the output to compare with.
func TestLogSameAsGitLog(t *testing.T) {
	r := newTestRepo(t)
	r.main("create", "Public beta", "--id", "beta", "--due", "2026-12-15")
	r.main("create", "Beta two", "--id", "beta-2")
	r.main("create", "Other", "--id", "other")
	r.main("update", "beta", "--priority", "high", "--due", "2027-01-10")
	r.main("close", "beta")
	r.git("checkout", "-q", "-b", "side")
	r.main("update", "beta-2", "--owner", "side@example.com")
	r.main("reopen", "beta")
	r.git("checkout", "-q", "main")
	r.main("update", "other", "--owner", "main@example.com")
	r.git("merge", "-q", "--no-edit", "side")
	r.main("mv", "beta", "launch")
	r.main("update", "launch", "--add-label", "web")
	r.git("checkout", "-q", "-b", "side2")
	r.main("update", "beta-2", "--progress", "50")
	r.git("checkout", "-q", "main")
	r.git("merge", "-q", "--no-ff", "--no-edit", "side2")
	r.main("rm", "other")
	if err := os.WriteFile(filepath.Join(r.dir, ".milestones/active/launch.yaml"), []byte("title: Public beta\nstatus: [active\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	r.git("commit", "-q", "-am", "break launch by hand")

	ids := []string{"launch", "lau", "beta", "beta-2", "other"}
	run := func() map[string]string {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = r.main("log", id)
			out[id+" --json"] = r.main("log", id, "--json")
			out[id+" -n 2 --author ana"] = r.main("log", id, "-n", "2", "--author", "ana")
		}
		return out
	}
	walked := run()
	order := filepath.Join(t.TempDir(), "order")
	if err := os.WriteFile(order, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	r.git("config", "diff.orderFile", order)
	byGit := run()
	for k, want := range byGit {
		if walked[k] != want {
			t.Errorf("log %s:\n%s\ngit log's walk gave:\n%s", k, walked[k], want)
		}
	}
	if len(walked["beta-2"]) == 0 || walked["launch"] == walked["beta"] {
		t.Errorf("logs: %q", walked)
	}
}
