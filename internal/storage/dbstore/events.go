package dbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

func (s *Store) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.kind == TypeSQLite {
		return t.Format(sqliteTimeFormat)
	}
	return t
}

// AppendEvent adds one event to the project's event log.
func (s *Store) AppendEvent(ctx context.Context, e Event) error {
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	details := []byte("{}")
	if e.Details != nil {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("append event %s: details: %w", e.Event, err)
		}
	}
	sctx, cancel := s.stmtCtx(ctx)
	defer cancel()
	_, err := s.db.ExecContext(sctx, `INSERT INTO milestone_events (project, ts, event, milestone_id, backend, actor, details)
 VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.project, s.timeArg(e.Timestamp), escapeText(e.Event),
		escapeText(e.MilestoneID), escapeText(e.Backend), escapeText(e.Actor), string(details))
	return s.wrap(sctx, "append event "+e.Event, err)
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
		switch v := ts.(type) {
		case time.Time:
			e.Timestamp = v.UTC()
		case string:
			if e.Timestamp, err = time.Parse(sqliteTimeFormat, v); err != nil {
				return nil, fmt.Errorf("read events: timestamp %q: %w", v, err)
			}
		default:
			return nil, fmt.Errorf("read events: unexpected timestamp %T", ts)
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
