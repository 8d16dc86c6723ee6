// Package report renders the roadmap page: one self-contained HTML file
// (inline CSS and SVG, no script, no external URL) with a timeline of the
// open milestones, today's line, overdue and at-risk marks, dependency
// arrows, a burn-up chart and per-milestone progress. Every text that
// comes from documents is escaped by html/template.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/depgraph"
	"github.com/git-milestone/git-milestone/internal/history"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Project is one repository's milestones (several in a roll-up).
type Project struct {
	Key        string // the project key (database mode), "" otherwise
	Name       string // a human name
	Milestones []milestone.Milestone
	// BurnUp is the open/closed count over time; nil: derived from the
	// documents' created_at and closed_at (see DocBurnUp).
	BurnUp []history.Point
	// Slips are the slip totals by milestone id, from the git history
	// (nil: unknown, the column is left out).
	Slips map[string]history.Totals
}

// Input is what a page shows.
type Input struct {
	Title    string
	Today    string // YYYY-MM-DD
	Projects []Project
}

// Layout of the timeline, in pixels.
const (
	labelW  = 300
	chartW  = 760
	rowH    = 28
	barH    = 16
	axisH   = 34
	padDays = 7
)

// page is the template's data.
type page struct {
	Title    string
	Today    string
	Totals   totals
	Projects []projectView
}

type totals struct {
	Open, Closed, Overdue, AtRisk, Ready, Blocked int
}

type projectView struct {
	Name, Key  string
	Totals     totals
	Timeline   *timeline
	Undated    []row
	Rows       []row // every milestone, open first
	BurnUp     *chart
	HasBurnUp  bool
	ClosedRows []row
	HasSlips   bool
}

// row is one milestone in the table and the timeline.
type row struct {
	ID, Title, Status, Priority, Owner, Start, Due string
	Progress                                       int
	HasProgress                                    bool
	Overdue, AtRisk, Blocked, Closed               bool
	Blockers, RiskFrom, DependsOn                  []string
	// timeline geometry
	Y, X, W, PW   float64
	LabelY, TextY float64
	Label         string // shortened title for the timeline
	Class         string
	Slips         string // "2× / 41 d", "" when it never slipped
}

type timeline struct {
	Width, Height float64
	ChartX        float64
	Rows          []row
	Ticks         []tick
	TodayX        float64
	TodayIn       bool
	Arrows        []arrow
}

type tick struct {
	X     float64
	Label string
}

type arrow struct {
	D     string // SVG path
	Class string
	From  string
	To    string
	Title string
}

// Build computes the page for in.
func Build(in Input) (page, error) {
	today, err := time.Parse(time.DateOnly, in.Today)
	if err != nil {
		return page{}, fmt.Errorf("report: today %q: %w", in.Today, err)
	}
	p := page{Title: in.Title, Today: in.Today}
	for _, pr := range in.Projects {
		pv := buildProject(pr, today, in.Today)
		add(&p.Totals, pv.Totals)
		p.Projects = append(p.Projects, pv)
	}
	return p, nil
}

func add(a *totals, b totals) {
	a.Open += b.Open
	a.Closed += b.Closed
	a.Overdue += b.Overdue
	a.AtRisk += b.AtRisk
	a.Ready += b.Ready
	a.Blocked += b.Blocked
}

func buildProject(pr Project, today time.Time, todayS string) projectView {
	ms := append([]milestone.Milestone(nil), pr.Milestones...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	g := depgraph.New(ms)
	pv := projectView{Name: pr.Name, Key: pr.Key, HasSlips: pr.Slips != nil}
	var open, dated []row
	for i := range ms {
		m := &ms[i]
		r := row{ID: m.ID, Title: m.Title, Status: string(m.Status), Priority: string(m.Priority), Owner: m.Owner,
			Start: m.Start, Due: m.Due, Closed: !m.Open(), DependsOn: m.DependsOn}
		if t := pr.Slips[m.ID]; t.Slips > 0 {
			r.Slips = fmt.Sprintf("%d× / %d d", t.Slips, t.SlipDays)
		}
		if m.Progress != nil {
			r.Progress, r.HasProgress = min(max(*m.Progress, 0), 100), true
		}
		if r.Closed {
			pv.Totals.Closed++
			pv.ClosedRows = append(pv.ClosedRows, r)
			continue
		}
		pv.Totals.Open++
		r.Overdue = m.Overdue(todayS)
		r.RiskFrom = g.AtRisk(m.ID)
		r.AtRisk = len(r.RiskFrom) > 0
		r.Blockers = g.Blockers(m.ID)
		r.Blocked = len(r.Blockers) > 0
		if r.Overdue {
			pv.Totals.Overdue++
		}
		if r.AtRisk {
			pv.Totals.AtRisk++
		}
		if r.Blocked {
			pv.Totals.Blocked++
		} else {
			pv.Totals.Ready++
		}
		open = append(open, r)
		if m.Due != "" {
			dated = append(dated, r)
		} else {
			pv.Undated = append(pv.Undated, r)
		}
	}
	pv.Rows = append(open, pv.ClosedRows...)
	if len(dated) > 0 {
		pv.Timeline = layoutTimeline(dated, ms, g, today)
	}
	pts := pr.BurnUp
	if pts == nil {
		pts = DocBurnUp(ms)
	}
	pts = extendTo(pts, todayS, pv.Totals.Open, pv.Totals.Closed)
	if len(pts) > 0 {
		pv.BurnUp, pv.HasBurnUp = layoutBurnUp(pts), true
	}
	return pv
}

// barStart is where a milestone's bar begins: its start date, else the
// day it was created, else two weeks before it is due (never after due).
func barStart(m *milestone.Milestone, due time.Time) time.Time {
	for _, s := range []string{m.Start, datePart(m.CreatedAt)} {
		if t, err := time.Parse(time.DateOnly, s); err == nil && !t.After(due) {
			return t
		}
	}
	return due.AddDate(0, 0, -14)
}

func datePart(ts string) string {
	if len(ts) >= 10 {
		return ts[:10]
	}
	return ""
}

func layoutTimeline(rows []row, ms []milestone.Milestone, g *depgraph.Graph, today time.Time) *timeline {
	byID := map[string]*milestone.Milestone{}
	for i := range ms {
		byID[ms[i].ID] = &ms[i]
	}
	type span struct{ from, to time.Time }
	spans := make([]span, len(rows))
	lo, hi := today, today
	for i, r := range rows {
		due, _ := time.Parse(time.DateOnly, r.Due)
		spans[i] = span{barStart(byID[r.ID], due), due}
		lo, hi = minTime(lo, spans[i].from), maxTime(hi, due)
	}
	// Earliest first, then by due date.
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		sa, sb := spans[idx[a]], spans[idx[b]]
		if !sa.to.Equal(sb.to) {
			return sa.to.Before(sb.to)
		}
		return rows[idx[a]].ID < rows[idx[b]].ID
	})
	lo, hi = lo.AddDate(0, 0, -padDays), hi.AddDate(0, 0, padDays)
	days := hi.Sub(lo).Hours() / 24
	x := func(t time.Time) float64 { return labelW + t.Sub(lo).Hours()/24/days*chartW }
	tl := &timeline{Width: labelW + chartW + 20, ChartX: labelW, TodayX: x(today), TodayIn: true}
	pos := map[string]int{}
	for k, i := range idx {
		r := rows[i]
		s := spans[i]
		r.Y = axisH + float64(k)*rowH + (rowH-barH)/2
		r.TextY = r.Y + barH - 3
		r.X = x(s.from)
		r.W = max(x(s.to)-r.X, 3)
		r.PW = r.W * float64(r.Progress) / 100
		r.Label = shorten(r.ID+"  "+r.Title, 42)
		switch {
		case r.Overdue:
			r.Class = "bar overdue"
		case r.AtRisk:
			r.Class = "bar atrisk"
		default:
			r.Class = "bar " + r.Status
		}
		pos[r.ID] = len(tl.Rows)
		tl.Rows = append(tl.Rows, r)
	}
	tl.Height = axisH + float64(len(tl.Rows))*rowH + 10
	// Month ticks.
	for t := time.Date(lo.Year(), lo.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0); t.Before(hi); t = t.AddDate(0, 1, 0) {
		tl.Ticks = append(tl.Ticks, tick{X: x(t), Label: t.Format("Jan 2006")})
	}
	// Dependency arrows between dated open milestones: from the end of
	// the dependency's bar to the start of the dependant's.
	for i, r := range tl.Rows {
		for _, d := range r.DependsOn {
			k, ok := pos[d]
			if !ok {
				continue
			}
			from := tl.Rows[k]
			x1, y1 := from.X+from.W, from.Y+barH/2
			x2, y2 := r.X, r.Y+barH/2
			a := arrow{From: d, To: r.ID, Class: "dep", Title: d + " → " + r.ID}
			if x2-x1 >= 24 {
				c := (x2 - x1) / 2
				a.D = fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x1, y1, x1+c, y1, x2-c, y2, x2-2, y2)
			} else {
				// The dependant starts before the dependency ends: run back
				// along the gap next to the dependant's row.
				gap := r.Y - (rowH-barH)/2
				if k > i {
					gap = r.Y + barH + (rowH-barH)/2
				}
				a.D = fmt.Sprintf("M%.1f,%.1f H%.1f V%.1f H%.1f V%.1f H%.1f", x1, y1, x1+10, gap, x2-12, y2, x2-2)
			}
			if from.Due > r.Due {
				a.Class = "dep risk"
				a.Title += " (due after it)"
			}
			tl.Arrows = append(tl.Arrows, a)
		}
	}
	return tl
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// DocBurnUp derives open/closed counts over time from the documents
// themselves (created_at, and closed_at of closed ones): the fallback
// where git holds no history (database mode). Milestones removed since
// are not counted.
func DocBurnUp(ms []milestone.Milestone) []history.Point {
	type ev struct {
		at     string
		dOpen  int
		dClose int
	}
	var evs []ev
	for i := range ms {
		m := &ms[i]
		created := m.CreatedAt
		if created == "" {
			continue
		}
		evs = append(evs, ev{created, 1, 0})
		if !m.Open() && m.ClosedAt != "" {
			evs = append(evs, ev{m.ClosedAt, -1, 1})
		} else if !m.Open() {
			evs[len(evs)-1] = ev{created, 0, 1}
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at < evs[j].at })
	var pts []history.Point
	open, closed := 0, 0
	for _, e := range evs {
		open += e.dOpen
		closed += e.dClose
		day := datePart(e.at)
		if n := len(pts); n > 0 && pts[n-1].Date == day {
			pts[n-1].Open, pts[n-1].Closed = open, closed
		} else {
			pts = append(pts, history.Point{Date: day, Open: open, Closed: closed})
		}
	}
	return pts
}

// extendTo ends the series today with the current counts.
func extendTo(pts []history.Point, today string, open, closed int) []history.Point {
	if open+closed == 0 && len(pts) == 0 {
		return nil
	}
	pts = append([]history.Point(nil), pts...)
	if n := len(pts); n > 0 && pts[n-1].Date >= today {
		pts[n-1].Open, pts[n-1].Closed = open, closed
		return pts
	}
	return append(pts, history.Point{Date: today, Open: open, Closed: closed})
}

//go:embed page.html.tmpl
var pageTemplate string

// Write renders the page for in as one HTML document.
func Write(w io.Writer, in Input) error {
	p, err := Build(in)
	if err != nil {
		return err
	}
	// Parsed here, not at start-up: every other command would pay for it.
	tmpl, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
