package gitrepo

import (
	"fmt"
	"testing"
)

// TestFindEntry: an entry is found by name whatever sorts around it (a
// folder sorts as its name and "/"), and a name that is absent is not,
// in trees built by EditTree's encoder order.
func TestFindEntry(t *testing.T) {
	type ent struct {
		mode, name string
	}
	// In git order: "a-b" < "a.yaml" < "a/" (folder a) < "a0" ...
	ents := []ent{{"100644", " lead"}, {"100644", "a-b"}, {"100755", "a.yaml"}, {"40000", "a"}, {"120000", "a0"},
		{"160000", "b"}, {"40000", "b.d"}, {"100644", "b0 m-1.yaml"}, {"100644", "m-1.yaml"}, {"100644", "m-10.yaml"}, {"100644", "z"}}
	var data []byte
	for i, e := range ents {
		id := fmt.Sprintf("%020d", i)
		data = append(data, e.mode+" "+e.name+"\x00"+id...)
	}
	for i, e := range ents {
		got, err := findEntry(data, e.name)
		var mode uint32
		fmt.Sscanf(e.mode, "%o", &mode)
		if err != nil || !got.found || got.mode != canonMode(mode) || string(got.id[:]) != fmt.Sprintf("%020d", i) {
			t.Errorf("findEntry(%q) = %+v, %v", e.name, got, err)
		}
	}
	for _, name := range []string{"", "a-", "a.y", "b.", "m-1", "m-1.yam", "m-100.yaml", "zz", "0", "lead"} {
		if got, err := findEntry(data, name); err != nil || got.found {
			t.Errorf("findEntry(%q) = %+v, %v; want absent", name, got, err)
		}
	}
	if _, err := findEntry([]byte("100644 x\x00short"), "y"); err == nil {
		t.Error("a cut entry is not an error")
	}
}
