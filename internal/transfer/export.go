package transfer

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"id", "title", "status", "priority", "owner", "start", "due", "labels",
	"depends_on", "progress", "description", "created_at", "updated_at", "closed_at"}

// ListSep joins labels and depends_on in one CSV cell.
const ListSep = ";"

// WriteCSV writes one row per milestone under a header row (RFC 4180:
// CRLF line ends; fields with commas, quotes or line breaks quoted, quotes
// doubled). Text is written as it is: a cell starting with "=" is data,
// not a formula, to this writer.
func WriteCSV(w io.Writer, ms []milestone.Milestone) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		prog := ""
		if m.Progress != nil {
			prog = strconv.Itoa(*m.Progress)
		}
		row := []string{m.ID, m.Title, string(m.Status), string(m.Priority), m.Owner, m.Start, m.Due,
			strings.Join(m.Labels, ListSep), strings.Join(m.DependsOn, ListSep), prog, m.Description,
			m.CreatedAt, m.UpdatedAt, m.ClosedAt}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes a Markdown table of the milestones. Cell text is
// escaped: pipes and backslashes, and <, > and & so that no text from a
// document becomes HTML where the table is rendered.
func WriteMarkdown(w io.Writer, ms []milestone.Milestone) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| ID | Title | Status | Priority | Owner | Start | Due | Progress | Labels | Depends on |")
	fmt.Fprintln(bw, "|---|---|---|---|---|---|---|---:|---|---|")
	for i := range ms {
		m := &ms[i]
		prog := ""
		if m.Progress != nil {
			prog = strconv.Itoa(*m.Progress) + "%"
		}
		cells := []string{m.ID, m.Title, string(m.Status), string(m.Priority), m.Owner, m.Start, m.Due, prog,
			strings.Join(m.Labels, ", "), strings.Join(m.DependsOn, ", ")}
		bw.WriteString("|")
		for _, c := range cells {
			bw.WriteString(" " + mdCell(c) + " |")
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

var mdEscaper = strings.NewReplacer(`\`, `\\`, `|`, `\|`, `<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`,
	"\r\n", " ", "\n", " ", "\r", " ")

func mdCell(s string) string { return mdEscaper.Replace(s) }

// ICSOptions tune WriteICS.
type ICSOptions struct {
	// UIDDomain makes UIDs unique beyond this repository: UID is
	// <id>@<UIDDomain>. It should not change between runs.
	UIDDomain string
	// Name is the calendar's name (X-WR-CALNAME), if set.
	Name string
	// Now is DTSTAMP for a milestone without updated_at, created_at or
	// closed_at (the tool sets them: every other DTSTAMP is stable).
	Now time.Time
}

// WriteICS writes an iCalendar file (RFC 5545): one all-day VEVENT per
// milestone with a due date (DTSTART;VALUE=DATE on the due date, DTEND
// the day after), with a UID stable across runs, CRLF line ends, lines
// folded at 75 octets and text escaped. Milestones without a due date are
// left out.
func WriteICS(w io.Writer, ms []milestone.Milestone, opts ICSOptions) error {
	bw := bufio.NewWriter(w)
	line := func(s string) { writeFolded(bw, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//git-milestone//git-milestone//EN")
	line("CALSCALE:GREGORIAN")
	if opts.Name != "" {
		line("X-WR-CALNAME:" + icsText(opts.Name))
	}
	domain := opts.UIDDomain
	if domain == "" {
		domain = "git-milestone"
	}
	for i := range ms {
		m := &ms[i]
		if m.Due == "" {
			continue
		}
		due, err := time.Parse(time.DateOnly, m.Due)
		if err != nil {
			return fmt.Errorf("milestone %s: due %q: %w", m.ID, m.Due, err)
		}
		stamp := opts.Now.UTC()
		if ts := firstNonEmpty(m.UpdatedAt, m.CreatedAt, m.ClosedAt); ts != "" {
			if t, err := time.Parse(time.RFC3339, ts); err == nil {
				stamp = t.UTC()
			}
		}
		line("BEGIN:VEVENT")
		line("UID:" + m.ID + "@" + domain)
		line("DTSTAMP:" + stamp.Format("20060102T150405Z"))
		line("DTSTART;VALUE=DATE:" + due.Format("20060102"))
		line("DTEND;VALUE=DATE:" + due.AddDate(0, 0, 1).Format("20060102"))
		line("SUMMARY:" + icsText(m.Title))
		if m.Description != "" {
			line("DESCRIPTION:" + icsText(m.Description))
		}
		if len(m.Labels) > 0 {
			esc := make([]string, len(m.Labels))
			for i, l := range m.Labels {
				esc[i] = icsText(l)
			}
			line("CATEGORIES:" + strings.Join(esc, ","))
		}
		if m.Status == milestone.Cancelled {
			line("STATUS:CANCELLED")
		} else {
			line("STATUS:CONFIRMED")
		}
		line("TRANSP:TRANSPARENT")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	return bw.Flush()
}

// icsText escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon,
// comma and line breaks; other control characters are dropped.
func icsText(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// not allowed in TEXT
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes one content line with CRLF, folded so that no line
// is longer than 75 octets (continuation lines start with a space), never
// inside a UTF-8 sequence.
func writeFolded(w *bufio.Writer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}
