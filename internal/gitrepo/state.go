package gitrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Operation is a multi-step git operation stopped in the work tree.
type Operation struct {
	Name     string // "merge", "rebase", "cherry-pick", "revert", "am", "bisect"
	Continue string // how to finish it ("" when there is nothing to finish, as for bisect)
	Abort    string // how to abort it
}

// OperationError refuses a commit while an operation is in progress.
type OperationError struct {
	Op Operation
}

func (e *OperationError) Error() string {
	article := "a"
	if strings.ContainsRune("aeiou", rune(e.Op.Name[0])) {
		article = "an"
	}
	msg := fmt.Sprintf("%s %s is in progress in this repository; a commit now would land in the middle of it. ", article, e.Op.Name)
	if e.Op.Continue != "" {
		msg += fmt.Sprintf("Finish it with `%s` (after `git milestone resolve` for milestone conflicts) or abort it with `%s`", e.Op.Continue, e.Op.Abort)
	} else {
		msg += fmt.Sprintf("End it with `%s`", e.Op.Abort)
	}
	return msg + ", then retry; or use --no-commit to change the work tree only"
}

// InProgress reports the operation git has stopped in (found as git's own
// `git status` finds it, from the files in the git directory), or ok false.
func (r *Repo) InProgress() (op Operation, ok bool) {
	exists := func(name string) bool {
		_, err := os.Lstat(filepath.Join(r.GitDir, name))
		return err == nil
	}
	switch {
	case exists("rebase-merge"):
		return Operation{"rebase", "git rebase --continue", "git rebase --abort"}, true
	case exists("rebase-apply") && exists(filepath.Join("rebase-apply", "applying")):
		return Operation{"am", "git am --continue", "git am --abort"}, true
	case exists("rebase-apply"):
		return Operation{"rebase", "git rebase --continue", "git rebase --abort"}, true
	case exists("MERGE_HEAD"):
		return Operation{"merge", "git commit", "git merge --abort"}, true
	case exists("CHERRY_PICK_HEAD"):
		return Operation{"cherry-pick", "git cherry-pick --continue", "git cherry-pick --abort"}, true
	case exists("REVERT_HEAD"):
		return Operation{"revert", "git revert --continue", "git revert --abort"}, true
	case exists(filepath.Join("sequencer", "todo")):
		return Operation{"cherry-pick or revert sequence", "git cherry-pick --continue", "git cherry-pick --abort"}, true
	case exists("BISECT_LOG"):
		return Operation{"bisect", "", "git bisect reset"}, true
	}
	return Operation{}, false
}

// OtherHead returns the commit the stopped operation is bringing in
// (MERGE_HEAD, CHERRY_PICK_HEAD, REVERT_HEAD or REBASE_HEAD: "theirs"), or
// "" when there is none.
func (r *Repo) OtherHead() string {
	for _, name := range []string{"MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "REBASE_HEAD"} {
		b, err := os.ReadFile(filepath.Join(r.GitDir, name))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 && isHexID(f[0]) {
			return f[0]
		}
	}
	return ""
}
