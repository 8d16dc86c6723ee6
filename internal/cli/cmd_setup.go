package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/config"
	"github.com/git-milestone/git-milestone/internal/githooks"
	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// attributesProbe is a milestone document path git's attributes are checked on.
const attributesProbe = ".milestones/active/setup-probe.yaml"

func newSetupCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "setup",
		Usage: "make this clone merge and diff milestones field by field (drivers in .git/config; hooks in hybrid mode); --global: once per machine, for every clone",
		Description: `A fresh clone does not carry git config: without the drivers git merges
milestone documents as text. "setup" registers them in this clone (and
checks .gitattributes, installs the hooks where the backend is hybrid,
and checks that a database store can be reached). "setup --global" puts
them in your global git config, like "git lfs install": every clone on
this machine then merges field by field before any git-milestone command
runs in it. Mutating commands also set up a clone's missing drivers.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "global", Usage: "register the drivers in your global git config (~/.gitconfig), for every clone"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--global]"); err != nil {
				return err
			}
			return runSetup(c.Context, env, setupOptions{Global: c.Bool("global")})
		},
	}
}

// setupOptions are setup's flag.
type setupOptions struct {
	Global bool // the drivers in the global git config, for every clone
}

// runSetup sets up this clone (setupClone), or with opts.Global the
// drivers in the user's global git config.
func runSetup(ctx context.Context, env *Env, opts setupOptions) error {
	if opts.Global {
		file, err := gitrepo.SetGlobalDrivers(env.Getenv)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "milestone merge and diff drivers set in your global git config (%s): every clone on this machine merges milestones field by field\n", file)
		return nil
	}
	repo, err := openRepo(env)
	if err != nil {
		return err
	}
	return setupClone(ctx, env, repo)
}

// setupClone configures one clone: the drivers in its config, a check of
// the attributes that route documents to them, the hooks in hybrid mode,
// and a check that a database store is reachable.
func setupClone(ctx context.Context, env *Env, repo *gitrepo.Repo) error {
	if err := repo.SetDrivers(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stderr, "milestone merge and diff drivers set in this clone's git config")
	kind, err := config.ReadBackend(repo.WorkTree)
	if err != nil {
		return err
	}
	if kind == "" {
		fmt.Fprintln(env.Stderr, "this repository has no milestones yet: `git milestone init` sets them up")
		return nil
	}
	routed, err := repo.AttributesRouted(attributesProbe)
	if err != nil {
		return err
	}
	if !routed {
		return fmt.Errorf("milestone documents are not routed to the drivers: add the line %q to .gitattributes and commit it", attributesLine)
	}
	b, inTree, err := opener.OpenWorkTree(ctx, repo, kind, openerOptions(env, env.warn))
	if err != nil {
		return err
	}
	if !inTree {
		// The store is elsewhere (a database): check this clone reaches it.
		s, err := open(ctx, env)
		if err != nil {
			return err
		}
		s.close()
	} else if err := setupIndexHooks(ctx, env, b); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "this clone is set up (backend %s)\n", kind)
	return nil
}

// setupIndexHooks installs the hooks when the store b keeps an index
// (storage.Indexed): they keep it fresh after git changes the work tree.
func setupIndexHooks(ctx context.Context, env *Env, b storage.Backend) error {
	_, indexed := b.(storage.Indexed)
	b.Close()
	if !indexed {
		return nil
	}
	return installHooks(ctx, env)
}

// installHooks installs the git hooks where git looks for them and says
// what it did.
func installHooks(ctx context.Context, env *Env) error {
	o, err := hookLocations(ctx, env)
	if err != nil {
		return err
	}
	rep, err := githooks.Install(o)
	if err != nil {
		return err
	}
	return printHookReport(env, false, rep)
}

// ensureDrivers silently registers the drivers in a clone that lacks them
// (a mutating command's first step): teammates' clones merge field by
// field without anyone running setup.
func (s *session) ensureDrivers() {
	missing, err := s.repo.MissingDrivers()
	if err != nil || len(missing) == 0 {
		return
	}
	if err := s.repo.SetDrivers(); err != nil {
		s.warn(fmt.Sprintf("set up the merge and diff drivers: %v", err))
	}
}

// driverFindings reports what keeps this clone from merging and diffing
// milestones field by field (fsck and hooks status).
func driverFindings(repo *gitrepo.Repo) []string {
	var out []string
	missing, err := repo.MissingDrivers()
	if err != nil {
		return []string{fmt.Sprintf("git config: %v", err)}
	}
	if len(missing) > 0 {
		out = append(out, fmt.Sprintf("the milestone merge/diff drivers are not set up in this clone (%s): run `git milestone setup` (or `git milestone setup --global` once per machine)",
			strings.Join(missing, ", ")))
	}
	if routed, err := repo.AttributesRouted(attributesProbe); err == nil && !routed {
		out = append(out, fmt.Sprintf("milestone documents are not routed to the drivers: .gitattributes needs the line %q", attributesLine))
	}
	return out
}
