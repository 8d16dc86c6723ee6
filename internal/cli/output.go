package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/opener"
	"github.com/git-milestone/git-milestone/internal/storage"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
)

func statusColor(s milestone.Status) string {
	switch s {
	case milestone.Active:
		return ansiGreen
	case milestone.Blocked:
		return ansiRed
	case milestone.Planned:
		return ansiBlue
	}
	return ansiDim
}

func priorityColor(p milestone.Priority) string {
	switch p {
	case milestone.Critical:
		return ansiRed + ansiBold
	case milestone.High:
		return ansiYellow
	}
	return ""
}

// recordJSON is one record as the show --json object. In database mode,
// "path" is where the document lives when the files are the store, so the
// objects are the same whichever backend serves them.
func recordJSON(r storage.Record) (json.RawMessage, error) {
	path := r.Path
	if path == "" {
		path = opener.PathFor(r.Milestone.ID, r.Milestone.Status)
	}
	return r.Milestone.ContractJSON(milestone.Field{Key: "path", Value: path})
}

// writeRecordsJSON writes records as a JSON array (always an array, [] when empty).
func writeRecordsJSON(w io.Writer, recs []storage.Record) error {
	return writeObjectsJSON(w, len(recs), func(i int) ([]byte, error) { return recordJSON(recs[i]) })
}

// writeObjectsJSON writes n JSON objects, object(0) to object(n-1), as an
// array with one object a line (always an array, [] when empty), in one write.
func writeObjectsJSON(w io.Writer, n int, object func(i int) ([]byte, error)) error {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range n {
		obj, err := object(i)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.Write(obj)
	}
	if n > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeJSON writes v indented, without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTable prints records: an aligned, coloured table with a header on a
// terminal (or with --color=always); tab-separated lines without a header
// when piped.
func writeTable(env *Env, recs []storage.Record, today string) {
	if !env.StdoutTTY && (env.term == nil || env.term.colour != "always") {
		// Field by field into the buffered stdout: fmt.Fprintf was a tenth
		// of a 10,000-row list, a string built per row still allocates.
		for _, r := range recs {
			m := &r.Milestone
			for _, f := range [...]string{m.ID, "\t", string(m.Status), "\t", string(m.Priority), "\t", m.Due, "\t",
				tsvField(m.Owner), "\t", tsvField(m.Title), "\n"} {
				io.WriteString(env.Stdout, f)
			}
		}
		return
	}
	if len(recs) == 0 {
		fmt.Fprintln(env.Stdout, "No milestones match.")
		return
	}
	rows := [][]string{{"ID", "STATUS", "PRIORITY", "DUE", "OWNER", "TITLE"}}
	late := make([]bool, len(recs)+1)
	for i, r := range recs {
		m := &r.Milestone
		due := m.Due
		if due != "" && m.Open() {
			if rel, overdue := humanDue(due, today); rel != "" {
				due += " (" + strings.TrimPrefix(rel, "due ") + ")"
				late[i+1] = overdue
			}
		}
		rows = append(rows, []string{printable(m.ID), string(m.Status), string(m.Priority), due, printable(m.Owner), printable(m.Title)})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], displayWidth(cell))
		}
	}
	fitWidths(widths, env.width())
	color := env.color()
	for ri, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			cell = truncateWidth(cell, widths[i])
			pad := strings.Repeat(" ", max(0, widths[i]-displayWidth(cell)))
			code := ""
			if color {
				switch {
				case ri == 0:
					code = ansiBold
				case i == 1:
					code = statusColor(recs[ri-1].Milestone.Status)
				case i == 2:
					code = priorityColor(recs[ri-1].Milestone.Priority)
				case i == 3 && late[ri]:
					code = ansiRed
				}
			}
			if code != "" {
				b.WriteString(code + cell + ansiReset)
			} else {
				b.WriteString(cell)
			}
			if i < len(row)-1 {
				b.WriteString(pad + "  ")
			}
		}
		fmt.Fprintln(env.Stdout, b.String())
	}
}

// fitWidths shrinks the widest columns (title first, then owner and id)
// until the table fits in total columns; 0 means no limit.
func fitWidths(widths []int, total int) {
	if total <= 0 {
		return
	}
	sum := func() int {
		n := 2 * (len(widths) - 1)
		for _, w := range widths {
			n += w
		}
		return n
	}
	for _, col := range []int{5, 4, 0} {
		if over := sum() - total; over > 0 {
			floor := min(widths[col], 8)
			widths[col] = max(floor, widths[col]-over)
		}
	}
}

// tsvField keeps a value on one tab-free line.
func tsvField(s string) string {
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
	}
	return printable(s)
}

// writeMilestone prints one milestone for people.
func writeMilestone(env *Env, r storage.Record, today string) {
	m := &r.Milestone
	color := env.color()
	paint := func(code, s string) string {
		if color && code != "" {
			return code + s + ansiReset
		}
		return s
	}
	fmt.Fprintf(env.Stdout, "%s  %s\n", paint(ansiBold, m.ID), paint(ansiBold, printable(m.Title)))
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(env.Stdout, "  %-11s %s\n", k+":", v)
		}
	}
	line("status", paint(statusColor(m.Status), string(m.Status)))
	line("priority", paint(priorityColor(m.Priority), string(m.Priority)))
	line("owner", printable(m.Owner))
	line("start", m.Start)
	due := m.Due
	if due != "" && m.Open() {
		if rel, overdue := humanDue(due, today); rel != "" {
			due += " (" + rel + ")"
			if overdue {
				due = paint(ansiRed, due)
			}
		}
	}
	line("due", due)
	if m.Progress != nil {
		line("progress", fmt.Sprintf("%d%%", *m.Progress))
	}
	line("labels", printable(strings.Join(m.Labels, ", ")))
	line("depends on", strings.Join(m.DependsOn, ", "))
	line("created", m.CreatedAt)
	line("updated", m.UpdatedAt)
	line("closed", m.ClosedAt)
	for _, f := range m.Extra {
		line(printable(f.Key), printable(extraText(f.Value)))
	}
	line("file", r.Path)
	if m.Description != "" {
		fmt.Fprintln(env.Stdout)
		for _, l := range strings.Split(strings.TrimRight(m.Description, "\n"), "\n") {
			fmt.Fprintf(env.Stdout, "  %s\n", printable(l))
		}
	}
}

// extraText renders an unknown key's value for people: strings as they
// are, anything else as JSON.
func extraText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v) // a YAML map with non-string keys
}

// printable escapes control characters (other than tab and newline) in
// text shown to people, so a hostile document cannot send escape
// sequences to their terminal. JSON and YAML output stay exact.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r < 0xa0)
}
