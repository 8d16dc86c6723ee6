// Package hooks holds the git hook scripts that "git milestone hooks install"
// puts where git looks. Each script is thin POSIX sh: it runs the user's own
// hook that was there before (kept beside it under Name+UserSuffix, same
// folder, same arguments and standard input, its exit status kept), then
// "git-milestone hook NAME" if git-milestone is on PATH, and otherwise
// nothing: a missing binary never blocks git.
//
// With CanaryEnv set to a file path, a script only appends one line
// "NAME PATH-OF-GIT-MILESTONE" to that file and exits 0: "hooks status" uses
// it to prove that git really runs the script.
package hooks

import _ "embed" // the scripts are embedded

// Marker starts a line present in every script we install; a hook file is
// ours if and only if one of its lines starts with Marker.
const Marker = "# git-milestone: managed hook"

// UserSuffix is appended to a hook's name to keep the hook the user had
// before install, in the same folder; our script runs it.
const UserSuffix = ".user-milestone"

// CanaryEnv names the environment variable that turns a script into a canary.
const CanaryEnv = "GIT_MILESTONE_HOOK_CANARY"

var (
	//go:embed pre-commit
	preCommit string
	//go:embed post-merge
	postMerge string
	//go:embed post-checkout
	postCheckout string
	//go:embed post-rewrite
	postRewrite string
)

// Names lists the hooks we install, in install order.
func Names() []string {
	return []string{"pre-commit", "post-merge", "post-checkout", "post-rewrite"}
}

// Script returns the content of the named hook script, or false if name is
// not one of Names.
func Script(name string) (string, bool) {
	switch name {
	case "pre-commit":
		return preCommit, true
	case "post-merge":
		return postMerge, true
	case "post-checkout":
		return postCheckout, true
	case "post-rewrite":
		return postRewrite, true
	}
	return "", false
}
