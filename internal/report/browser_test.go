package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium binary, or skips the test (fails it when
// CI=true: CI installs chromium).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required in CI for the browser test of the report (apt-get install chromium)")
	}
	t.Skip("browser test skipped: Chromium is not installed (apt-get install chromium)")
	return ""
}

// box is the laid-out size of an element.
type box struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// TestReportInBrowser renders the page in headless Chromium and checks
// the DOM: every title is there as text, no script or injected element
// exists, no console error was logged, and the SVG charts are laid out
// with a real size.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	in := sampleInput()
	in.Projects = append(in.Projects, Project{Key: "k2", Name: "mobile <ios>",
		Milestones: sampleInput().Projects[0].Milestones[:2]})
	page := filepath.Join(t.TempDir(), "roadmap.html")
	if err := os.WriteFile(page, []byte(render(t, in)), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Subscribe to the console before the page loads; collect every error,
	// exception and browser log error (a failed load, say).
	messages := chromedp.Console(ctx)
	var mu sync.Mutex
	var problems []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning {
				mu.Lock()
				problems = append(problems, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	title := eval[string](t, ctx, `document.title`)
	texts := eval[string](t, ctx, `document.body.innerText`)
	scripts := eval[int](t, ctx, `document.querySelectorAll('script').length`)
	imgs := eval[int](t, ctx, `document.querySelectorAll('img').length`)
	frames := eval[int](t, ctx, `document.querySelectorAll('iframe, object, embed, link').length`)
	timelines := eval[[]box](t, ctx, `[...document.querySelectorAll('svg.timeline')].map(s => { const r = s.getBoundingClientRect(); return {width: r.width, height: r.height}; })`)
	burnups := eval[[]box](t, ctx, `[...document.querySelectorAll('svg.burnup')].map(s => { const r = s.getBoundingClientRect(); return {width: r.width, height: r.height}; })`)
	bars := eval[int](t, ctx, `[...document.querySelectorAll('svg.timeline rect.bar')].filter(r => r.getBBox().width > 0 && r.getBBox().height > 0).length`)
	arrows := eval[int](t, ctx, `[...document.querySelectorAll('svg.timeline path.dep')].filter(p => p.getTotalLength() > 0).length`)
	lines := eval[int](t, ctx, `[...document.querySelectorAll('svg.burnup polyline')].filter(p => p.getTotalLength() > 0).length`)
	rows := eval[int](t, ctx, `document.querySelectorAll('table.milestones tbody tr[data-id]').length`)
	todayX := eval[float64](t, ctx, `document.querySelector('svg.timeline line.today').getBBox().x`)
	resources := eval[[]string](t, ctx, `performance.getEntriesByType('resource').map(e => e.name)`)
	cancel() // ends the console subscription
	<-done
	if title != "Roadmap: Web <app>" {
		t.Errorf("document title %q", title)
	}
	for _, p := range in.Projects {
		if !strings.Contains(texts, p.Name) {
			t.Errorf("project %q not shown", p.Name)
		}
		for _, m := range p.Milestones {
			if !strings.Contains(texts, m.Title) {
				t.Errorf("title %q not in the page text", m.Title)
			}
		}
	}
	if scripts != 0 || imgs != 0 || frames != 0 {
		t.Errorf("injected elements: %d script, %d img, %d iframe/object/embed/link", scripts, imgs, frames)
	}
	if len(resources) != 0 {
		t.Errorf("the page loaded resources: %v", resources)
	}
	if len(timelines) != 2 || len(burnups) != 2 {
		t.Fatalf("want 2 timelines and 2 burn-ups, got %d and %d", len(timelines), len(burnups))
	}
	for _, b := range append(timelines, burnups...) {
		if b.Width < 100 || b.Height < 50 {
			t.Errorf("SVG laid out at %.0fx%.0f", b.Width, b.Height)
		}
	}
	if bars != 4+2 || arrows < 2 || rows != 6+2 {
		t.Errorf("%d bars, %d arrows, %d table rows", bars, arrows, rows)
	}
	if lines != 2*2 {
		t.Errorf("%d burn-up lines drawn, want 4", lines)
	}
	if todayX <= labelW {
		t.Errorf("today's line at x=%.1f", todayX)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console: %v", problems)
	}
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
