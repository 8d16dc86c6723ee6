package semdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/git-milestone/git-milestone/internal/merge"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// RenderOptions shape the text and Markdown renderings.
type RenderOptions struct {
	Range string // what was compared, for the summary ("HEAD~1..HEAD"); may be empty
	Color bool   // ANSI colours (text only)
	// MaxDescriptionLines bounds the changed description lines shown per
	// milestone; 0 means 20.
	MaxDescriptionLines int
}

// hidden fields are left out of text and Markdown (they change with every
// edit and say nothing to a reviewer); JSON has them.
var hidden = map[string]bool{milestone.KeyUpdatedAt: true}

// Summary is the one-line summary: "3 milestones changed: 1 added, 2 closed",
// or "No milestone changes".
func Summary(entries []Entry) string {
	if len(entries) == 0 {
		return "No milestone changes"
	}
	counts := map[Kind]int{}
	for _, e := range entries {
		counts[e.Kind]++
	}
	var parts []string
	for _, k := range Kinds {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	noun := "milestones"
	if len(entries) == 1 {
		noun = "milestone"
	}
	return fmt.Sprintf("%d %s changed: %s", len(entries), noun, strings.Join(parts, ", "))
}

// WriteJSON writes the entries as the JSON array of SPEC section 4,
// [{"id", "kind", "changes": [{"field", "old", "new"}]}] (plus extra keys),
// one entry per line.
func WriteJSON(w io.Writer, entries []Entry) error { return writeLines(w, entries) }

// WriteLogJSON writes log entries as a JSON array, one entry per line:
// {"commit", "author", "email", "date", "subject", "id", "kind", "changes", ...}.
func WriteLogJSON(w io.Writer, entries []LogEntry) error { return writeLines(w, entries) }

// writeLines writes a JSON array with one element per line.
func writeLines[T any](w io.Writer, items []T) error {
	var b bytes.Buffer
	b.WriteString("[")
	for i, it := range items {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		var one bytes.Buffer
		enc := json.NewEncoder(&one)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(it); err != nil {
			return err
		}
		b.Write(bytes.TrimRight(one.Bytes(), "\n"))
	}
	if len(items) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
)

func kindColor(k Kind) string {
	switch k {
	case Added:
		return ansiGreen
	case Removed:
		return ansiRed
	case Closed:
		return ansiBlue
	case Reopened, Renamed:
		return ansiCyan
	}
	return ansiYellow
}

// WriteText writes the entries for a terminal: a summary line, then per
// milestone its kind, id and title and one line per changed field.
func WriteText(w io.Writer, entries []Entry, opt RenderOptions) error {
	paint := func(code, s string) string {
		if opt.Color && code != "" {
			return code + s + ansiReset
		}
		return s
	}
	var b strings.Builder
	sum := Summary(entries)
	if opt.Range != "" {
		sum += " (" + opt.Range + ")"
	}
	b.WriteString(paint(ansiBold, sum) + "\n")
	for _, e := range entries {
		b.WriteString("\n")
		id := e.ID
		if e.OldID != "" {
			id = e.OldID + " → " + e.ID
		}
		fmt.Fprintf(&b, "%s %s  %s\n", paint(kindColor(e.Kind), fmt.Sprintf("%-8s", e.Kind)), paint(ansiBold, id), e.Title)
		for _, c := range e.Changes {
			if hidden[c.Field] || c.Field == "id" {
				continue
			}
			if c.Field == milestone.KeyDescription {
				writeDescriptionText(&b, c, opt, paint)
				continue
			}
			fmt.Fprintf(&b, "    %-12s %s\n", c.Field, changeText(c, e.Kind, func(old, new string) string {
				return paint(ansiRed, old) + " → " + paint(ansiGreen, new)
			}))
		}
		if e.OldPath != "" && e.Path != "" && e.Kind != Renamed && e.Kind != Closed && e.Kind != Reopened {
			fmt.Fprintf(&b, "    %-12s %s → %s\n", "file", e.OldPath, e.Path)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// changeText renders one field change: "old → new (slipped 3 days)", or just
// the value for an added or removed milestone.
func changeText(c Change, k Kind, arrow func(old, new string) string) string {
	switch {
	case k == Added:
		return show(c.New)
	case k == Removed:
		return show(c.Old)
	}
	s := arrow(show(c.Old), show(c.New))
	if len(c.Added)+len(c.Removed) > 0 {
		var parts []string
		for _, a := range c.Added {
			parts = append(parts, "+"+a)
		}
		for _, r := range c.Removed {
			parts = append(parts, "-"+r)
		}
		s += " (" + strings.Join(parts, " ") + ")"
	}
	if c.Days != nil {
		s += " (" + slip(c.Field, *c.Days) + ")"
	}
	return s
}

// slip words a date move: "slipped 26 days", "3 days earlier".
func slip(field string, days int) string {
	unit := func(n int) string {
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(n) + " days"
	}
	switch {
	case days == 0:
		return "same day"
	case field == milestone.KeyDue && days > 0:
		return "slipped " + unit(days)
	case days > 0:
		return unit(days) + " later"
	}
	return unit(-days) + " earlier"
}

// show renders a value on one line: "—" when absent.
func show(v any) string {
	switch t := v.(type) {
	case nil:
		return "—"
	case string:
		if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)-1 {
			return fmt.Sprintf("%s… (%d lines)", t[:i], strings.Count(strings.TrimRight(t, "\n"), "\n")+1)
		}
		return strings.TrimRight(t, "\n")
	case []string:
		return "[" + strings.Join(t, ", ") + "]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// descriptionDelta returns the removed and added lines between two
// descriptions.
func descriptionDelta(c Change) (lines []string, added, removed int) {
	old, _ := c.Old.(string)
	new, _ := c.New.(string)
	a, b := merge.SplitLines([]byte(old)), merge.SplitLines([]byte(new))
	for _, h := range merge.DiffLines(a, b) {
		for _, l := range a[h.A0:h.A1] {
			lines = append(lines, "-"+strings.TrimRight(l, "\r\n"))
			removed++
		}
		for _, l := range b[h.B0:h.B1] {
			lines = append(lines, "+"+strings.TrimRight(l, "\r\n"))
			added++
		}
	}
	return lines, added, removed
}

func writeDescriptionText(b *strings.Builder, c Change, opt RenderOptions, paint func(code, s string) string) {
	lines, added, removed := descriptionDelta(c)
	fmt.Fprintf(b, "    %-12s %s\n", c.Field, fmt.Sprintf("+%d -%d lines", added, removed))
	limit := opt.MaxDescriptionLines
	if limit <= 0 {
		limit = 20
	}
	for i, l := range lines {
		if i == limit {
			fmt.Fprintf(b, "      … %d more\n", len(lines)-limit)
			break
		}
		code := ansiGreen
		if strings.HasPrefix(l, "-") {
			code = ansiRed
		}
		fmt.Fprintf(b, "      %s\n", paint(code, l))
	}
}

// WriteMarkdown writes the entries for a pull-request comment: a heading
// and summary line, then per milestone a heading and a table of its field
// changes; documents that could not be read are listed at the end.
func WriteMarkdown(w io.Writer, entries []Entry, problems []Problem, opt RenderOptions) error {
	var b strings.Builder
	b.WriteString("### Milestone changes")
	if opt.Range != "" {
		b.WriteString(" (" + mdCode(opt.Range) + ")")
	}
	b.WriteString("\n\n**" + Summary(entries) + ".**\n")
	for _, e := range entries {
		title := ""
		if e.Title != "" {
			title = " — " + mdEscape(e.Title)
		}
		id := mdCode(e.ID)
		if e.OldID != "" {
			id = mdCode(e.OldID) + " → " + mdCode(e.ID)
		}
		fmt.Fprintf(&b, "\n#### %s %s%s\n\n", kindLabel(e.Kind), id, title)
		var rows []string
		var desc *Change
		for i, c := range e.Changes {
			switch {
			case hidden[c.Field] || c.Field == "id":
				continue
			case c.Field == milestone.KeyDescription && e.Kind != Added && e.Kind != Removed:
				desc = &e.Changes[i]
				_, added, removed := descriptionDelta(c)
				rows = append(rows, fmt.Sprintf("| `description` | +%d −%d lines (below) |", added, removed))
				continue
			}
			rows = append(rows, "| "+mdCode(c.Field)+" | "+changeText(c, e.Kind, func(old, new string) string {
				return mdEscape(old) + " → " + mdEscape(new)
			})+" |")
		}
		if len(rows) == 0 {
			if e.OldPath != "" && e.Path != "" {
				fmt.Fprintf(&b, "Moved from %s to %s.\n", mdCode(e.OldPath), mdCode(e.Path))
			} else {
				b.WriteString("Comments or layout only; no field changed.\n")
			}
			continue
		}
		header := "| Field | Change |\n|---|---|\n"
		if e.Kind == Added || e.Kind == Removed {
			header = "| Field | Value |\n|---|---|\n"
		}
		b.WriteString(header + strings.Join(rows, "\n") + "\n")
		if desc != nil {
			lines, _, _ := descriptionDelta(*desc)
			fence := "```"
			for strings.Contains(strings.Join(lines, "\n"), fence) {
				fence += "`"
			}
			fmt.Fprintf(&b, "\n<details><summary>description</summary>\n\n%sdiff\n%s\n%s\n\n</details>\n", fence, strings.Join(lines, "\n"), fence)
		}
	}
	if len(problems) > 0 {
		b.WriteString("\n**Could not be read** (not compared):\n\n")
		for _, p := range problems {
			b.WriteString("- " + mdEscape(p.Error()) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func kindLabel(k Kind) string {
	s := string(k)
	return strings.ToUpper(s[:1]) + s[1:] + ":"
}

// mdEscape makes text safe inside a Markdown table cell or heading.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", "<br>", "\r", "", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)
	return r.Replace(s)
}

// mdCode wraps s in an inline code span.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + s + fence
}
