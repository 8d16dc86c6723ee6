package cli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/storage"
)

func TestResolveDate(t *testing.T) {
	now := time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC) // a Wednesday
	for _, tc := range []struct{ in, want string }{
		{"2026-12-01", "2026-12-01"}, {"today", "2026-03-04"}, {"Tomorrow", "2026-03-05"},
		{"yesterday", "2026-03-03"}, {"+3d", "2026-03-07"}, {"+2w", "2026-03-18"}, {"-1d", "2026-03-03"},
		{"+1m", "2026-04-04"}, {"+0d", "2026-03-04"}, {"friday", "2026-03-06"}, {"fri", "2026-03-06"},
		{"wednesday", "2026-03-11"}, {"monday", "2026-03-09"}, {"", ""},
	} {
		got, err := resolveDate("--due", tc.in, now)
		if err != nil || got != tc.want {
			t.Errorf("resolveDate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"someday", "+3x", "+d", "2026-02-30", "3d", "fridays"} {
		if _, err := resolveDate("--due", bad, now); err == nil || ExitCode(err) != ExitRefused {
			t.Errorf("resolveDate(%q) = %v, want refused", bad, err)
		}
	}
}

func TestHumanDue(t *testing.T) {
	for _, tc := range []struct {
		due, want string
		late      bool
	}{
		{"2026-03-04", "due today", false}, {"2026-03-05", "due tomorrow", false},
		{"2026-03-07", "due in 3 days", false}, {"2026-03-03", "overdue 1 day", true}, {"2026-02-02", "overdue 30 days", true},
	} {
		got, late := humanDue(tc.due, "2026-03-04")
		if got != tc.want || late != tc.late {
			t.Errorf("humanDue(%s) = %q, %v; want %q, %v", tc.due, got, late, tc.want, tc.late)
		}
	}
}

func TestSimilar(t *testing.T) {
	cmds := []string{"list", "log", "show", "create", "close", "reopen", "stats", "search"}
	for _, tc := range []struct {
		in   string
		want string
	}{{"lsit", "list"}, {"craete", "create"}, {"sho", "show"}, {"serach", "search"}, {"cloes", "close"}} {
		got := similar(tc.in, cmds)
		if len(got) == 0 || got[0] != tc.want {
			t.Errorf("similar(%q) = %v, want %s first", tc.in, got, tc.want)
		}
	}
	if got := similar("zzzzzz", cmds); len(got) != 0 {
		t.Errorf("similar(zzzzzz) = %v, want none", got)
	}
	if d := editDistance("ab", "ba"); d != 1 {
		t.Errorf("editDistance(ab, ba) = %d, want 1 (a swap)", d)
	}
}

func TestTruncateWidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello world", 6, "hello…"}, {"東京リリース", 7, "東京リ…"},
		{"東京リリース", 6, "東京…"}, {"e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"}, {"abc", 0, "abc"},
	} {
		got := truncateWidth(tc.in, tc.w)
		if got != tc.want || (tc.w > 0 && displayWidth(got) > tc.w) {
			t.Errorf("truncateWidth(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
	}
}

func TestOneLineKeepsCharacters(t *testing.T) {
	for _, title := range []string{strings.Repeat("é", 100), strings.Repeat("東", 80), strings.Repeat("👍🏽", 70), strings.Repeat("a", 70)} {
		got := oneLine(title)
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || displayWidth(got) > 60 {
			t.Errorf("oneLine(%q...) = %q", title[:8], got)
		}
		if base := strings.TrimSuffix(got, "..."); !strings.HasPrefix(title, base) {
			t.Errorf("oneLine cut inside a grapheme: %q", got)
		}
	}
	if got := oneLine("short"); got != "short" {
		t.Errorf("oneLine(short) = %q", got)
	}
}

func TestFindCycle(t *testing.T) {
	graph := map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
	if got := strings.Join(findCycle(graph, "a"), " -> "); got != "a -> b -> c -> a" {
		t.Errorf("findCycle(a) = %q", got)
	}
	if got := findCycle(graph, "d"); got != nil {
		t.Errorf("findCycle(d) = %v, want nil (d is not on the cycle)", got)
	}
	if got := findCycle(map[string][]string{"x": {"y"}, "y": nil}, "x"); got != nil {
		t.Errorf("findCycle(acyclic) = %v", got)
	}
}

func TestSortRecords(t *testing.T) {
	rec := func(id string, p milestone.Priority, due string) storage.Record {
		return storage.Record{Milestone: milestone.Milestone{ID: id, Priority: p, Due: due}}
	}
	recs := []storage.Record{rec("a", milestone.Low, "2026-01-02"), rec("b", milestone.High, "2026-01-03"),
		rec("c", milestone.High, "2026-01-01"), rec("d", milestone.Low, "")}
	ids := func() string {
		var s []string
		for _, r := range recs {
			s = append(s, r.Milestone.ID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct{ spec, want string }{
		{"priority,due", "c,b,a,d"}, {"-priority,due", "a,d,c,b"}, {"priority,-due", "b,c,d,a"}, {"-id", "d,c,b,a"}, {"due", "c,a,b,d"},
	} {
		keys, err := parseSort(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		sortRecords(keys, recs)
		if got := ids(); got != tc.want {
			t.Errorf("--sort %s = %s, want %s", tc.spec, got, tc.want)
		}
	}
	for _, bad := range []string{"nope", "-", "due,,x", "--due"} {
		if _, err := parseSort(bad); err == nil {
			t.Errorf("parseSort(%q) accepted", bad)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	b := buildInfoFrom(&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-03-04T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}, BuildInfo{Version: "source build", Platform: "linux/amd64"})
	if b.Version != "source build" || b.Commit != "0123456789abcdef" || !b.Modified || b.BuildDate != "2026-03-04T10:00:00Z" || b.GoVersion != "go1.99" {
		t.Errorf("buildInfoFrom = %+v", b)
	}
	if s := b.String(); !strings.Contains(s, "commit 0123456-dirty, 2026-03-04T10:00:00Z") {
		t.Errorf("String = %q", s)
	}
	b = buildInfoFrom(&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, BuildInfo{Version: "source build", GoVersion: "go1"})
	if b.Version != "v1.2.3" {
		t.Errorf("module version = %q", b.Version)
	}
}

func TestBufferedStdout(t *testing.T) {
	var out countingWriter
	var errBuf bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errBuf}
	term := setupTerminal(&env, "", true)
	for i := 0; i < 100; i++ {
		env.Stdout.Write([]byte("a row of a table, about forty bytes long\n"))
	}
	if out.writes > 1 {
		t.Errorf("%d writes for 100 rows before the buffer filled, want at most 1", out.writes)
	}
	env.Stderr.Write([]byte("warning\n")) // flushes stdout first
	if out.n != 100*41 {
		t.Errorf("stderr did not flush stdout first: %d bytes out", out.n)
	}
	env.Stdout.Write([]byte("last\n"))
	term.close()
	if out.n != 100*41+5 {
		t.Errorf("close did not flush: %d bytes", out.n)
	}
}

type countingWriter struct{ writes, n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	c.n += len(p)
	return len(p), nil
}
