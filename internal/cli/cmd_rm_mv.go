package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func newRmCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove milestones (they stay in git history; one commit)",
		ArgsUsage: "ID...",
		Description: `A milestone others depend on is not removed: the command names them.
With --force it is, and the depends_on entries naming it are dropped in the
same commit.`,
		Flags: append(commitFlags(),
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove even when other milestones depend on it, dropping their references"},
			&cli.BoolFlag{Name: "json", Usage: `print what was written: {"removed":[ids],"updated":[milestones whose depends_on lost them]}`},
		),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "ID... [--force]"); err != nil {
				return err
			}
			return runRm(c.Context, env, rmOptions{mutateOptions: mutateOptionsOf(c), Force: c.Bool("force")})
		},
	}
}

// rmOptions are rm's arguments and flags.
type rmOptions struct {
	mutateOptions
	Force bool // remove even when others depend on them, dropping the references
}

// runRm removes the milestones opts.IDs name, in one commit.
func runRm(ctx context.Context, env *Env, opts rmOptions) error {
	s, ids, err := openResolved(ctx, env, opts.IDs)
	if err != nil {
		return err
	}
	defer s.close()
	var updated []storage.Record
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: ids, NoCommit: opts.NoCommit, Message: batchMessage(opts.Message, ids, "remove"),
	}, func(tx storage.Tx) error {
		updated = nil
		all, _, err := tx.All()
		if err != nil {
			return err
		}
		var dependents []storage.Record
		var names []string
		for _, r := range all {
			if slices.Contains(ids, r.Milestone.ID) {
				continue
			}
			for _, d := range r.Milestone.DependsOn {
				if slices.Contains(ids, d) {
					dependents = append(dependents, r)
					names = append(names, fmt.Sprintf("%s (depends on %s)", r.Milestone.ID, d))
					break
				}
			}
		}
		if len(dependents) > 0 && !opts.Force {
			return refused("rm: other milestones depend on it: %s; use --force to remove it and drop those references", strings.Join(names, ", "))
		}
		for _, id := range ids {
			if err := tx.Delete(id); err != nil {
				return err
			}
		}
		for _, r := range dependents {
			m := r.Milestone.Clone()
			var keep []string
			for _, d := range m.DependsOn {
				if !slices.Contains(ids, d) {
					keep = append(keep, d)
				}
			}
			m.DependsOn = keep
			m.UpdatedAt = s.now()
			src, err := format.Rewrite(r.Path, r.Source, m)
			if err != nil {
				return err
			}
			if err := tx.Put(m, src); err != nil {
				return err
			}
			updated = append(updated, storage.Record{Milestone: m, Path: r.Path})
		}
		return nil
	})
	var events []eventlog.Event
	for _, id := range ids {
		events = append(events, eventlog.Event{Event: eventlog.MilestoneDeleted, MilestoneID: id})
	}
	for _, r := range updated {
		events = append(events, eventlog.Event{Event: eventlog.MilestoneUpdated, MilestoneID: r.Milestone.ID, Details: map[string]any{"change": "drop depends_on"}})
	}
	s.record("rm", err == nil, events...)
	if err != nil {
		return err
	}
	if opts.JSON {
		var b strings.Builder
		if err := writeRecordsJSON(&b, updated); err != nil {
			return err
		}
		if err := writeJSON(env.Stdout, map[string]any{"removed": ids, "updated": json.RawMessage(b.String())}); err != nil {
			return err
		}
	}
	what := "Removed " + strings.Join(ids, ", ")
	if len(updated) > 0 {
		var names []string
		for _, r := range updated {
			names = append(names, r.Milestone.ID)
		}
		what += "; dropped from the depends_on of " + strings.Join(names, ", ")
	}
	s.reportCommit(what, res)
	return nil
}

func newMvCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "mv",
		Usage:     "rename a milestone and rewrite every depends_on that names it (one commit)",
		ArgsUsage: "OLD NEW",
		Flags: append(commitFlags(),
			&cli.BoolFlag{Name: "json", Usage: `print what was written: {"from","to","rewritten":[ids of milestones whose depends_on changed]}`}),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 2, 2, "OLD NEW"); err != nil {
				return err
			}
			return runMv(c.Context, env, mvOptions{Old: c.Args().First(), New: c.Args().Get(1),
				Message: c.String("message"), NoCommit: c.Bool("no-commit"), JSON: c.Bool("json")})
		},
	}
}

// mvOptions are mv's arguments and flags.
type mvOptions struct {
	Old      string // id or prefix as typed
	New      string // the new id
	Message  string // the commit message ("": the usual one)
	NoCommit bool
	JSON     bool
}

// runMv renames a milestone and every depends_on naming it, in one commit.
func runMv(ctx context.Context, env *Env, opts mvOptions) error {
	newID := opts.New
	if err := milestone.ValidateID(newID); err != nil {
		return refused("mv: %v", err)
	}
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	oldID, err := s.resolve(ctx, opts.Old)
	if err != nil {
		return err
	}
	if oldID == newID {
		return refused("mv: %s and %s are the same id", oldID, newID)
	}
	var rewritten []string
	res, err := s.update(ctx, storage.UpdateOptions{
		Lock: []string{oldID, newID}, NoCommit: opts.NoCommit,
		Message: commitMessage(opts.Message, newID, "rename "+oldID+" to "+newID),
	}, func(tx storage.Tx) error {
		rewritten = nil
		if _, err := tx.Get(newID); err == nil {
			return refused("mv: milestone %q already exists", newID)
		}
		rec, err := tx.Get(oldID)
		if err != nil {
			return err
		}
		all, problems, err := tx.All()
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return fmt.Errorf("mv: cannot rewrite references while a document is unreadable: %w", problems[0].Err)
		}
		if err := tx.Delete(oldID); err != nil {
			return err
		}
		m := rec.Milestone.Clone()
		m.ID = newID
		m.DependsOn = replaceID(m.DependsOn, oldID, newID)
		m.UpdatedAt = s.now()
		src, err := format.Rewrite(rec.Path, rec.Source, m)
		if err != nil {
			return err
		}
		if err := tx.Create(m, src); err != nil {
			return err
		}
		for _, r := range all {
			if r.Milestone.ID == oldID || !slices.Contains(r.Milestone.DependsOn, oldID) {
				continue
			}
			dm := r.Milestone.Clone()
			dm.DependsOn = replaceID(dm.DependsOn, oldID, newID)
			dm.UpdatedAt = s.now()
			dsrc, err := format.Rewrite(r.Path, r.Source, dm)
			if err != nil {
				return err
			}
			if err := tx.Put(dm, dsrc); err != nil {
				return err
			}
			rewritten = append(rewritten, dm.ID)
		}
		return nil
	})
	s.record("mv", err == nil, eventlog.Event{Event: eventlog.MilestoneRenamed, MilestoneID: newID,
		Details: map[string]any{"from": oldID, "references_rewritten": len(rewritten)}})
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := writeJSON(env.Stdout, map[string]any{"from": oldID, "to": newID, "rewritten": nonNilStrings(rewritten)}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout, newID)
	}
	s.reportCommit(fmt.Sprintf("Renamed %s to %s (%d references rewritten)", oldID, newID, len(rewritten)), res)
	return nil
}

func replaceID(list []string, old, new string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s == old {
			s = new
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// newID chooses an id for a new milestone from its title. A backend that
// can tell whether one id is taken (the file backends: two lstat calls)
// is asked per candidate instead of listing every id.
func (s *session) newID(ctx context.Context, title string) (string, error) {
	if t, ok := s.backend.(storage.IDChecker); ok {
		var ferr error
		id := milestone.UniqueSlug(title, func(id string) bool {
			taken, err := t.Taken(ctx, id)
			if err != nil && ferr == nil {
				ferr = err
			}
			return taken // an error stops the search; it is returned below
		})
		return id, ferr
	}
	ids, err := s.backend.IDs(ctx)
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, i := range ids {
		taken[i] = true
	}
	return milestone.UniqueSlug(title, func(id string) bool { return taken[id] }), nil
}
