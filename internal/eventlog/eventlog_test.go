package eventlog

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

func TestAppendTail(t *testing.T) {
	l := &Log{Tree: safefs.New(t.TempDir(), ""), Rel: "logs/events.jsonl"}
	for i := 0; i < 5; i++ {
		if err := l.Append(Event{Event: MilestoneCreated, MilestoneID: string(rune('a' + i)), Backend: "file",
			Details: map[string]any{"text": "quote \" and\nnewline"}}); err != nil {
			t.Fatal(err)
		}
	}
	got, bad, err := l.Tail(2)
	if err != nil || len(bad) > 0 {
		t.Fatal(err, bad)
	}
	if len(got) != 2 || got[0].MilestoneID != "d" || got[1].MilestoneID != "e" {
		t.Fatalf("tail 2 = %+v", got)
	}
	if got[1].Details["text"] != "quote \" and\nnewline" {
		t.Fatalf("details = %v", got[1].Details)
	}
	all, _, _ := l.Tail(0)
	if len(all) != 5 {
		t.Fatalf("all = %d events", len(all))
	}
}

func TestMissingLogIsEmpty(t *testing.T) {
	got, bad, err := Open(filepath.Join(t.TempDir(), "none.jsonl")).Tail(10)
	if err != nil || len(got) != 0 || len(bad) != 0 {
		t.Fatal(got, bad, err)
	}
}

func TestBadLineReported(t *testing.T) {
	p := filepath.Join(t.TempDir(), "e.jsonl")
	os.WriteFile(p, []byte("{\"event\":\"a\"}\nnot json\n"), 0o644)
	got, bad, err := Open(p).Tail(0)
	if err != nil || len(got) != 1 || len(bad) != 1 || !strings.Contains(bad[0].Error(), ":2:") {
		t.Fatal(got, bad, err)
	}
}

func TestConcurrentAppendsNeverInterleave(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "e.jsonl"))
	var wg sync.WaitGroup
	long := strings.Repeat("x", 3000)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := l.Append(Event{Event: PerformanceMetric, Details: map[string]any{"pad": long}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got, bad, err := l.Tail(0)
	if err != nil || len(bad) != 0 || len(got) != 400 {
		t.Fatalf("events %d, bad %v, err %v", len(got), bad, err)
	}
	if out, err := exec.Command("wc", "-l", l.Path()).Output(); err != nil || !strings.HasPrefix(string(out), "400 ") {
		t.Fatalf("wc -l: %s %v", out, err)
	}
}

func TestRotate(t *testing.T) {
	l := Open(filepath.Join(t.TempDir(), "e.jsonl"))
	l.MaxSize = 100
	for i := 0; i < 10; i++ {
		if err := l.Append(Event{Event: MilestoneUpdated, MilestoneID: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(l.Path() + ".1"); err != nil {
		t.Fatalf("no rotated file: %v", err)
	}
}

// TestLinkedLogRefused: a link at the log, or at its folder, is refused
// and the file it points to stays as it was.
func TestLinkedLogRefused(t *testing.T) {
	for _, at := range []string{".milestones/logs/storage-events.jsonl", ".milestones/logs", ".milestones"} {
		t.Run(at, func(t *testing.T) {
			base := t.TempDir()
			victimDir := filepath.Join(base, "outside")
			os.MkdirAll(filepath.Join(victimDir, "logs"), 0o755)
			victim := filepath.Join(base, "victim")
			os.WriteFile(victim, []byte("precious"), 0o644)
			work := filepath.Join(base, "work")
			os.MkdirAll(filepath.Join(work, ".milestones", "logs"), 0o755)
			target := victim
			if at != ".milestones/logs/storage-events.jsonl" {
				target = victimDir
			}
			p := filepath.Join(work, filepath.FromSlash(at))
			os.RemoveAll(p)
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			err := ForWorkTree(work).Append(Event{Event: MilestoneCreated})
			if !errors.Is(err, safefs.ErrRefused) {
				t.Fatalf("Append: %v, want a refusal", err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("victim changed: %q", b)
			}
			if ents, _ := os.ReadDir(filepath.Join(victimDir, "logs")); len(ents) != 0 {
				t.Fatalf("written outside: %v", ents)
			}
		})
	}
}
