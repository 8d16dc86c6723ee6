package dbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event is one entry of the storage event log (SPEC section 7), kept in
// the database's events table in database mode.
type Event struct {
	Timestamp   time.Time // stored in UTC with microsecond precision; zero means now
	Event       string    // milestone_created, milestone_updated, ...
	MilestoneID string
	Backend     string
	Actor       string // who did it (for the users count of backend choice)
	Details     map[string]any
}

// sqliteTimeFormat is fixed width, so text order is time order.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

func (s *Store) timeArg(t time.Time) any { return s.d.timeArg(t) }

// AppendEvent adds one event to the project's event log. On SQLite, do
// not call it from inside an Update's fn: the transaction holds the one
// writer connection.
func (s *Store) AppendEvent(ctx context.Context, e Event) error { return s.AppendEvents(ctx, e) }

// AppendEvents adds events to the project's event log in one statement
// (one round trip).
func (s *Store) AppendEvents(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	const batch = 1000 // 7 parameters each: well below SQLite's limit
	if len(evs) > batch {
		if err := s.AppendEvents(ctx, evs[:batch]...); err != nil {
			return err
		}
		return s.AppendEvents(ctx, evs[batch:]...)
	}
	var a args
	var values []string
	now := time.Now()
	for _, e := range evs {
		if e.Timestamp.IsZero() {
			e.Timestamp = now
		}
		details := []byte("{}")
		if e.Details != nil {
			var err error
			if details, err = json.Marshal(e.Details); err != nil {
				return fmt.Errorf("append event %s: details: %w", e.Event, err)
			}
		}
		values = append(values, "("+strings.Join([]string{a.add(s.project), a.add(s.timeArg(e.Timestamp)),
			a.add(escapeText(e.Event)), a.add(escapeText(e.MilestoneID)), a.add(escapeText(e.Backend)),
			a.add(escapeText(e.Actor)), a.add(string(details))}, ", ")+")")
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	_, err := s.db.ExecContext(sctx, `INSERT INTO milestone_events (project, ts, event, milestone_id, backend, actor, details)
 VALUES `+strings.Join(values, ", "), a...)
	return s.wrap(sctx, "append event "+evs[0].Event, err)
}

// Events returns the project's last tail events (all when tail <= 0),
// oldest first.
func (s *Store) Events(ctx context.Context, tail int) ([]Event, error) {
	const cols = `SELECT ts, event, milestone_id, backend, actor, details FROM milestone_events WHERE project = $1`
	stmt, a := cols+` ORDER BY seq`, []any{s.project}
	if tail > 0 {
		stmt, a = cols+` ORDER BY seq DESC LIMIT $2`, append(a, tail)
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	rows, err := s.rdb.QueryContext(sctx, stmt, a...)
	if err != nil {
		return nil, s.wrap(sctx, "read events", err)
	}
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var ts any
		var e Event
		var details string
		if err := rows.Scan(&ts, &e.Event, &e.MilestoneID, &e.Backend, &e.Actor, &details); err != nil {
			return nil, s.wrap(sctx, "read events", err)
		}
		if e.Timestamp, err = s.d.timeValue(ts); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e.Event, e.MilestoneID = unescapeText(e.Event), unescapeText(e.MilestoneID)
		e.Backend, e.Actor = unescapeText(e.Backend), unescapeText(e.Actor)
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return nil, fmt.Errorf("read events: details: %w", err)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(sctx, "read events", err)
	}
	if tail > 0 {
		slices.Reverse(evs)
	}
	return evs, nil
}

// Actors counts the distinct non-empty actors of the project's events at
// or after since (the "users" figure of backend choice in database mode).
func (s *Store) Actors(ctx context.Context, since time.Time) (int, error) {
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	var n int
	err := s.rdb.QueryRowContext(sctx, `SELECT count(DISTINCT actor) FROM milestone_events
 WHERE project = $1 AND ts >= $2 AND actor <> ''`, s.project, s.timeArg(since)).Scan(&n)
	if err != nil {
		return 0, s.wrap(sctx, "count actors", err)
	}
	return n, nil
}
