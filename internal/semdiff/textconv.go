package semdiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/git-milestone/git-milestone/internal/format"
	"github.com/git-milestone/git-milestone/internal/milestone"
)

// Textconv renders a milestone document for `git diff` (the diff=milestone
// attribute): one field per line in canonical key order, list items one
// per line, unknown keys as one-line JSON, and the description last,
// indented, so that a change shows as the fields it touched whatever the
// layout, quoting or comments of the file. The same milestone always
// renders the same text. A document that does not decode is returned as
// is, after a line that says why.
func Textconv(path string, src []byte) []byte {
	m, err := format.Decode(path, src)
	if err != nil {
		var b bytes.Buffer
		fmt.Fprintf(&b, "# git-milestone: not a valid milestone document: %s\n", oneLine(err.Error()))
		b.Write(src)
		return b.Bytes()
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s: %s\n", k, v) }
	for _, f := range m.Fields() {
		switch v := f.Value.(type) {
		case []string:
			b.WriteString(f.Key + ":\n")
			for _, s := range v {
				b.WriteString("  - " + oneLine(s) + "\n")
			}
		case string:
			if f.Key == milestone.KeyDescription {
				continue
			}
			line(f.Key, oneLine(v))
		case int:
			line(f.Key, fmt.Sprint(v))
		default:
			j, err := json.Marshal(jsonValue(v, true))
			if err != nil {
				j = []byte(fmt.Sprint(v))
			}
			line(f.Key, string(j))
		}
	}
	if m.Description != "" {
		b.WriteString("description:\n")
		for _, l := range strings.Split(strings.TrimSuffix(m.Description, "\n"), "\n") {
			if l == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("  " + l + "\n")
		}
	}
	return []byte(b.String())
}

// oneLine keeps a value on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}
