package cli

import (
	"reflect"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// TestEditFlagsFollowFieldTable checks every one-string field the table
// gives a flag has that flag among the edit flags, and that an enum's flag
// completes to its vocabulary.
func TestEditFlagsFollowFieldTable(t *testing.T) {
	names := map[string]bool{}
	for _, f := range editFlags() {
		for _, n := range f.Names() {
			names[n] = true
		}
	}
	for i := range milestone.Fields {
		f := &milestone.Fields[i]
		if !textFlag(f) {
			continue
		}
		if !names[f.Flag] {
			t.Errorf("%s: no --%s among the edit flags", f.Key, f.Flag)
		}
		if f.Kind != milestone.KindEnum {
			continue
		}
		flag := findFlag(editFlags(), "--"+f.Flag)
		if flag == nil {
			t.Fatalf("--%s not found", f.Flag)
		}
		if got := flagValues(flag, nil); !reflect.DeepEqual(got, f.Values) {
			t.Errorf("--%s completes to %v, want %v", f.Flag, got, f.Values)
		}
	}
}
