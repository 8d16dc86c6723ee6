package format

import (
	"fmt"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

func TestSmoke(t *testing.T) {
	src := []byte(`# Comments, key order and unknown keys written by people survive every tool update.
title: Public beta            # required, one line, 1-200 chars
status: active                # planned | active | blocked | completed | cancelled (default planned)
priority: high                # low | medium | high | critical (default medium)
owner: ana@example.com
start: 2026-11-01             # dates: YYYY-MM-DD
due: 2026-12-15
labels: [release, web]
depends_on: [api-freeze]      # ids; cycles and unknown ids are reported by ` + "`fsck`" + `
progress: 40                  # 0-100
description: |
  Free text (Markdown).
created_at: 2026-11-26T07:00:00Z   # RFC 3339, UTC, set by the tool
updated_at: 2026-11-26T07:00:00Z
closed_at: 2026-12-14T10:00:00Z    # set when closed
x-whatever: kept as written
`)
	m, err := Decode(".milestones/active/beta.yaml", src)
	fmt.Printf("%+v %v\n", m, err)
	fmt.Printf("%s", Encode(m))
	m.Status = "blocked"
	m.Labels = append(m.Labels, "x y", "a,b")
	m.Description += "More.\n"
	m.Owner = ""
	m.Extra[0].Value = "changed: yes"
	m.Extra = append(m.Extra, milestone.Field{"new", []any{1, "a"}})
	out, how, err := rewrite(".milestones/active/beta.yaml", src, m)
	fmt.Printf("%s\n%s %v\n", out, how, err)
}
