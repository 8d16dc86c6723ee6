package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/git-milestone/git-milestone/internal/eventlog"
	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func newShowCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show one or more milestones",
		ArgsUsage: "ID...",
		Description: `With --json, one ID prints an object and several print an array of them.
Every document field is present: null where unset, [] for empty lists.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the milestone as a JSON object (an array for several ids)"},
			&cli.BoolFlag{Name: "yaml", Usage: "print the document exactly as stored"},
			noCacheFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.Bool("json") && c.Bool("yaml") {
				return refused("show: --json and --yaml exclude each other")
			}
			if err := nArgs(c, 1, -1, "ID... [--json|--yaml]"); err != nil {
				return err
			}
			return runShow(c.Context, env, showOptions{IDs: c.Args().Slice(),
				JSON: c.Bool("json"), YAML: c.Bool("yaml"), NoCache: c.Bool("no-cache")})
		},
	}
}

// showOptions are show's arguments and flags.
type showOptions struct {
	IDs        []string // ids or prefixes as typed
	JSON, YAML bool
	NoCache    bool
}

// runShow prints the milestones opts.IDs name.
func runShow(ctx context.Context, env *Env, opts showOptions) error {
	s, err := openReader(ctx, env, opts.NoCache)
	if err != nil {
		return err
	}
	defer s.close()
	ids, err := s.resolveArgs(ctx, opts.IDs)
	if err != nil {
		return err
	}
	var recs []storage.Record
	for _, id := range ids {
		rec, err := s.read.Get(ctx, id)
		var fe *format.Error
		if errors.As(err, &fe) {
			return &unreadableError{err}
		}
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	switch {
	case opts.JSON:
		return writeWritten(env, recs, len(ids) > 1)
	case opts.YAML:
		for i, rec := range recs {
			if i > 0 {
				fmt.Fprintln(env.Stdout, "---")
			}
			if _, err := env.Stdout.Write(rec.Source); err != nil {
				return err
			}
		}
		return nil
	}
	for i, rec := range recs {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		writeMilestone(env, rec, s.today())
	}
	return nil
}

// queryFlags are the filters of list (and search).
func queryFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "status", Usage: "only these statuses (repeatable or comma-separated)"},
		&cli.StringSliceFlag{Name: "priority", Usage: "only these priorities (repeatable or comma-separated)"},
		&cli.StringSliceFlag{Name: "label", Usage: "only milestones with all these labels"},
		&cli.StringFlag{Name: "owner", Usage: "only this owner (@me: your git user.email)"},
		&cli.StringFlag{Name: "due-before", Usage: "only milestones due before this date (YYYY-MM-DD, today, +2w, friday, ...)"},
		&cli.BoolFlag{Name: "overdue", Usage: "only open milestones past their due date"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "include closed milestones"},
		&cli.StringFlag{Name: "sort", Usage: "order by " + strings.Join(storage.SortKeys, ", ") + "; -KEY reverses, KEY,KEY sorts by several (e.g. -priority,due)"},
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

// queryOptions are the filter flags of list and search as typed.
type queryOptions struct {
	Statuses, Priorities, Labels []string // repeatable, each may be comma-separated
	Owner                        string   // @me: the git user.email
	DueBefore                    string   // a date as the user may write it
	Sort                         string
	Limit                        int
	Overdue, All                 bool
}

// queryOptionsOf reads the filter flags.
func queryOptionsOf(c *cli.Context) queryOptions {
	return queryOptions{Statuses: c.StringSlice("status"), Priorities: c.StringSlice("priority"),
		Labels: c.StringSlice("label"), Owner: c.String("owner"), DueBefore: c.String("due-before"),
		Sort: c.String("sort"), Limit: c.Int("limit"), Overdue: c.Bool("overdue"), All: c.Bool("all")}
}

// query checks the filters and makes them a storage.Query.
func (o queryOptions) query(today string, now time.Time) (storage.Query, error) {
	q := storage.Query{All: o.All, Owner: o.Owner, Overdue: o.Overdue,
		Today: today, Sort: o.Sort, Limit: o.Limit, DueBefore: o.DueBefore}
	for _, st := range splitList(o.Statuses) {
		if err := milestone.ValidateStatus(st); err != nil {
			return q, err
		}
		q.Statuses = append(q.Statuses, milestone.Status(st))
	}
	for _, p := range splitList(o.Priorities) {
		if err := milestone.ValidatePriority(p); err != nil {
			return q, err
		}
		q.Priorities = append(q.Priorities, milestone.Priority(p))
	}
	q.Labels = splitList(o.Labels)
	if q.DueBefore != "" {
		d, err := resolveDate("--due-before", q.DueBefore, now)
		if err != nil {
			return q, err
		}
		q.DueBefore = d
	}
	if _, err := parseSort(q.Sort); err != nil {
		return q, err
	}
	if q.Limit < 0 {
		return q, refused("--limit %d: must be positive", q.Limit)
	}
	return q, nil
}

// listOptions are the flags of list and search (also of their roll-up
// over several projects, runRollupList).
type listOptions struct {
	Query          queryOptions
	Text           string // search's words; "" for list
	Ready, Blocked bool
	JSON, NoCache  bool
}

// listOptionsOf reads list's (or search's) flags.
func listOptionsOf(c *cli.Context, text string) listOptions {
	return listOptions{Query: queryOptionsOf(c), Text: text, Ready: c.Bool("ready"),
		Blocked: c.Bool("blocked"), JSON: c.Bool("json"), NoCache: c.Bool("no-cache")}
}

// runList prints the milestones opts selects, as a table or JSON.
func runList(ctx context.Context, env *Env, opts listOptions) error {
	s, err := openReader(ctx, env, opts.NoCache)
	if err != nil {
		return err
	}
	defer s.close()
	q, err := opts.storageQuery(s)
	if err != nil {
		return err
	}
	recs, problems, err := selectRecords(ctx, s.read, q, opts.Ready, opts.Blocked)
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := writeRecordsJSON(env.Stdout, recs); err != nil {
			return err
		}
	} else {
		writeTable(env, recs, s.today())
	}
	return s.problemsError(problems)
}

// storageQuery checks the filters of list (or search) and makes them the
// query of s's repository (@me is its git user.email).
func (o listOptions) storageQuery(s *session) (storage.Query, error) {
	q, err := o.Query.query(s.today(), s.env.Now())
	if err != nil {
		return q, err
	}
	q.Text = o.Text
	q.Brief = !o.JSON // a table shows no description
	q.Owner, err = s.resolveOwner(q.Owner)
	return q, err
}

// selectRecords runs a list (or search) query on r: its filters,
// --ready/--blocked, and the order and limit. The backends sort by one key
// in its natural order; several keys or a reversed one are sorted here,
// and the limit applied after.
func selectRecords(ctx context.Context, r storage.Reader, q storage.Query, ready, blocked bool) ([]storage.Record, []storage.Problem, error) {
	keys, _ := parseSort(q.Sort)
	limit := q.Limit
	if !simpleSort(keys) {
		q.Sort, q.Limit = "", 0 // sorted and limited here
	} else if len(keys) == 1 {
		q.Sort = keys[0].name
	}
	var recs []storage.Record
	var problems []storage.Problem
	var err error
	if ready || blocked {
		recs, problems, err = listByDeps(ctx, r, q, ready, blocked)
	} else {
		recs, problems, err = r.List(ctx, q)
	}
	if err != nil {
		return nil, nil, err
	}
	if !simpleSort(keys) {
		sortRecords(keys, recs)
		recs = storage.Limit(limit, recs)
	}
	return recs, problems, nil
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
			if r := rollupOptionsOf(c); r.wanted() {
				return runRollupList(c.Context, env, listOptionsOf(c, ""), r)
			}
			return runList(c.Context, env, listOptionsOf(c, ""))
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
			if r := rollupOptionsOf(c); r.wanted() {
				return runRollupList(c.Context, env, listOptionsOf(c, text), r)
			}
			return runList(c.Context, env, listOptionsOf(c, text))
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
			opts := statsOptions{JSON: c.Bool("json"), NoCache: c.Bool("no-cache")}
			if r := rollupOptionsOf(c); r.wanted() {
				return runRollupStats(c.Context, env, opts, r)
			}
			return runStats(c.Context, env, opts)
		},
	}
}

// statsOptions are stats' flags (also of its roll-up, runRollupStats).
type statsOptions struct {
	JSON, NoCache bool
}

// runStats prints the totals of the repository's milestones.
func runStats(ctx context.Context, env *Env, opts statsOptions) error {
	s, err := openReader(ctx, env, opts.NoCache)
	if err != nil {
		return err
	}
	defer s.close()
	st, problems, err := storage.ReadStats(ctx, s.read, s.today())
	if err != nil {
		return err
	}
	if opts.JSON {
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
}

// events reads the event log: the database's events table in database
// mode, the JSONL file otherwise.
func (s *session) events(ctx context.Context, tail int) ([]eventlog.Event, []error, error) {
	db, ok := s.backend.(storage.EventStore)
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
			return runEvents(c.Context, env, eventsOptions{Tail: c.Int("tail"), JSON: c.Bool("json")})
		},
	}
}

// eventsOptions are the flags of events.
type eventsOptions struct {
	Tail int // the last Tail events; 0: all
	JSON bool
}

// runEvents prints the storage event log.
func runEvents(ctx context.Context, env *Env, opts eventsOptions) error {
	s, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer s.close()
	events, bad, err := s.events(ctx, opts.Tail)
	if err != nil {
		return err
	}
	for _, b := range bad {
		s.warn(b.Error())
	}
	if events == nil {
		events = []eventlog.Event{}
	}
	if opts.JSON {
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
}
