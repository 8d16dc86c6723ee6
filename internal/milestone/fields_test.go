package milestone

import (
	"reflect"
	"strings"
	"testing"
)

// TestFieldsTableIsComplete checks every spec has what its kind needs, so a
// field added to the table without its accessors or checks fails here.
func TestFieldsTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields {
		if f.Key == "" || seen[f.Key] {
			t.Fatalf("empty or duplicate key %q", f.Key)
		}
		seen[f.Key] = true
		switch f.Kind {
		case KindList:
			if f.list == nil || f.Entry == nil {
				t.Errorf("%s: a list needs its accessor and an entry check", f.Key)
			}
		case KindInt:
			if f.num == nil {
				t.Errorf("%s: an int needs its accessor", f.Key)
			}
		default:
			if f.text == nil {
				t.Errorf("%s: a text field needs its accessor", f.Key)
			}
			if f.Kind != KindText && f.Check == nil {
				t.Errorf("%s: an enum, date or timestamp needs a check", f.Key)
			}
		}
		if (f.Kind == KindEnum) != (len(f.Values) > 0) {
			t.Errorf("%s: Values is for enums only", f.Key)
		}
	}
	if !reflect.DeepEqual(Keys, fieldKeys()) || len(Keys) != len(Fields) {
		t.Fatalf("Keys %v do not follow Fields", Keys)
	}
}

// TestFieldsGetSetRoundTrip sets each field through its spec and reads it
// back through Get, and checks an invalid value of each checked field is
// refused by Validate with the field named.
func TestFieldsGetSetRoundTrip(t *testing.T) {
	good := map[string]string{KeyTitle: "A title", KeyStatus: "active", KeyPriority: "high", KeyOwner: "ann",
		KeyStart: "2026-01-02", KeyDue: "2026-02-03", KeyDescription: "two\nlines",
		KeyCreatedAt: "2026-01-01T00:00:00Z", KeyUpdatedAt: "2026-01-02T00:00:00Z", KeyClosedAt: "2026-01-03T00:00:00Z"}
	bad := map[string]string{KeyTitle: "", KeyStatus: "done", KeyPriority: "urgent", KeyOwner: "a\nb",
		KeyStart: "2026-13-01", KeyDue: "tomorrow", KeyCreatedAt: "yesterday", KeyUpdatedAt: "2026-01-02", KeyClosedAt: "x"}
	for _, f := range Fields {
		m := Milestone{Title: "t", Status: Planned, Priority: Medium}
		switch f.Kind {
		case KindList:
			f.SetList(&m, []string{"a", "b"})
			if v, ok := m.Get(f.Key); !ok || !reflect.DeepEqual(v, []string{"a", "b"}) {
				t.Errorf("%s: Get = %v, %v", f.Key, v, ok)
			}
			f.SetList(&m, []string{"bad entry\n"})
		case KindInt:
			if err := f.SetInt(&m, 40); err != nil {
				t.Fatal(err)
			}
			if v, ok := m.Get(f.Key); !ok || v != 40 {
				t.Errorf("%s: Get = %v, %v", f.Key, v, ok)
			}
			if err := f.SetInt(&m, 101); err == nil {
				t.Errorf("%s: 101 accepted", f.Key)
			}
		default:
			if err := f.SetText(&m, good[f.Key]); err != nil {
				t.Fatalf("%s: %v", f.Key, err)
			}
			if v, ok := m.Get(f.Key); !ok || v != good[f.Key] {
				t.Errorf("%s: Get = %v, %v", f.Key, v, ok)
			}
			if err := m.Validate(); err != nil {
				t.Fatalf("%s: valid value refused: %v", f.Key, err)
			}
			b, checked := bad[f.Key]
			if !checked {
				continue
			}
			*f.text(&m) = b
		}
		err := m.Validate()
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != f.Key || !strings.Contains(err.Error(), f.Key) {
			t.Errorf("%s: invalid value: Validate = %v", f.Key, err)
		}
	}
}

// TestIsInstantKeyFollowsKind checks timestamps are the instant keys.
func TestIsInstantKeyFollowsKind(t *testing.T) {
	for _, f := range Fields {
		if IsInstantKey(f.Key) != (f.Kind == KindTimestamp) {
			t.Errorf("%s: IsInstantKey = %v", f.Key, IsInstantKey(f.Key))
		}
	}
	if IsInstantKey("deadline") {
		t.Error("an unknown key is no instant")
	}
}

// TestSetKnownMirrorsGet stores each field's value from one milestone into
// another and clears it again.
func TestSetKnownMirrorsGet(t *testing.T) {
	p := 30
	src := Milestone{Title: "T", Status: Active, Priority: High, Owner: "o", Start: "2026-01-01", Due: "2026-01-02",
		Labels: []string{"x"}, DependsOn: []string{"a"}, Progress: &p, Description: "d",
		CreatedAt: "2026-01-01T00:00:00Z", UpdatedAt: "2026-01-01T00:00:01Z", ClosedAt: "2026-01-01T00:00:02Z"}
	var dst Milestone
	for _, k := range Keys {
		v, ok := src.Get(k)
		if !ok {
			t.Fatalf("%s absent in the source", k)
		}
		if !dst.SetKnown(k, v, true) {
			t.Fatalf("%s: not known", k)
		}
	}
	if !reflect.DeepEqual(src, dst) {
		t.Fatalf("copied %+v, want %+v", dst, src)
	}
	src.Labels[0] = "changed"
	if dst.Labels[0] != "x" {
		t.Error("a list is shared, not copied")
	}
	for _, k := range Keys {
		dst.SetKnown(k, nil, false)
		if _, ok := dst.Get(k); ok {
			t.Errorf("%s still present after clearing", k)
		}
	}
	if dst.SetKnown("risk", "low", true) || len(dst.Extra) != 0 {
		t.Error("an unknown key was stored")
	}
}
