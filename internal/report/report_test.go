package report

import (
	"bytes"
	"html"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/history"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

func intp(n int) *int { return &n }

// sampleInput has open milestones on the timeline (one overdue, one at
// risk), an undated one, a closed one and hostile titles.
func sampleInput() Input {
	ms := []milestone.Milestone{
		{ID: "api", Title: "API freeze", Status: milestone.Active, Priority: milestone.High, Start: "2026-11-01", Due: "2026-12-01", Progress: intp(80), CreatedAt: "2026-10-20T10:00:00Z"},
		{ID: "beta", Title: `Public <script>alert("beta")</script> & "more"`, Status: milestone.Planned, Priority: milestone.Medium, Due: "2026-12-15", DependsOn: []string{"api", "db"}, CreatedAt: "2026-10-21T10:00:00Z"},
		{ID: "design", Title: "Design </svg><img src=x onerror=alert(1)>", Status: milestone.Active, Due: "2026-12-30", CreatedAt: "2026-10-22T10:00:00Z"},
		{ID: "ui", Title: "UI ' onload='x", Status: milestone.Planned, Due: "2026-12-18", DependsOn: []string{"design"}, Progress: intp(10), CreatedAt: "2026-11-02T10:00:00Z"},
		{ID: "someday", Title: "Someday {{.Title}}", Status: milestone.Planned, CreatedAt: "2026-11-03T10:00:00Z"},
		{ID: "db", Title: "Database", Status: milestone.Completed, Due: "2026-11-01", CreatedAt: "2026-10-01T10:00:00Z", ClosedAt: "2026-11-01T09:00:00Z"},
	}
	slips := map[string]history.Totals{"beta": {Slips: 2, SlipDays: 41}}
	return Input{Title: "Web <app>", Today: "2026-12-05", Projects: []Project{{Name: "web", Milestones: ms, Slips: slips}}}
}

func render(t *testing.T, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPageIsSelfContainedAndEscaped(t *testing.T) {
	in := sampleInput()
	out := render(t, in)
	for _, bad := range []string{"<script", "http://", "https://", "<img", "<link", "@import"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, m := range in.Projects[0].Milestones {
		if !strings.Contains(out, html.EscapeString(m.Title)) && !strings.Contains(out, strings.ReplaceAll(html.EscapeString(m.Title), "&#34;", "&#34;")) {
			// html/template escapes " as &#34; and ' as &#39;, as EscapeString does
			t.Errorf("title %q not present escaped", m.Title)
		}
	}
	for _, want := range []string{
		`class="bar overdue"`,               // api is past its due date
		`class="bar atrisk"`,                // ui depends on design, due later
		`class="dep risk"`,                  // the arrow design -> ui
		`class="today"`,                     // today's line
		`<polyline class="scope"`,           // burn-up
		`at risk: design due later`,         // table flag
		`blocked by api`,                    // beta waits for api (db is closed)
		`Not on the timeline (no due date)`, // someday
		`style="width: 80%"`,                // progress
		`<title>Roadmap: Web &lt;app&gt;</title>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Two dated dependencies on the timeline: api -> beta, design -> ui (db is closed).
	if n := strings.Count(out, `<path class="dep`); n != 2 {
		t.Errorf("%d dependency arrows, want 2", n)
	}
}

func TestBuildTotalsAndBurnUp(t *testing.T) {
	p, err := Build(sampleInput())
	if err != nil {
		t.Fatal(err)
	}
	want := totals{Open: 5, Closed: 1, Overdue: 1, AtRisk: 1, Ready: 3, Blocked: 2}
	if p.Totals != want {
		t.Errorf("totals %+v, want %+v", p.Totals, want)
	}
	pv := p.Projects[0]
	if pv.Timeline == nil || len(pv.Timeline.Rows) != 4 || len(pv.Undated) != 1 {
		t.Fatalf("timeline %+v undated %+v", pv.Timeline, pv.Undated)
	}
	// rows by due date; every bar inside the chart, today inside too
	prev := ""
	for _, r := range pv.Timeline.Rows {
		if r.Due < prev {
			t.Errorf("rows not by due date: %s after %s", r.Due, prev)
		}
		prev = r.Due
		if r.X < labelW || r.X+r.W > labelW+chartW+0.01 || r.W <= 0 {
			t.Errorf("bar %s out of the chart: x %.1f w %.1f", r.ID, r.X, r.W)
		}
	}
	if x := pv.Timeline.TodayX; x <= labelW || x >= labelW+chartW {
		t.Errorf("today at %.1f", x)
	}
	// Burn-up from the documents: 6 created, db closed on 2026-11-01, then today.
	pts := DocBurnUp(sampleInput().Projects[0].Milestones)
	last := pts[len(pts)-1]
	if last.Open != 5 || last.Closed != 1 || pts[0].Date != "2026-10-01" {
		t.Errorf("doc burn-up %+v", pts)
	}
	if pv.BurnUp == nil || pv.BurnUp.Last.Date != "2026-12-05" {
		t.Errorf("burn-up does not end today: %+v", pv.BurnUp)
	}
	// A given history is used instead.
	in := sampleInput()
	in.Projects[0].BurnUp = []history.Point{{Date: "2026-11-20", Open: 1, Closed: 0}}
	p, _ = Build(in)
	if p.Projects[0].BurnUp.First.Date != "2026-11-20" {
		t.Errorf("history burn-up not used: %+v", p.Projects[0].BurnUp.First)
	}
	if _, err := Build(Input{Today: "soon"}); err == nil {
		t.Error("a bad today is an error")
	}
}

func TestEmptyAndRollUp(t *testing.T) {
	out := render(t, Input{Title: "empty", Today: "2026-12-05", Projects: []Project{{Name: "empty"}}})
	if !strings.Contains(out, "No open milestone has a due date.") || !strings.Contains(out, "No milestones.") {
		t.Error("an empty project says so")
	}
	in := sampleInput()
	in.Projects = append(in.Projects, Project{Key: "k2", Name: "mobile <ios>", Milestones: []milestone.Milestone{{ID: "app", Title: "App store", Status: milestone.Planned, Due: "2027-01-01"}}})
	out = render(t, in)
	if !strings.Contains(out, "<h2>mobile &lt;ios&gt; <small") || !strings.Contains(out, `id="arrow-1"`) {
		t.Error("roll-up: a section per project with its own arrow marker")
	}
}
