package milestone

import (
	"reflect"
	"testing"
)

// FromJSON splits a valid object itself; it must decode exactly what
// encoding/json's tokens decode, and leave invalid input to them.
func TestFromJSONSplitMatchesDecoder(t *testing.T) {
	inputs := []string{
		`{"id":"a","title":"T"}`,
		" \n{ \"id\" : \"a\" ,\t\"title\" : \"T \\\" } ] , \" , \"labels\" : [ \"x\" , \"y,]\" ] , \"progress\" : 40 }\r\n",
		`{"title":"T","x-n":{"a":[1,2.5,{"b":null}],"c":"}]"},"x-t":true,"x-f":false,"x-z":null,"x-e":1e3,"x-neg":-0.5}`,
		`{"title":"T","x-\u00e9t\u00e9":"summer","x-esc\"aped":"q","x-uni\u2028":"s"}`,
		"{\"title\":\"caf\u00e9\",\"x-caf\u00e9\":\"\u00e9\"}",
		`{"title":"a","title":"b","x-d":1,"x-d":2}`,
		`{"id":"a","title":"T","path":".milestones/active/a.yaml","closed_at":null,"depends_on":[]}`,
		`{}`,
		`{"title":"T","progress":"forty"}`,
		`{"title":"T","labels":"one"}`,
		`{"title":["no"]}`,
		`[{"title":"T"}]`,
		`"str"`,
		`{"title":"T",}`,
		`{"title":"T"`,
		`{"title":"T"} {"x":1}`,
		``,
		"{\"title\":\"bad \xff utf8\",\"x-\xfe\":\"k\"}",
	}
	for _, in := range inputs {
		got, gotErr := FromJSON([]byte(in), "path")
		want, wantErr := fromJSONStream([]byte(in), []string{"path"})
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Errorf("%q: err = %v, want %v", in, gotErr, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got  %#v\n want %#v", in, got, want)
		}
	}
}

func FuzzFromJSONSplit(f *testing.F) {
	f.Add(`{"id":"a","title":"T","x-n":{"a":[1,"]"]}}`)
	f.Add(`{"title":"\u00e9\"","labels":["a"],"progress":3}`)
	f.Fuzz(func(t *testing.T, in string) {
		got, gotErr := FromJSON([]byte(in))
		want, wantErr := fromJSONStream([]byte(in), nil)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: err = %v, want %v", in, gotErr, wantErr)
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got  %#v\n want %#v", in, got, want)
		}
	})
}
