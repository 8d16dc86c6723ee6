package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/git-milestone/git-milestone/internal/history"
)

// Layout of the burn-up chart, in pixels.
const (
	burnW    = 760
	burnH    = 200
	burnLeft = 50
	burnTop  = 14
)

// chart is a laid-out burn-up chart: the scope (open + closed) and the
// closed count as step lines over time.
type chart struct {
	Width, Height  float64
	Left, Top      float64
	Right, Bottom  float64
	Scope, Closed  string // polyline points
	ClosedArea     string // polygon points
	XTicks, YTicks []tick
	First, Last    history.Point
}

func layoutBurnUp(pts []history.Point) *chart {
	firstReal := pts[0]
	// Start from nothing the day before the first count, so the first
	// milestones show as a step up (and one day of history is a line).
	if first := pts[0]; first.Open+first.Closed > 0 {
		if t, err := time.Parse(time.DateOnly, first.Date); err == nil {
			pts = append([]history.Point{{Date: t.AddDate(0, 0, -1).Format(time.DateOnly)}}, pts...)
		}
	}
	c := &chart{Width: burnLeft + burnW + 30, Height: burnTop + burnH + 40, Left: burnLeft, Top: burnTop,
		Right: burnLeft + burnW, Bottom: burnTop + burnH, First: firstReal, Last: pts[len(pts)-1]}
	t0, _ := time.Parse(time.DateOnly, pts[0].Date)
	t1, _ := time.Parse(time.DateOnly, pts[len(pts)-1].Date)
	days := t1.Sub(t0).Hours() / 24
	if days < 1 {
		days = 1
		t0 = t1.AddDate(0, 0, -1)
	}
	top := 1
	for _, p := range pts {
		top = max(top, p.Open+p.Closed)
	}
	x := func(d string) float64 {
		t, _ := time.Parse(time.DateOnly, d)
		return burnLeft + t.Sub(t0).Hours()/24/days*burnW
	}
	y := func(n int) float64 { return burnTop + burnH - float64(n)/float64(top)*burnH }
	var scope, closed []string
	prevS, prevC := 0, 0
	for i, p := range pts {
		px := x(p.Date)
		if i > 0 {
			scope = append(scope, fmt.Sprintf("%.1f,%.1f", px, y(prevS)))
			closed = append(closed, fmt.Sprintf("%.1f,%.1f", px, y(prevC)))
		}
		prevS, prevC = p.Open+p.Closed, p.Closed
		scope = append(scope, fmt.Sprintf("%.1f,%.1f", px, y(prevS)))
		closed = append(closed, fmt.Sprintf("%.1f,%.1f", px, y(prevC)))
	}
	if len(pts) == 1 { // nothing ever: a flat line across
		scope = append(scope, fmt.Sprintf("%.1f,%.1f", float64(burnLeft+burnW), y(prevS)))
		closed = append(closed, fmt.Sprintf("%.1f,%.1f", float64(burnLeft+burnW), y(prevC)))
	}
	c.Scope = strings.Join(scope, " ")
	c.Closed = strings.Join(closed, " ")
	first := strings.SplitN(closed[0], ",", 2)[0]
	last := strings.SplitN(closed[len(closed)-1], ",", 2)[0]
	c.ClosedArea = c.Closed + fmt.Sprintf(" %s,%.1f %s,%.1f", last, y(0), first, y(0))
	step := max(1, (top+4)/5)
	for n := 0; n <= top; n += step {
		c.YTicks = append(c.YTicks, tick{X: y(n), Label: fmt.Sprint(n)})
	}
	every := max(1, int(days/6))
	for d := 0; d <= int(days); d += every {
		t := t0.AddDate(0, 0, d)
		c.XTicks = append(c.XTicks, tick{X: burnLeft + float64(d)/days*burnW, Label: t.Format("Jan 2")})
	}
	return c
}
