package depgraph

import (
	"fmt"
	"io"
	"strings"
)

// WriteDOT renders v as a Graphviz digraph. Closed milestones and the
// edges from closed dependencies are grey and dashed; ids that name no
// milestone are red and dotted. Every text is quoted and escaped.
func WriteDOT(w io.Writer, v View) error {
	var b strings.Builder
	b.WriteString("digraph milestones {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n")
	for _, n := range v.Nodes {
		label := n.ID
		if n.Title != "" {
			label += "\n" + n.Title
		}
		if n.Due != "" {
			label += "\ndue " + n.Due
		}
		attrs := "label=" + dotQuote(label)
		switch {
		case n.Missing:
			label = n.ID + "\n(no such milestone)"
			attrs = "label=" + dotQuote(label) + ", style=\"rounded,dotted\", color=red, fontcolor=red"
		case n.Closed:
			attrs += ", style=\"rounded,dashed\", color=gray, fontcolor=gray"
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(n.ID), attrs)
	}
	for _, e := range v.Edges {
		fmt.Fprintf(&b, "  %s -> %s", dotQuote(e.From), dotQuote(e.To))
		switch {
		case e.Missing:
			b.WriteString(" [style=dotted, color=red]")
		case e.Closed:
			b.WriteString(" [style=dashed, color=gray]")
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote makes a DOT double-quoted string: backslashes and quotes
// escaped, line breaks as \n, other control characters dropped.
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WriteMermaid renders v as a Mermaid flowchart (for Markdown files and
// pull requests). Nodes get generated names (n0, n1, ...) so no id clashes
// with Mermaid keywords; labels escape quotes and markup as entities.
// Closed milestones use class "closed" and dashed edges, missing ones
// class "missing".
func WriteMermaid(w io.Writer, v View) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	name := make(map[string]string, len(v.Nodes))
	var closed, missing []string
	for i, n := range v.Nodes {
		name[n.ID] = fmt.Sprintf("n%d", i)
		label := mermaidText(n.ID)
		switch {
		case n.Missing:
			label += "<br/>(no such milestone)"
			missing = append(missing, name[n.ID])
		default:
			if n.Title != "" {
				label += "<br/>" + mermaidText(n.Title)
			}
			if n.Due != "" {
				label += "<br/>due " + n.Due
			}
			if n.Closed {
				closed = append(closed, name[n.ID])
			}
		}
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", name[n.ID], label)
	}
	for _, e := range v.Edges {
		arrow := "-->"
		if e.Closed || e.Missing {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", name[e.From], arrow, name[e.To])
	}
	b.WriteString("  classDef closed fill:#eeeeee,stroke:#999999,color:#777777,stroke-dasharray:5 5\n")
	b.WriteString("  classDef missing fill:#fff0f0,stroke:#cc0000,color:#cc0000,stroke-dasharray:2 2\n")
	if len(closed) > 0 {
		fmt.Fprintf(&b, "  class %s closed\n", strings.Join(closed, ","))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "  class %s missing\n", strings.Join(missing, ","))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '#':
			b.WriteString("#35;")
		case r == '<':
			b.WriteString("#lt;")
		case r == '>':
			b.WriteString("#gt;")
		case r == '&':
			b.WriteString("#amp;")
		case r == '`':
			b.WriteString("#96;")
		case r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
