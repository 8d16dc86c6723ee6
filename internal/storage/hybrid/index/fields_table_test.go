package index

import (
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// TestSchemaHasFieldColumns checks every Column the field table names is
// a column of the index's milestones table, so a field given a column in
// the table without a schema change fails here.
func TestSchemaHasFieldColumns(t *testing.T) {
	start := strings.Index(schema, "CREATE TABLE milestones (")
	if start < 0 {
		t.Fatal("no milestones table in the schema")
	}
	body := schema[start:]
	body = body[:strings.Index(body, ");")]
	cols := map[string]bool{}
	for _, line := range strings.Split(body, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			cols[f[0]] = true
		}
	}
	n := 0
	for _, f := range milestone.Fields {
		if f.Column == "" {
			continue
		}
		n++
		if !cols[f.Column] {
			t.Errorf("%s: column %q is not in the index schema (%v)", f.Key, f.Column, cols)
		}
	}
	if n == 0 {
		t.Fatal("the field table names no column")
	}
}
