package gitrepo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// DriverSetting is one git config entry that routes milestone documents
// (the `merge=milestone diff=milestone` attributes) through git-milestone.
type DriverSetting struct{ Key, Value string }

// Drivers are the settings the milestone merge driver and textconv need.
var Drivers = []DriverSetting{
	{"merge.milestone.name", "git-milestone field-by-field merge"},
	{"merge.milestone.driver", "git-milestone merge-driver %O %A %B %P"},
	{"diff.milestone.textconv", "git-milestone textconv"},
}

// essentialDriverKeys are the settings without which git falls back to a
// textual merge or diff (the name is only a label).
var essentialDriverKeys = []string{"merge.milestone.driver", "diff.milestone.textconv"}

// MissingDrivers returns the driver settings git would not find for this
// repository in any scope (worktree, repository, global, system). A value
// the user changed (say, an absolute path to the binary) counts as set.
func (r *Repo) MissingDrivers() ([]string, error) {
	var missing []string
	for _, k := range essentialDriverKeys {
		v, err := r.ConfigGet(k)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			missing = append(missing, k)
		}
	}
	return missing, nil
}

// SetDrivers writes every driver setting into the repository's own config.
func (r *Repo) SetDrivers() error {
	for _, d := range Drivers {
		if err := r.ConfigSet(d.Key, d.Value); err != nil {
			return fmt.Errorf("git config %s: %w", d.Key, err)
		}
	}
	return nil
}

// SetGlobalDrivers writes every driver setting into the user's global git
// config (`git config --global`, located through HOME, XDG_CONFIG_HOME or
// GIT_CONFIG_GLOBAL as getenv gives them), so every clone on the machine
// merges milestone documents field by field before git-milestone ever runs
// in it. It returns the file git wrote.
func SetGlobalDrivers(getenv func(string) string) (string, error) {
	ours := map[string]bool{}
	for _, n := range configEnvNames {
		ours[n] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !ours[k] && !repoEnvNames[k] {
			env = append(env, kv)
		}
	}
	for _, n := range configEnvNames {
		if v := getenv(n); v != "" {
			env = append(env, n+"="+v)
		}
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Env = env
		cmd.Dir = os.TempDir() // never inside some repository: only --global is touched
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return out.String(), nil
	}
	for _, d := range Drivers {
		if _, err := run("config", "--global", d.Key, d.Value); err != nil {
			return "", err
		}
	}
	out, err := run("config", "--global", "--show-origin", "--get", "merge.milestone.driver")
	if err != nil {
		return "", err
	}
	origin, _, _ := strings.Cut(out, "\t")
	return strings.TrimPrefix(origin, "file:"), nil
}

// AttributesRouted reports whether git gives a milestone document at path
// (relative to the work tree) the merge=milestone and diff=milestone
// attributes, wherever they are set (.gitattributes, info/attributes).
func (r *Repo) AttributesRouted(path string) (bool, error) {
	out, err := r.git(nil, nil, "check-attr", "merge", "diff", "--", path)
	if err != nil {
		return false, err
	}
	merge, diff := false, false
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasSuffix(l, ": merge: milestone"):
			merge = true
		case strings.HasSuffix(l, ": diff: milestone"):
			diff = true
		}
	}
	return merge && diff, nil
}
