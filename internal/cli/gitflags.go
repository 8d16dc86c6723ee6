package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/resolve"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// commitChoice is what the git commit flags of the running command ask for.
type commitChoice struct {
	sign    string // see storage.UpdateOptions.Sign
	signoff bool
}

// hooksNote ends the description of every committing command.
const hooksNote = `Tool commits are made like plumbing: no git hooks run. Set
` + "`git config milestone.runHooks true`" + ` to run pre-commit, commit-msg and post-commit
as git commit runs them (a refusing hook aborts, nothing is committed).
Commits are signed when commit.gpgSign is true or -S is given (git's
gpg.format, user.signingKey, gpg.program and gpg.ssh.program apply).`

// addCommitFlags gives every command that commits (init, and those with
// --no-commit) git commit's -S/--gpg-sign[=KEYID], --no-gpg-sign and
// -s/--signoff, records them in env for session.update, and refuses early
// what the commit would refuse (see refuseEarly).
func addCommitFlags(c *cli.Command, env *Env) {
	if !hasFlag(c, "no-commit") && c.Name != "init" {
		return
	}
	c.Flags = append(c.Flags,
		&cli.StringFlag{Name: "gpg-sign", Aliases: []string{"S"},
			Usage: "sign the commit like git commit -S (the `[=KEYID]` is optional: -S or --gpg-sign alone uses user.signingKey; without the flag commit.gpgSign decides)"},
		&cli.BoolFlag{Name: "no-gpg-sign", Usage: "do not sign the commit, whatever commit.gpgSign says"},
		&cli.BoolFlag{Name: "signoff", Aliases: []string{"s"}, Usage: "add the committer's Signed-off-by trailer (format.signOff true does too)"},
	)
	if c.Description != "" {
		c.Description += "\n\n"
	}
	c.Description += hooksNote
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		env.commit = commitChoice{signoff: ctx.Bool("signoff")}
		switch {
		case ctx.Bool("no-gpg-sign"):
			env.commit.sign = "-"
		case ctx.IsSet("gpg-sign") && ctx.String("gpg-sign") == "":
			env.commit.sign = "*"
		case ctx.IsSet("gpg-sign"):
			env.commit.sign = ctx.String("gpg-sign")
		}
		if err := refuseEarly(env, !ctx.Bool("no-commit")); err != nil {
			return err
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
}

// refuseEarly refuses a changing command before it does anything (opens
// an editor, takes a lock): while .milestones/ is outside a sparse
// checkout, and, when it commits, while git has stopped in a merge,
// rebase, cherry-pick, revert, am or bisect (the commit itself refuses
// too, in txn; this only says it sooner). The database backend commits
// nothing (opener.InWorkTree).
func refuseEarly(env *Env, commits bool) error {
	repo, err := openRepo(env)
	if err != nil {
		return nil // the command says what is wrong
	}
	env.early = repo // for the command's own openRepo
	if excluded, err := repo.SparseExcluded(config.BackendPath); err == nil && excluded {
		return errSparse
	}
	// A store outside the work tree (the database) commits nothing; an
	// uninitialised repository ("") is about to get init's commit.
	if kind, err := config.ReadBackend(repo.WorkTree); err != nil || (kind != "" && !opener.InWorkTree(kind)) || !commits {
		return nil
	}
	if op, busy := repo.InProgress(); busy {
		return &gitrepo.OperationError{Op: op}
	}
	return nil
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		for _, n := range flagNames(f) {
			if n == name {
				return true
			}
		}
	}
	return false
}

// applyCommitChoice puts the command's git commit flags into opts.
func (s *session) applyCommitChoice(opts *storage.UpdateOptions) {
	if opts.Sign == "" {
		opts.Sign = s.env.commit.sign
	}
	opts.Signoff = opts.Signoff || s.env.commit.signoff
}

// signArgs spells git's optional-value -S[KEYID] and --gpg-sign[=KEYID] so
// the flag parser reads them: a bare -S or --gpg-sign becomes
// --gpg-sign= (sign with the default key), -SKEYID becomes
// --gpg-sign=KEYID. Only commands with a gpg-sign flag are touched, and
// nothing after "--".
func signArgs(cmds []*cli.Command, args []string) []string {
	if len(args) < 2 {
		return args
	}
	cmd := findCommand(cmds, args[1])
	if cmd == nil || !hasFlag(cmd, "gpg-sign") {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range flagNames(f) {
			takesValue[n] = !isBool && n != "gpg-sign" && n != "S"
		}
	}
	out := append([]string(nil), args[:2]...)
	for i := 2; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && takesValue[strings.TrimLeft(a, "-")] && i+1 < len(args):
			out = append(out, a, args[i+1]) // a flag and its value, which may look like -S
			i++
			continue
		case a == "-S" || a == "--gpg-sign":
			a = "--gpg-sign="
		case strings.HasPrefix(a, "-S") && !strings.HasPrefix(a, "-S="):
			a = "--gpg-sign=" + a[2:]
		}
		out = append(out, a)
	}
	return out
}

// errSparse refuses a change while .milestones/ is outside the sparse checkout.
var errSparse = errors.New(".milestones/ is outside this sparse checkout, so milestones are read from HEAD " +
	"and cannot be changed here: run `git sparse-checkout add .milestones` to change them")

// sparseSnapshot returns a read-only copy of HEAD's .milestones/ when a
// sparse checkout leaves it out of the work tree (with the function that
// removes it), else repo itself and nil.
func sparseSnapshot(repo *gitrepo.Repo) (*gitrepo.Repo, func(), error) {
	excluded, err := repo.SparseExcluded(config.BackendPath)
	if err != nil || !excluded {
		return repo, nil, err
	}
	return repo.Snapshot("HEAD", ".milestones")
}

// resolveHint names the stopped operation and the milestone conflicts
// `git milestone resolve` can look at; "" when there are none.
func resolveHint(repo *gitrepo.Repo) string {
	op, busy := repo.InProgress()
	if !busy || op.Name == "bisect" {
		return ""
	}
	paths, err := resolve.Pending(repo)
	if err != nil || len(paths) == 0 {
		return ""
	}
	return fmt.Sprintf("the %s in progress left milestone conflicts in %s: run `git milestone resolve`",
		op.Name, strings.Join(paths, ", "))
}

// withResolveHint adds resolveHint to a failed command's error.
func withResolveHint(env *Env, err error) error {
	var s *silentError
	if err == nil || errors.As(err, &s) || env.hinted {
		return err
	}
	repo, rerr := openRepo(env)
	if rerr != nil {
		return err
	}
	if h := resolveHint(repo); h != "" && !strings.Contains(err.Error(), "git milestone resolve") {
		return fmt.Errorf("%w\n(%s)", err, h)
	}
	return err
}

// resolveFindings is fsck's line about milestone conflicts left by a
// stopped merge, rebase or cherry-pick.
func (s *session) resolveFindings() []string {
	if h := resolveHint(s.repo); h != "" {
		return []string{h}
	}
	return nil
}

// stoppedHint is the pre-commit hook's pointer at resolve when a commit
// that concludes a merge, rebase or cherry-pick stages invalid milestones
// (typically both copies of a milestone one side moved and the other
// edited, kept with git add).
func stoppedHint(repo *gitrepo.Repo) string {
	op, busy := repo.InProgress()
	if !busy || op.Name == "bisect" || op.Name == "am" {
		return ""
	}
	return fmt.Sprintf("a %s is in progress: if one side closed, reopened or renamed a milestone that the other edited, "+
		"bring the conflict back with `git update-index --unresolve <old path>` and run `git milestone resolve`", op.Name)
}
