package githooks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/git-milestone/git-milestone/hooks"
)

// StatusReport is what Status found. The hooks really fire when Problems
// is empty.
type StatusReport struct {
	Dir        string      `json:"dir"`         // the folder git runs hooks from (as git itself reports it)
	FromConfig bool        `json:"from_config"` // Dir comes from core.hooksPath
	Manager    *Manager    `json:"manager"`     // a hook manager owning the hooks, if any
	Binary     string      `json:"binary"`      // the git-milestone the hooks run (first on PATH), "" if none
	Hooks      []HookState `json:"hooks"`       // one per hook, empty when a manager owns the hooks
	Problems   []string    `json:"problems"`    // each names what is wrong and where
	Warnings   []string    `json:"warnings"`    // worth knowing; the hooks still fire
}

// OK reports whether nothing is wrong.
func (s StatusReport) OK() bool { return len(s.Problems) == 0 }

// HookState is the state of one hook.
type HookState struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	Installed  bool   `json:"installed"`    // the file exists and carries hooks.Marker
	Current    bool   `json:"current"`      // it is this version's script
	Executable bool   `json:"executable"`   // it has an execute bit (git skips it otherwise)
	Fires      bool   `json:"fires"`        // git ran it ("git hook run" with the canary set)
	UserHook   string `json:"user_hook"`    // the user's hook chained beside it, "" if none
	UserOK     bool   `json:"user_hook_ok"` // that hook exists and is executable
}

// Status proves the hooks would really fire, and names each thing that
// stops them: git looking elsewhere than Options says, a hooks folder that
// does not exist (a stranded core.hooksPath), a hook missing, replaced by
// another program, not executable or outdated, a chained user hook missing
// or not executable, no git-milestone on PATH, or a hook manager whose
// configuration does not call us. Each installed hook is run by git itself
// ("git hook run", git 2.36 or later; older gits run the file directly) in
// canary mode, where it only reports that it ran and which git-milestone it
// would call: neither the user's hook nor git-milestone runs.
func Status(o Options) (StatusReport, error) {
	ctx := context.Background()
	dir, fromConfig, err := HooksDir(o)
	if err != nil {
		return StatusReport{}, err
	}
	st := StatusReport{Dir: dir, FromConfig: fromConfig}
	if o.WorkTree != "" {
		dir = st.checkGitDir(ctx, o, dir)
	}
	st.checkBinary(o.Binary)
	if m := detectManager(o, dir); m != nil {
		st.reportManager(m)
		return st, nil
	}
	if ok, err := st.checkFolder(dir); !ok || err != nil {
		return st, err
	}
	st.Warnings = append(st.Warnings, placeWarnings(o, dir, st.FromConfig)...)

	canary, err := st.inspectHooks(dir)
	if err != nil {
		return st, err
	}
	if len(canary) > 0 && o.WorkTree != "" {
		if err := st.checkCanary(ctx, o.WorkTree, dir, canary); err != nil {
			return st, err
		}
	}
	return st, nil
}

// checkGitDir compares dir with the folder git itself runs hooks from; when
// they differ it reports the problem and returns git's folder, the one
// checked from then on.
func (st *StatusReport) checkGitDir(ctx context.Context, o Options, dir string) string {
	gdir, err := gitHooksDir(ctx, o.WorkTree)
	if err != nil || realish(gdir) == realish(dir) {
		return dir
	}
	st.Problems = append(st.Problems, fmt.Sprintf("git runs hooks from %s, not from %s", gdir, dir))
	st.Dir, st.FromConfig = gdir, gdir != filepath.Join(o.CommonDir, "hooks")
	return gdir
}

// checkBinary records the git-milestone the hooks run (the first on PATH)
// and warns when it is not want ("" for any).
func (st *StatusReport) checkBinary(want string) {
	found, err := exec.LookPath("git-milestone")
	if err != nil {
		st.Problems = append(st.Problems, "git-milestone is not on PATH: the hooks do nothing")
		return
	}
	st.Binary = found
	if want != "" && !sameFile(found, want) {
		st.Warnings = append(st.Warnings, fmt.Sprintf("the hooks run %s (first git-milestone on PATH), not %s", found, want))
	}
}

// reportManager records the hook manager m that owns the hooks and a
// problem for each hook its configuration does not call us for.
func (st *StatusReport) reportManager(m *Manager) {
	st.Manager = m
	for _, l := range m.Missing() {
		where := ""
		if l.Where != "" {
			where = " (" + l.Where + ")"
		}
		st.Problems = append(st.Problems, fmt.Sprintf("%s owns the hooks (%s) and does not call git-milestone for %s: add to %s%s: %s",
			m.Name, m.Evidence, l.Hook, l.File, where, l.Line))
	}
}

// checkFolder reports whether the hooks folder dir exists as a folder;
// when not, the problem is recorded.
func (st *StatusReport) checkFolder(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && st.FromConfig:
		st.Problems = append(st.Problems, fmt.Sprintf("core.hooksPath points at %s, a folder that does not exist: "+
			"git runs no hooks at all in this repository (fix or unset core.hooksPath, then run git milestone hooks install)", dir))
		return false, nil
	case errors.Is(err, fs.ErrNotExist):
		st.Problems = append(st.Problems, fmt.Sprintf("the hooks folder %s does not exist: run git milestone hooks install", dir))
		return false, nil
	case err != nil:
		return false, fmt.Errorf("hooks folder: %w", err)
	case !fi.IsDir():
		st.Problems = append(st.Problems, fmt.Sprintf("the hooks folder %s is not a folder: git runs no hooks", dir))
		return false, nil
	}
	return true, nil
}

// inspectHooks records the state of each hook in dir and returns the
// names of those installed and executable (the ones to run as a canary).
func (st *StatusReport) inspectHooks(dir string) (canary []string, err error) {
	for _, name := range hooks.Names() {
		h, problems, err := hookState(dir, name)
		if err != nil {
			return nil, err
		}
		st.Problems = append(st.Problems, problems...)
		if h.Installed && !h.Current {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%s is an older version of the hook: run git milestone hooks install to update it", h.Path))
		}
		if h.Installed && h.Executable {
			canary = append(canary, name)
		}
		st.Hooks = append(st.Hooks, h)
	}
	return canary, nil
}

// checkCanary has git run the canary hooks and records which fired, with
// a problem for each installed hook that did not or that finds no
// git-milestone.
func (st *StatusReport) checkCanary(ctx context.Context, workTree, dir string, canary []string) error {
	fired, err := runCanary(ctx, workTree, dir, canary)
	if err != nil {
		return err
	}
	for i := range st.Hooks {
		h := &st.Hooks[i]
		bin, ok := fired[h.Name]
		h.Fires = ok
		switch {
		case !h.Installed || !h.Executable:
		case !ok:
			st.Problems = append(st.Problems, fmt.Sprintf("git did not run %s when asked to run the %s hook", h.Path, h.Name))
		case bin == "" && st.Binary != "":
			st.Problems = append(st.Problems, fmt.Sprintf("%s finds no git-milestone on its PATH", h.Path))
		}
	}
	return nil
}

// hookState inspects one hook and its chained user hook.
func hookState(dir, name string) (HookState, []string, error) {
	path := filepath.Join(dir, name)
	user := path + hooks.UserSuffix
	h := HookState{Name: name, Path: path}
	var problems []string
	k, content, mode, err := inspect(path)
	if err != nil {
		return h, nil, err
	}
	userExists := exists(user)
	if userExists {
		h.UserHook = user
	}
	switch k {
	case kindMissing:
		if userExists {
			problems = append(problems, fmt.Sprintf("%s is missing while your earlier hook %s waits beside it, run by nobody: "+
				"run git milestone hooks install (or uninstall, to put it back)", path, user))
		} else {
			problems = append(problems, fmt.Sprintf("%s is not installed: run git milestone hooks install", path))
		}
		return h, problems, nil
	case kindDir:
		problems = append(problems, fmt.Sprintf("%s is a folder, not a hook", path))
		return h, problems, nil
	case kindForeign:
		if userExists {
			problems = append(problems, fmt.Sprintf("%s is not git-milestone's hook (another program replaced it): "+
				"neither git-milestone nor your earlier hook %s runs", path, user))
		} else {
			problems = append(problems, fmt.Sprintf("%s is not git-milestone's hook: run git milestone hooks install "+
				"(it keeps this hook and still runs it)", path))
		}
		return h, problems, nil
	}
	script, _ := hooks.Script(name)
	h.Installed = true
	h.Current = string(content) == script
	h.Executable = mode&0o111 != 0
	if !h.Executable {
		problems = append(problems, fmt.Sprintf("%s is not executable, so git ignores it: chmod +x %s (or run git milestone hooks install)", path, path))
	}
	if userExists {
		ufi, err := os.Stat(user)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("your chained hook %s is unreadable or a broken link (%v): it does not run", user, err))
		case ufi.IsDir():
			problems = append(problems, fmt.Sprintf("your chained hook %s is a folder: it does not run", user))
		case ufi.Mode()&0o111 == 0:
			problems = append(problems, fmt.Sprintf("your chained hook %s is not executable, so it does not run: chmod +x %s", user, user))
		default:
			h.UserOK = true
		}
	}
	return h, problems, nil
}

// gitHooksDir asks git where it runs hooks from (git 2.31 or later).
func gitHooksDir(ctx context.Context, workTree string) (string, error) {
	out, err := runGit(ctx, workTree, nil, "rev-parse", "--path-format=absolute", "--git-path", "hooks")
	if err != nil {
		return "", err
	}
	return filepath.Clean(strings.TrimRight(string(out), "\n")), nil
}

// runCanary has git run each named hook with hooks.CanaryEnv set and
// returns, per hook that ran, the git-milestone path it reported.
func runCanary(ctx context.Context, workTree, dir string, names []string) (map[string]string, error) {
	f, err := os.CreateTemp("", "git-milestone-canary-*")
	if err != nil {
		return nil, fmt.Errorf("hooks canary: %w", err)
	}
	canary := f.Name()
	_ = f.Close()
	defer os.Remove(canary)
	env := []string{hooks.CanaryEnv + "=" + canary}
	direct := false
	for _, name := range names {
		if !direct {
			_, err := runGit(ctx, workTree, env, "hook", "run", name)
			if err != nil && strings.Contains(err.Error(), "is not a git command") {
				direct = true // git older than 2.36: run the file as git would
			}
		}
		if direct {
			cmd := exec.CommandContext(ctx, filepath.Join(dir, name))
			cmd.Dir = workTree
			cmd.Env = append(os.Environ(), env...)
			_ = cmd.Run() // whether it ran shows in the canary file
		}
	}
	b, err := os.ReadFile(canary)
	if err != nil {
		return nil, fmt.Errorf("hooks canary: %w", err)
	}
	fired := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		name, bin, _ := strings.Cut(line, " ")
		if name != "" {
			fired[name] = bin
		}
	}
	return fired, nil
}
