package format

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

func TestEncodeCanonical(t *testing.T) {
	m := milestone.Milestone{
		ID: "beta", Title: "Public beta", Status: milestone.Active, Priority: milestone.High,
		Owner: "ana@example.com", Start: "2026-11-01", Due: "2026-12-15",
		Labels: []string{"release", "web"}, DependsOn: []string{"api-freeze"}, Progress: intp(40),
		Description: "Free text (Markdown).\n",
		CreatedAt:   "2026-11-26T07:00:00Z", UpdatedAt: "2026-11-26T07:00:00Z", ClosedAt: "2026-12-14T10:00:00Z",
		Extra: []milestone.Field{
			{Key: "x-whatever", Value: "kept as written"},
			{Key: "x-count", Value: 3},
			{Key: "x-list", Value: []any{"a", 1, true, nil}},
			{Key: "x-map", Value: map[string]any{"b": []any{"x", map[string]any{"k": 1.0}}, "a": "1"}},
			{Key: "x-empty", Value: nil},
			{Key: "title", Value: "a known key in Extra is skipped"},
			{Key: "x-count", Value: "a repeated key is skipped"},
		},
	}
	want := `title: Public beta
status: active
priority: high
owner: ana@example.com
start: 2026-11-01
due: 2026-12-15
labels: [release, web]
depends_on: [api-freeze]
progress: 40
description: |
  Free text (Markdown).
created_at: 2026-11-26T07:00:00Z
updated_at: 2026-11-26T07:00:00Z
closed_at: 2026-12-14T10:00:00Z
x-whatever: kept as written
x-count: 3
x-list: [a, 1, true, null]
x-map:
  a: "1"
  b:
    - x
    - k: 1.0
x-empty: null
`
	if got := string(Encode(m)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	min := milestone.Milestone{Title: "Beta"}
	if got := string(Encode(min)); got != "title: Beta\n" {
		t.Errorf("minimal: got %q", got)
	}
}

// TestEncodeQuoting checks that strings are quoted exactly when a plain
// scalar would read back as something else.
func TestEncodeQuoting(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Public beta", "Public beta"},
		{"ana@example.com", "ana@example.com"},
		{"$HOME", "$HOME"},
		{"it's", "it's"},
		{"a:b", "a:b"},
		{"émoji 🎉 日本語", "émoji 🎉 日本語"},
		{"123", `"123"`},
		{"1.5", `"1.5"`},
		{"0x1F", `"0x1F"`},
		{"1_000", `"1_000"`},
		{"1e3", `"1e3"`},
		{".inf", `".inf"`},
		{"true", `"true"`},
		{"False", `"False"`},
		{"yes", `"yes"`},
		{"No", `"No"`},
		{"on", `"on"`},
		{"y", `"y"`},
		{"null", `"null"`},
		{"~", `"~"`},
		{"2026-01-01", `"2026-01-01"`},
		{"2026-01-01T10:00:00Z", `"2026-01-01T10:00:00Z"`},
		{"12:30", `"12:30"`},
		{"- item", `'- item'`},
		{"a: b", `'a: b'`},
		{"a #b", `'a #b'`},
		{"#tag", `'#tag'`},
		{"*alias", `'*alias'`},
		{"&anchor", `'&anchor'`},
		{"!tag", `'!tag'`},
		{"[a, b]", `'[a, b]'`},
		{"{a: b}", `'{a: b}'`},
		{"@at", `'@at'`},
		{"`tick`", "'`tick`'"},
		{"%pct", `'%pct'`},
		{" lead", `' lead'`},
		{"trail ", `'trail '`},
		{`"quoted"`, `'"quoted"'`},
		{`'); DROP TABLE milestones; --`, `'''); DROP TABLE milestones; --'`},
		{"", `""`},
		{"tab\there", `"tab\there"`},
		{"NUL\x00byte", `"NUL\0byte"`},
		{"esc\x1b[31m", `"esc\e[31m"`},
		{"ls\u2028ps\u2029nel\u0085", `"ls\Lps\Pnel\N"`},
		{"bom\ufeff", `"bom\uFEFF"`},
		{"cr\r", `"cr\r"`},
		{"bad\xffutf8", "!!binary YmFk/3V0Zjg="},
	} {
		got := string(Encode(milestone.Milestone{Title: "t", Owner: tc.in}))
		want := "title: t\nowner: " + tc.want + "\n"
		if tc.in == "" {
			want = "title: t\n" // empty owner is omitted
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", tc.in, got, want)
		}
	}
	// Dates and timestamps stay plain in their own fields.
	got := string(Encode(milestone.Milestone{Title: "2026-01-01", Due: "2026-01-01", CreatedAt: "2026-01-01T10:00:00+02:00"}))
	if want := "title: \"2026-01-01\"\ndue: 2026-01-01\ncreated_at: 2026-01-01T10:00:00+02:00\n"; got != want {
		t.Errorf("dates: got %q, want %q", got, want)
	}
	got = string(Encode(milestone.Milestone{Title: "t", Labels: []string{"a b", "c,d", "[e]", "f:g", "yes", "7", "#h"}}))
	if want := "title: t\nlabels: [a b, 'c,d', '[e]', 'f:g', \"yes\", \"7\", '#h']\n"; got != want {
		t.Errorf("labels: got %q, want %q", got, want)
	}
}

func TestEncodeLiteral(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"one\ntwo\n", "description: |\n  one\n  two\n"},
		{"one\ntwo", "description: |-\n  one\n  two\n"},
		{"one\ntwo\n\n", "description: |+\n  one\n  two\n\n"},
		{"\n", "description: |+\n\n"},
		{"\n\n", "description: |+\n\n\n"},
		{"\nlead\n", "description: |\n\n  lead\n"},
		{"  indented first\nsecond\n", "description: |2\n    indented first\n  second\n"},
		{"\tTab first\n", "description: |2\n  \tTab first\n"},
		{"\n  blank then indented\n", "description: |2\n\n    blank then indented\n"},
		{"trailing  \nspaces \n", "description: |\n  trailing  \n  spaces \n"},
		{"a\n  \nb\n", "description: |\n  a\n    \n  b\n"},
		{"# not a comment\n---\n...\n", "description: |\n  # not a comment\n  ---\n  ...\n"},
		{"has\x00nul\n", `description: "has\0nul\n"` + "\n"},
		{"cr\r\nlf\n", `description: "cr\r\nlf\n"` + "\n"},
	} {
		got := string(Encode(milestone.Milestone{Title: "t", Description: tc.in}))
		if got != "title: t\n"+tc.want {
			t.Errorf("%q: got\n%s\nwant\n%s", tc.in, got, "title: t\n"+tc.want)
		}
	}
}

// hostile is text that must be stored exactly.
var hostile = []string{
	`"quoted"`, `'single'`, `'); DROP TABLE milestones; --`, `Robert'); DROP TABLE students;--`, "$HOME", "${HOME}", "`rm -rf /`",
	"a: b", "a #b", "#c", "- x", "? x", ": x", "[a, b]", "{a: b}", "*alias", "&anchor", "!tag", "!!str x", "|", ">", "%", "@", "`",
	"yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "", " ", "  lead", "trail  ", "123", "-7", "0x1F", "0o17", "017",
	"1e3", "1_000", ".5", ".inf", "-.inf", ".nan", "2026-01-01", "2026-01-01T00:00:00Z", "12:30:00", "é", "日本語", "🎉", "\u00a0nbsp",
	"zero\u200bwidth", "rtl\u202eevil", "tab\there", "\ttab lead", "NUL\x00byte", "bell\a", "esc\x1b[31m", "del\x7f", "nel\u0085",
	"ls\u2028", "ps\u2029", "bom\ufeff", "\ufeffbom lead", "cr\rlf", "line\nbreak", "\n", "\n\n", "a\n", "a\n\n", " a\n b", "\ta\nb",
	"trailing  \nspaces \n", "  \n", "x\n  \n", "x\n\t\n", "\n\n  x\n\n", "---", "...", "--- x", "a\r\nb", "\\", "\\n", "\"", "'", "''",
	"bad\xff\xfeutf8", "\xc3", "<<", "=", "key: value\nother: value\n", "- a\n- b\n", "<<<<<<< HEAD\n=======\n>>>>>>> x\n",
	"  <<<<<<< indented\n", "\u0085\u2028\u2029", strings.Repeat("long line ", 10000) + "\n" + strings.Repeat("x", 100000),
}

func TestEncodeRoundTripHostile(t *testing.T) {
	for _, s := range hostile {
		m := milestone.Milestone{ID: "beta", Title: "t", Status: milestone.Planned, Priority: milestone.Medium,
			Description: s, Extra: []milestone.Field{{Key: "x-text", Value: s}, {Key: "x-list", Value: []any{s, s}}}}
		if utf8Valid(s) { // (a map key of invalid UTF-8 reads back as !!binary, in a map[any]any)
			m.Extra = append(m.Extra, milestone.Field{Key: "x-map", Value: map[string]any{s: s}})
		}
		if milestone.ValidateTitle(s) == nil {
			m.Title = s
		}
		if milestone.ValidateLabel("labels", s) == nil {
			m.Owner = s
			m.Labels = []string{s, "plain"}
		}
		if s != "" && utf8Valid(s) {
			m.Extra = append(m.Extra, milestone.Field{Key: s, Value: s}) // as a key too
		}
		checkRoundTrip(t, m)
	}
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// checkRoundTrip asserts Decode(Encode(m)) == m and that Encode is a fixed point.
func checkRoundTrip(t *testing.T, m milestone.Milestone) {
	t.Helper()
	m = normalized(m)
	enc := Encode(m)
	got, err := Decode(betaPath, enc)
	if err != nil {
		t.Fatalf("%q: decode of encoded document: %v\n%s", m.Description, err, enc)
	}
	want := normalized(m)
	want.ID = "beta"
	if same, field := equalMilestones(&got, &want); !same {
		t.Fatalf("%q: field %s differs after the round trip\ngot  %#v\nwant %#v\ndocument:\n%s", m.Description, field, got, want, enc)
	}
	for i := range got.Extra {
		if got.Extra[i].Key != want.Extra[i].Key {
			t.Fatalf("Extra order changed: %v", got.Extra)
		}
	}
	if again := Encode(got); !bytes.Equal(again, enc) {
		t.Fatalf("Encode is not a fixed point:\n%s\n---\n%s", enc, again)
	}
}

func TestEncodeExtraValues(t *testing.T) {
	for _, v := range []any{
		nil, true, false, 0, -5, int64(math.MaxInt64), uint64(math.MaxUint64), 1.0, -0.5, 1e300, math.Inf(1), math.NaN(),
		"text", []any{}, map[string]any{}, []any{[]any{1, 2}, map[string]any{"a": nil}},
		map[string]any{"multi": "line\ntext\n", "tab": "a\tb"}, map[any]any{1: "one", true: "yes", "s": 2.5},
		time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600)),
	} {
		checkRoundTrip(t, milestone.Milestone{Title: "t", Extra: []milestone.Field{{Key: "x", Value: v}}})
	}
	// Values from JSON (the database backends) read back as the numbers they spell.
	m := milestone.Milestone{Title: "t", Extra: []milestone.Field{{Key: "num", Value: json.Number("42")}, {Key: "flt", Value: json.Number("1.5")}, {Key: "n", Value: json.Number("-1")}}}
	if got := string(Encode(m)); got != "title: t\nnum: 42\nflt: 1.5\n'n': -1\n" {
		t.Errorf("json.Number: got %q", got)
	}
}
