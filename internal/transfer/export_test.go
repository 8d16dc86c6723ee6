package transfer

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

func hostileSet() []milestone.Milestone {
	p := 40
	return []milestone.Milestone{
		{ID: "beta", Title: `Beta, "the one" | with pipes; and \ backslash <b>&`, Status: milestone.Active, Priority: milestone.High,
			Owner: "ana@example.com", Start: "2026-11-01", Due: "2026-12-15", Labels: []string{"web,app", "release"},
			DependsOn: []string{"api"}, Progress: &p, Description: "Line one, with comma;\nline two: \"quoted\"\r\nend\\",
			CreatedAt: "2026-11-26T07:00:00Z", UpdatedAt: "2026-11-27T08:00:00Z"},
		{ID: "api", Title: strings.Repeat("Ünïcødé ", 20), Status: milestone.Cancelled, Priority: milestone.Low, Due: "2026-12-31",
			ClosedAt: "2026-12-01T00:00:00Z", Description: strings.Repeat("日本語のテキスト", 30)},
		{ID: "nodue", Title: "No due date", Status: milestone.Planned, Priority: milestone.Medium},
	}
}

func TestCSVRoundTrip(t *testing.T) {
	ms := hostileSet()
	var b bytes.Buffer
	if err := WriteCSV(&b, ms); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte(strings.Join(CSVHeader, ",")+"\r\n")) {
		t.Fatalf("header: %q", b.String()[:80])
	}
	r := csv.NewReader(&b)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ms)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, m := range ms {
		row := rows[i+1]
		// encoding/csv reads a quoted CRLF as LF (as RFC 4180 readers do).
		wantDesc := strings.ReplaceAll(m.Description, "\r\n", "\n")
		if row[col["id"]] != m.ID || row[col["title"]] != m.Title || row[col["description"]] != wantDesc ||
			row[col["labels"]] != strings.Join(m.Labels, ListSep) || row[col["due"]] != m.Due || row[col["status"]] != string(m.Status) {
			t.Errorf("row %d: %q", i, row)
		}
	}
	if rows[1][col["progress"]] != "40" || rows[2][col["progress"]] != "" {
		t.Errorf("progress: %q %q", rows[1][col["progress"]], rows[2][col["progress"]])
	}
}

func TestICSStrictParse(t *testing.T) {
	ms := hostileSet()
	var b bytes.Buffer
	stamp := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	if err := WriteICS(&b, ms, ICSOptions{UIDDomain: "abc.git-milestone", Name: "a, b", Now: stamp}); err != nil {
		t.Fatal(err)
	}
	raw := b.String()
	if !strings.HasSuffix(raw, "\r\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Fatal("lines must end in CRLF, and only there")
	}
	for _, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("a fold split a character: %q", line)
		}
	}
	cal, err := ical.NewDecoder(strings.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("strict parser: %v\n%s", err, raw)
	}
	var re bytes.Buffer
	if err := ical.NewEncoder(&re).Encode(cal); err != nil {
		t.Fatalf("the parsed calendar does not validate: %v", err)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events (milestones without a due date have none)", len(events))
	}
	for i, ev := range events {
		m := ms[i]
		uid, _ := ev.Props.Text(ical.PropUID)
		if uid != m.ID+"@abc.git-milestone" {
			t.Errorf("UID %q", uid)
		}
		start := ev.Props.Get(ical.PropDateTimeStart)
		if start.ValueType() != ical.ValueDate || start.Value != strings.ReplaceAll(m.Due, "-", "") {
			t.Errorf("DTSTART %v %q", start.ValueType(), start.Value)
		}
		end, err := ev.DateTimeEnd(time.UTC)
		if err != nil || end.Format(time.DateOnly) != mustDate(t, m.Due).AddDate(0, 0, 1).Format(time.DateOnly) {
			t.Errorf("DTEND %v %v", end, err)
		}
		summary, _ := ev.Props.Text(ical.PropSummary)
		if summary != m.Title {
			t.Errorf("SUMMARY %q, want %q", summary, m.Title)
		}
		desc, _ := ev.Props.Text(ical.PropDescription)
		if want := strings.ReplaceAll(m.Description, "\r\n", "\n"); desc != want {
			t.Errorf("DESCRIPTION %q, want %q", desc, want)
		}
	}
	cats, _ := events[0].Props.Get(ical.PropCategories).TextList()
	if strings.Join(cats, "|") != "web,app|release" {
		t.Errorf("CATEGORIES %q", cats)
	}
	if st, _ := events[1].Status(); st != ical.EventCancelled {
		t.Errorf("status %q", st)
	}
	// The same milestones give the same file: UIDs and stamps are stable.
	var again bytes.Buffer
	WriteICS(&again, ms, ICSOptions{UIDDomain: "abc.git-milestone", Name: "a, b", Now: stamp.Add(time.Hour)})
	if strings.Contains(raw, "20261203T") || again.String() != raw {
		t.Errorf("a second run differs, or DTSTAMP was not taken from the milestone")
	}
}

func mustDate(t *testing.T, s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMarkdownEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, hostileSet()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	header := strings.Count(lines[0], "|")
	for _, l := range lines {
		// Unescaped pipes only: the column count never changes.
		if n := strings.Count(l, "|") - strings.Count(l, `\|`); n != header {
			t.Errorf("%d cell separators, want %d: %s", n, header, l)
		}
	}
	if !strings.Contains(lines[2], `Beta, "the one" \| with pipes; and \\ backslash &lt;b&gt;&amp;`) {
		t.Errorf("row: %s", lines[2])
	}
}
