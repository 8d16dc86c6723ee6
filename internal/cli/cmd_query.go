package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
	"github.com/git-milestone/git-milestone/internal/storage/dbstore"
)

func newShowCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show one milestone",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the milestone as a JSON object"},
			&cli.BoolFlag{Name: "yaml", Usage: "print the document exactly as stored"},
			noCacheFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Bool("json") && c.Bool("yaml") {
				return refused("show: --json and --yaml exclude each other")
			}
			s, id, err := openWithID(c, env, "ID [--json|--yaml]", func(ctx context.Context, env *Env) (*session, error) {
				return openReader(ctx, env, c.Bool("no-cache"))
			})
			if err != nil {
				return err
			}
			defer s.close()
			rec, err := s.read.Get(c.Context, id)
			var fe *format.Error
			if errors.As(err, &fe) {
				return &unreadableError{err}
			}
			if err != nil {
				return err
			}
			switch {
			case c.Bool("json"):
				obj, err := recordJSON(rec)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(env.Stdout, "%s\n", obj)
				return err
			case c.Bool("yaml"):
				_, err := env.Stdout.Write(rec.Source)
				return err
			}
			writeMilestone(env, rec, s.today())
			return nil
		},
	}
}

// queryFlags are the filters of list (and search).
func queryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "status", Usage: "only these statuses (repeatable or comma-separated)"},
		&cli.StringSliceFlag{Name: "priority", Usage: "only these priorities (repeatable or comma-separated)"},
		&cli.StringSliceFlag{Name: "label", Usage: "only milestones with all these labels"},
		&cli.StringFlag{Name: "owner", Usage: "only this owner"},
		&cli.StringFlag{Name: "due-before", Usage: "only milestones due before this date (YYYY-MM-DD)"},
		&cli.BoolFlag{Name: "overdue", Usage: "only open milestones past their due date"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "include closed milestones"},
		&cli.StringFlag{Name: "sort", Usage: "order by " + strings.Join(storage.SortKeys, ", ")},
		&cli.IntFlag{Name: "limit", Aliases: []string{"n"}, Usage: "at most this many"},
		&cli.BoolFlag{Name: "json", Usage: "print a JSON array"},
		noCacheFlag(),
	}
}

// noCacheFlag bypasses the database read cache (performance.cache_enabled).
func noCacheFlag() cli.Flag {
	return &cli.BoolFlag{Name: "no-cache", Usage: "ask the database, not the read cache (database mode with performance.cache_enabled)"}
}

func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseQuery reads and checks the filter flags.
func parseQuery(c *cli.Context, today string) (storage.Query, error) {
	q := storage.Query{All: c.Bool("all"), Owner: c.String("owner"), Overdue: c.Bool("overdue"),
		Today: today, Sort: c.String("sort"), Limit: c.Int("limit"), DueBefore: c.String("due-before")}
	for _, st := range splitList(c.StringSlice("status")) {
		if err := milestone.ValidateStatus(st); err != nil {
			return q, err
		}
		q.Statuses = append(q.Statuses, milestone.Status(st))
	}
	for _, p := range splitList(c.StringSlice("priority")) {
		if err := milestone.ValidatePriority(p); err != nil {
			return q, err
		}
		q.Priorities = append(q.Priorities, milestone.Priority(p))
	}
	q.Labels = splitList(c.StringSlice("label"))
	if q.DueBefore != "" {
		if err := milestone.ValidateDate("--due-before", q.DueBefore); err != nil {
			return q, err
		}
	}
	if !storage.ValidSort(q.Sort) {
		return q, refused("--sort %q is not one of %s", q.Sort, strings.Join(storage.SortKeys, ", "))
	}
	if q.Limit < 0 {
		return q, refused("--limit %d: must be positive", q.Limit)
	}
	return q, nil
}

func runList(c *cli.Context, env *Env, text string) error {
	if wantsRollup(c) {
		return runRollupList(c, env, text)
	}
	s, err := openReader(c.Context, env, c.Bool("no-cache"))
	if err != nil {
		return err
	}
	defer s.close()
	q, err := parseQuery(c, s.today())
	if err != nil {
		return err
	}
	q.Text = text
	var recs []storage.Record
	var problems []storage.Problem
	if c.Bool("ready") || c.Bool("blocked") {
		recs, problems, err = listByDeps(c, s.read, q)
	} else {
		recs, problems, err = s.read.List(c.Context, q)
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if err := writeRecordsJSON(env.Stdout, recs); err != nil {
			return err
		}
	} else {
		writeTable(env, recs, s.today())
	}
	return s.problemsError(problems)
}

func newListCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list open milestones (--all includes closed ones)",
		Flags: append(append(queryFlags(), depFlags()...), rollupFlags()...),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[options]"); err != nil {
				return err
			}
			return runList(c, env, "")
		},
	}
}

func newSearchCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "search",
		Usage:     "milestones whose id, title, description, labels or owner contain every word of TEXT, ignoring case and accents (all milestones unless --status; by id unless --sort)",
		ArgsUsage: "TEXT",
		Flags:     append(queryFlags(), rollupFlags()...),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 1, -1, "TEXT [options]"); err != nil {
				return err
			}
			text := strings.Join(c.Args().Slice(), " ")
			if strings.TrimSpace(text) == "" {
				return refused("search: TEXT is empty")
			}
			if !c.IsSet("all") {
				c.Set("all", "true")
			}
			return runList(c, env, text)
		},
	}
}

func newStatsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "totals by status and priority, overdue, oldest and newest",
		Flags: append([]cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON object"}, noCacheFlag()}, rollupFlags()...),
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--json]"); err != nil {
				return err
			}
			if wantsRollup(c) {
				return runRollupStats(c, env)
			}
			s, err := openReader(c.Context, env, c.Bool("no-cache"))
			if err != nil {
				return err
			}
			defer s.close()
			st, problems, err := storage.ReadStats(c.Context, s.read, s.today())
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if err := writeJSON(env.Stdout, st); err != nil {
					return err
				}
				return s.problemsError(problems)
			}
			w := env.Stdout
			fmt.Fprintf(w, "total      %d\n", st.Total)
			for _, k := range milestone.Statuses {
				fmt.Fprintf(w, "  %-9s %d\n", k, st.ByStatus[string(k)])
			}
			fmt.Fprintln(w, "priority")
			for i := len(milestone.Priorities) - 1; i >= 0; i-- {
				k := milestone.Priorities[i]
				fmt.Fprintf(w, "  %-9s %d\n", k, st.ByPriority[string(k)])
			}
			fmt.Fprintf(w, "overdue    %d\n", st.Overdue)
			if st.Oldest != nil {
				fmt.Fprintf(w, "oldest     %s  %s (%s)\n", st.Oldest.ID, st.Oldest.Title, st.Oldest.CreatedAt)
				fmt.Fprintf(w, "newest     %s  %s (%s)\n", st.Newest.ID, st.Newest.Title, st.Newest.CreatedAt)
			}
			return s.problemsError(problems)
		},
	}
}

// events reads the event log: the database's events table in database
// mode, the JSONL file otherwise.
func (s *session) events(ctx context.Context, tail int) ([]eventlog.Event, []error, error) {
	db, ok := s.backend.(*dbstore.Store)
	if !ok {
		return s.log.Tail(tail)
	}
	evs, err := db.Events(ctx, tail)
	if err != nil {
		return nil, nil, err
	}
	out := make([]eventlog.Event, len(evs))
	for i, e := range evs {
		out[i] = eventlog.Event{Timestamp: e.Timestamp, Event: e.Event, MilestoneID: e.MilestoneID, Backend: e.Backend, Details: e.Details}
	}
	return out, nil, nil
}

func newEventsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "the storage event log (.milestones/logs/storage-events.jsonl)",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "tail", Aliases: []string{"n"}, Value: 20, Usage: "the last N events (0: all)"},
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array"},
		},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--tail N] [--json]"); err != nil {
				return err
			}
			if c.Int("tail") < 0 {
				return refused("--tail %d: must be 0 (all) or more", c.Int("tail"))
			}
			s, err := open(c.Context, env)
			if err != nil {
				return err
			}
			defer s.close()
			events, bad, err := s.events(c.Context, c.Int("tail"))
			if err != nil {
				return err
			}
			for _, b := range bad {
				s.warn(b.Error())
			}
			if events == nil {
				events = []eventlog.Event{}
			}
			if c.Bool("json") {
				return writeJSON(env.Stdout, events)
			}
			for _, e := range events {
				fmt.Fprintf(env.Stdout, "%s  %-20s %-8s %s", e.Timestamp.Format("2006-01-02T15:04:05Z07:00"), e.Event, e.Backend, e.MilestoneID)
				if e.Event == eventlog.PerformanceMetric {
					fmt.Fprintf(env.Stdout, "%v %vms", e.Details["operation"], e.Details["duration_ms"])
				}
				fmt.Fprintln(env.Stdout)
			}
			return nil
		},
	}
}
