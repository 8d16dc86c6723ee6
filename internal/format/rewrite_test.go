package format

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// specDoc is the example of SPEC section 3.
const specDoc = "# Comments, key order and unknown keys written by people survive every tool update.\n" +
	"title: Public beta            # required, one line, 1-200 chars\n" +
	"status: active                # planned | active | blocked | completed | cancelled (default planned)\n" +
	"priority: high                # low | medium | high | critical (default medium)\n" +
	"owner: ana@example.com\n" +
	"start: 2026-11-01             # dates: YYYY-MM-DD\n" +
	"due: 2026-12-15\n" +
	"labels: [release, web]\n" +
	"depends_on: [api-freeze]      # ids; cycles and unknown ids are reported by `fsck`\n" +
	"progress: 40                  # 0-100\n" +
	"description: |\n" +
	"  Free text (Markdown).\n" +
	"created_at: 2026-11-26T07:00:00Z   # RFC 3339, UTC, set by the tool\n" +
	"updated_at: 2026-11-26T07:00:00Z\n" +
	"closed_at: 2026-12-14T10:00:00Z    # set when closed\n" +
	"x-whatever: kept as written\n"

// techNotesDoc is the hand-edited file of tech-notes section 6, with a valid
// status (the notes use "open") and a block-style labels list added.
const techNotesDoc = `# Milestone: public beta
# (hand-edited; keep this header)
id: m-0042
title: "Public beta"   # shown on the roadmap
status: active
owner: alice
due: 2026-03-01

# Scope notes
description: |
  Ship the public beta.
    - indented line kept
  Second paragraph.
tags: [beta, launch]     # flow style
labels:
  - beta      # block style

  - launch
deps:
  - m-0040   # infra
  - m-0041
links:
    spec:   https://example.com/spec     # odd indentation (4 spaces)
    'quoted key': yes
anchors:
  base: &base {a: 1}
  derived: *base
empty:
weird_number: 0012
`

// lineDiff returns the lines removed ("-") and added ("+") from a to b, in
// order, by a longest-common-subsequence line diff.
func lineDiff(a, b string) []string {
	lines := func(s string) []string {
		l := strings.SplitAfter(s, "\n")
		if l[len(l)-1] == "" {
			l = l[:len(l)-1]
		}
		return l
	}
	x, y := lines(a), lines(b)
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var d []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			d = append(d, "-"+strings.TrimSuffix(x[i], "\n"))
			i++
		default:
			d = append(d, "+"+strings.TrimSuffix(y[j], "\n"))
			j++
		}
	}
	return d
}

func TestRewrite(t *testing.T) {
	type tc struct {
		name   string
		src    string
		change func(m *milestone.Milestone)
		diff   []string
	}
	setExtra := func(key string, v any) func(m *milestone.Milestone) {
		return func(m *milestone.Milestone) {
			for i := range m.Extra {
				if m.Extra[i].Key == key {
					m.Extra[i].Value = v
					return
				}
			}
			m.Extra = append(m.Extra, milestone.Field{Key: key, Value: v})
		}
	}
	dropExtra := func(key string) func(m *milestone.Milestone) {
		return func(m *milestone.Milestone) {
			for i := range m.Extra {
				if m.Extra[i].Key == key {
					m.Extra = append(m.Extra[:i:i], m.Extra[i+1:]...)
					return
				}
			}
		}
	}
	cases := []tc{
		// The SPEC example.
		{"spec title", specDoc, func(m *milestone.Milestone) { m.Title = "Public beta 2" },
			[]string{"-title: Public beta            # required, one line, 1-200 chars", "+title: Public beta 2          # required, one line, 1-200 chars"}},
		{"spec title needing quotes", specDoc, func(m *milestone.Milestone) { m.Title = "Beta: the sequel #2" },
			[]string{"-title: Public beta            # required, one line, 1-200 chars", "+title: 'Beta: the sequel #2'  # required, one line, 1-200 chars"}},
		{"spec status", specDoc, func(m *milestone.Milestone) { m.Status = milestone.Blocked },
			[]string{"-status: active                # planned | active | blocked | completed | cancelled (default planned)",
				"+status: blocked               # planned | active | blocked | completed | cancelled (default planned)"}},
		{"spec priority", specDoc, func(m *milestone.Milestone) { m.Priority = milestone.Critical },
			[]string{"-priority: high                # low | medium | high | critical (default medium)",
				"+priority: critical            # low | medium | high | critical (default medium)"}},
		{"spec priority to default is written", specDoc, func(m *milestone.Milestone) { m.Priority = "" },
			[]string{"-priority: high                # low | medium | high | critical (default medium)",
				"+priority: medium              # low | medium | high | critical (default medium)"}},
		{"spec progress", specDoc, func(m *milestone.Milestone) { m.Progress = intp(100) },
			[]string{"-progress: 40                  # 0-100", "+progress: 100                 # 0-100"}},
		{"spec progress removed", specDoc, func(m *milestone.Milestone) { m.Progress = nil },
			[]string{"-progress: 40                  # 0-100"}},
		{"spec start", specDoc, func(m *milestone.Milestone) { m.Start = "2026-11-02" },
			[]string{"-start: 2026-11-01             # dates: YYYY-MM-DD", "+start: 2026-11-02             # dates: YYYY-MM-DD"}},
		{"spec labels flow", specDoc, func(m *milestone.Milestone) { m.Labels = append(m.Labels, "mobile", "q1, q2") },
			[]string{"-labels: [release, web]", "+labels: [release, web, mobile, 'q1, q2']"}},
		{"spec depends_on removed", specDoc, func(m *milestone.Milestone) { m.DependsOn = nil },
			[]string{"-depends_on: [api-freeze]      # ids; cycles and unknown ids are reported by `fsck`"}},
		{"spec description line added", specDoc, func(m *milestone.Milestone) { m.Description += "\nSecond paragraph.\n" },
			[]string{"+", "+  Second paragraph."}},
		{"spec description one line", specDoc, func(m *milestone.Milestone) { m.Description = "Short." },
			[]string{"-description: |", "-  Free text (Markdown).", "+description: Short."}},
		{"spec owner removed", specDoc, func(m *milestone.Milestone) { m.Owner = "" },
			[]string{"-owner: ana@example.com"}},
		{"spec owner hostile", specDoc, func(m *milestone.Milestone) { m.Owner = `'); DROP TABLE milestones; --` },
			[]string{"-owner: ana@example.com", `+owner: '''); DROP TABLE milestones; --'`}},
		{"spec unknown key changed", specDoc, setExtra("x-whatever", "changed"),
			[]string{"-x-whatever: kept as written", "+x-whatever: changed"}},
		{"spec unknown key to a list", specDoc, setExtra("x-whatever", []any{"a", 2}),
			[]string{"-x-whatever: kept as written", "+x-whatever: [a, 2]"}},
		{"spec unknown key to a mapping", specDoc, setExtra("x-whatever", map[string]any{"a": 1}),
			[]string{"-x-whatever: kept as written", "+x-whatever:", "+  a: 1"}},
		{"spec unknown key removed", specDoc, dropExtra("x-whatever"),
			[]string{"-x-whatever: kept as written"}},
		{"spec unknown key added", specDoc, setExtra("x-new", "yes"),
			[]string{`+x-new: "yes"`}},
		{"spec reopen", specDoc, func(m *milestone.Milestone) { m.Status = milestone.Active; m.ClosedAt = "" },
			[]string{"-closed_at: 2026-12-14T10:00:00Z    # set when closed"}},
		{"spec close", specDoc, func(m *milestone.Milestone) {
			m.Status = milestone.Completed
			m.Progress = intp(100)
			m.UpdatedAt = "2026-12-20T09:30:00Z"
			m.ClosedAt = "2026-12-20T09:30:00Z"
		}, []string{
			"-status: active                # planned | active | blocked | completed | cancelled (default planned)",
			"+status: completed             # planned | active | blocked | completed | cancelled (default planned)",
			"-progress: 40                  # 0-100", "+progress: 100                 # 0-100",
			"-updated_at: 2026-11-26T07:00:00Z", "-closed_at: 2026-12-14T10:00:00Z    # set when closed",
			"+updated_at: 2026-12-20T09:30:00Z", "+closed_at: 2026-12-20T09:30:00Z    # set when closed"}},

		// The hand-edited file of the tech notes.
		{"notes title keeps quotes", techNotesDoc, func(m *milestone.Milestone) { m.Title = "Public beta 2" },
			[]string{`-title: "Public beta"   # shown on the roadmap`, `+title: "Public beta 2" # shown on the roadmap`}},
		{"notes status", techNotesDoc, func(m *milestone.Milestone) { m.Status = milestone.Blocked },
			[]string{"-status: active", "+status: blocked"}},
		{"notes priority added", techNotesDoc, func(m *milestone.Milestone) { m.Priority = milestone.High },
			[]string{"+priority: high"}},
		{"notes progress added", techNotesDoc, func(m *milestone.Milestone) { m.Progress = intp(40) },
			[]string{"+progress: 40"}},
		{"notes label appended in block style", techNotesDoc, func(m *milestone.Milestone) { m.Labels = append(m.Labels, "web") },
			[]string{"+  - web"}},
		{"notes label prepended in block style", techNotesDoc, func(m *milestone.Milestone) { m.Labels = []string{"alpha", "beta", "launch"} },
			[]string{"+  - alpha"}},
		{"notes label inserted in block style", techNotesDoc, func(m *milestone.Milestone) { m.Labels = []string{"beta", "mid", "launch"} },
			[]string{"+  - mid"}},
		{"notes label removed in block style", techNotesDoc, func(m *milestone.Milestone) { m.Labels = []string{"launch"} },
			[]string{"-  - beta      # block style"}},
		{"notes label replaced in block style", techNotesDoc, func(m *milestone.Milestone) { m.Labels = []string{"beta", "yes"} },
			[]string{"-  - launch", `+  - "yes"`}},
		{"notes labels all removed", techNotesDoc, func(m *milestone.Milestone) { m.Labels = nil },
			[]string{"-labels:", "-  - beta      # block style", "-", "-  - launch"}},
		{"notes description line added", techNotesDoc, func(m *milestone.Milestone) { m.Description += "Third.\n" },
			[]string{"+  Third."}},
		{"notes description line changed", techNotesDoc, func(m *milestone.Milestone) {
			m.Description = strings.Replace(m.Description, "kept", "changed", 1)
		}, []string{"-    - indented line kept", "+    - indented line changed"}},
		{"notes description without final newline", techNotesDoc, func(m *milestone.Milestone) {
			m.Description = strings.TrimSuffix(m.Description, "\n")
		}, []string{"-description: |", "+description: |-"}},
		{"notes description removed keeps the comment above", techNotesDoc, func(m *milestone.Milestone) { m.Description = "" },
			[]string{"-description: |", "-  Ship the public beta.", "-    - indented line kept", "-  Second paragraph."}},
		{"notes owner removed", techNotesDoc, func(m *milestone.Milestone) { m.Owner = "" },
			[]string{"-owner: alice"}},
		{"notes due removed keeps blank line and comment", techNotesDoc, func(m *milestone.Milestone) { m.Due = "" },
			[]string{"-due: 2026-03-01"}},
		{"notes unknown key changed", techNotesDoc, setExtra("weird_number", 13),
			[]string{"-weird_number: 0012", "+weird_number: 13"}},
		{"notes unknown null key set", techNotesDoc, setExtra("empty", "now full"),
			[]string{"-empty:", "+empty: now full"}},
		{"notes unknown flow key changed", techNotesDoc, setExtra("tags", []any{"beta"}),
			[]string{"-tags: [beta, launch]     # flow style", "+tags: [beta]             # flow style"}},
		{"notes unknown nested key changed", techNotesDoc, setExtra("links", map[string]any{"spec": "https://example.com/v2"}),
			[]string{"-    spec:   https://example.com/spec     # odd indentation (4 spaces)", "-    'quoted key': yes", "+  spec: https://example.com/v2"}},
		{"notes unknown key removed", techNotesDoc, dropExtra("deps"),
			[]string{"-deps:", "-  - m-0040   # infra", "-  - m-0041"}},
		{"notes multi-line description added", "title: Beta\nstatus: active # now\n", func(m *milestone.Milestone) {
			m.Description = "Line one.\n  indented\n"
		}, []string{"+description: |", "+  Line one.", "+    indented"}},
		{"notes several at once", techNotesDoc, func(m *milestone.Milestone) {
			m.Status = milestone.Completed
			m.Labels = append(m.Labels, "done")
			m.Owner = ""
			m.ClosedAt = "2026-03-01T12:00:00Z"
		}, []string{"-status: active", "-owner: alice", "+status: completed", "+  - done", "+closed_at: 2026-03-01T12:00:00Z"}},

		// Layouts.
		{"implicit null filled", "title: Beta\nowner:   # who\nstatus: active\n", func(m *milestone.Milestone) { m.Owner = "ana" },
			[]string{"-owner:   # who", "+owner: ana # who"}},
		{"single quotes kept", "title: 'Beta'\n", func(m *milestone.Milestone) { m.Title = "Gamma's" },
			[]string{"-title: 'Beta'", "+title: 'Gamma''s'"}},
		{"needed quotes dropped", "title: \"123\"\n", func(m *milestone.Milestone) { m.Title = "Beta" },
			[]string{`-title: "123"`, "+title: Beta"}},
		{"crlf", "title: Beta\r\nstatus: active\r\nlabels:\r\n- a\r\n", func(m *milestone.Milestone) {
			m.Status = milestone.Blocked
			m.Labels = append(m.Labels, "b")
			m.Owner = "ana"
		}, []string{"-status: active\r", "+status: blocked\r", "+- b\r", "+owner: ana\r"}},
		{"no final newline", "title: Beta\nstatus: active", func(m *milestone.Milestone) { m.Owner = "ana" },
			[]string{"-status: active", "+status: active", "+owner: ana"}},
		{"indented document", "  title: Beta\n  labels:\n    - a\n", func(m *milestone.Milestone) {
			m.Description = "one\ntwo\n"
			m.Labels = []string{"a", "b"}
		}, []string{"+    - b", "+  description: |", "+    one", "+    two"}},
		{"document markers", "---\ntitle: Beta\n...\n", func(m *milestone.Milestone) { m.Owner = "ana" },
			[]string{"+owner: ana"}},
		{"keep-chomped block", "title: Beta\ndescription: |+\n  text\n\n\nx: 1\n", func(m *milestone.Milestone) { m.Description = "text\n\n" },
			[]string{"-"}},
		{"literal block with explicit indentation", "title: Beta\ndescription: |4\n      indented\n    plain\n", func(m *milestone.Milestone) {
			m.Description += "more\n"
		}, []string{"+    more"}},
		{"alias value replaced", "title: &t Beta\nowner: *t\n", func(m *milestone.Milestone) { m.Owner = "ana" },
			[]string{"-owner: *t", "+owner: ana"}},
		{"block list of depends_on", "title: Beta\ndepends_on:\n- a   # first\n- b\n", func(m *milestone.Milestone) { m.DependsOn = []string{"b", "c"} },
			[]string{"-- a   # first", "+- c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode(betaPath, []byte(c.src))
			if err != nil {
				t.Fatal(err)
			}
			want := m.Clone()
			c.change(&want)
			out, how, err := rewrite(betaPath, []byte(c.src), want)
			if err != nil {
				t.Fatal(err)
			}
			if how != howSplice {
				t.Errorf("rewritten by %s, want %s", how, howSplice)
			}
			got, err := Decode(betaPath, out)
			if err != nil {
				t.Fatalf("result does not decode: %v\n%s", err, out)
			}
			n := normalized(want)
			if same, f := equalMilestones(&got, &n); !same {
				t.Errorf("result differs in %s", f)
			}
			if d := lineDiff(c.src, string(out)); !reflect.DeepEqual(d, c.diff) {
				t.Errorf("diff:\n%s\nwant:\n%s\nresult:\n%s", strings.Join(d, "\n"), strings.Join(c.diff, "\n"), out)
			}
		})
	}
}

func TestRewriteUnchanged(t *testing.T) {
	for _, src := range []string{specDoc, techNotesDoc, "title: Beta\n", "title: Beta\r\nstatus: planned"} {
		m, err := Decode(betaPath, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		m.ID = "ignored"
		out, err := Rewrite(betaPath, []byte(src), m)
		if err != nil || string(out) != src {
			t.Errorf("unchanged document rewritten: %v\n%s", err, out)
		}
	}
}

// TestRewriteCanonical checks that a document the tool wrote stays canonical
// when a value changes or a key goes.
func TestRewriteCanonical(t *testing.T) {
	m, err := Decode(betaPath, []byte(specDoc))
	if err != nil {
		t.Fatal(err)
	}
	src := Encode(m)
	for _, change := range []func(m *milestone.Milestone){
		func(m *milestone.Milestone) { m.Title = "123" },
		func(m *milestone.Milestone) { m.Title = "Gamma" },
		func(m *milestone.Milestone) { m.Labels = []string{"a", "b c", "d,e"} },
		func(m *milestone.Milestone) { m.Description = "one\n\ntwo  \n\n" },
		func(m *milestone.Milestone) { m.Description = " lead\n" },
		func(m *milestone.Milestone) { m.Description = "one line" },
		func(m *milestone.Milestone) { m.Owner = "" },
		func(m *milestone.Milestone) { m.Extra = nil },
		func(m *milestone.Milestone) { m.Extra[0].Value = map[string]any{"k": []any{"v", 1}} },
	} {
		want := m.Clone()
		change(&want)
		out, err := Rewrite(betaPath, src, want)
		if err != nil {
			t.Fatal(err)
		}
		if canon := Encode(want); !bytes.Equal(out, canon) {
			t.Errorf("rewrite of a canonical document is not canonical:\n%s\nwant:\n%s", out, canon)
		}
	}
}

func TestRewriteTreeFallback(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want string
	}{
		{"{title: Beta, status: active} # flow\n", "{title: Beta, status: blocked, owner: ana} # flow\n"},
		{"? title\n: Beta\nstatus: active\n", "title: Beta\nstatus: blocked\nowner: ana\n"},
	} {
		m, err := Decode(betaPath, []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		m.Status = milestone.Blocked
		m.Owner = "ana"
		out, how, err := rewrite(betaPath, []byte(tc.src), m)
		if err != nil {
			t.Fatal(err)
		}
		if how != howTree || string(out) != tc.want {
			t.Errorf("%q: got %s %q, want tree %q", tc.src, how, out, tc.want)
		}
	}
}

func TestRewriteErrors(t *testing.T) {
	good, _ := Decode(betaPath, []byte(specDoc))
	for _, tc := range []struct {
		name, src string
		change    func(m *milestone.Milestone)
		want      string
	}{
		{"invalid source", "title: Beta\nstatus: nope\n", func(m *milestone.Milestone) {},
			`.milestones/active/beta.yaml:2:9: status "nope" is not one of planned, active, blocked, completed, cancelled`},
		{"conflicted source", "title: Beta\n<<<<<<< ours\n", func(m *milestone.Milestone) {},
			`.milestones/active/beta.yaml:2:1: unresolved merge conflict marker "<<<<<<< ours": resolve the conflict and remove the markers`},
		{"invalid status", specDoc, func(m *milestone.Milestone) { m.Status = "bogus" },
			`.milestones/active/beta.yaml: status "bogus" is not one of planned, active, blocked, completed, cancelled`},
		{"empty title", specDoc, func(m *milestone.Milestone) { m.Title = "" },
			".milestones/active/beta.yaml: title is empty"},
		{"bad date", specDoc, func(m *milestone.Milestone) { m.Due = "2026-13-45" },
			`.milestones/active/beta.yaml: due "2026-13-45" is not a date (YYYY-MM-DD)`},
		{"known key in Extra", specDoc, func(m *milestone.Milestone) {
			m.Extra = append(m.Extra, milestone.Field{Key: "status", Value: "x"})
		}, `.milestones/active/beta.yaml: unknown key "status" is a known key`},
		{"repeated Extra key", specDoc, func(m *milestone.Milestone) {
			m.Extra = append(m.Extra, milestone.Field{Key: "x-whatever", Value: "x"})
		}, `.milestones/active/beta.yaml: unknown key "x-whatever" appears twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := good.Clone()
			tc.change(&m)
			out, err := Rewrite(betaPath, []byte(tc.src), m)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v (%q), want %s", err, out, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *format.Error", err)
			}
		})
	}
}

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"3", 3}, {"-2", -2}, {"1.5", 1.5}, {"true", true}, {"false", false}, {"~", nil}, {"null", nil},
		{"hello", "hello"}, {"hello world # not a comment", "hello world # not a comment"}, {"  padded  ", "  padded  "},
		{"yes", "yes"}, {"2026-01-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, {"2026-01-01 x", "2026-01-01 x"}, {"", ""}, {"'quoted'", "quoted"}, {`"007"`, "007"},
		{"[a, b]", []any{"a", "b"}}, {"[1, [2]]", []any{1, []any{2}}}, {"{a: 1}", map[string]any{"a": 1}},
		{"[unclosed", "[unclosed"}, {"a: b", "a: b"}, {"- a", "- a"}, {"!!binary aGk=", "!!binary aGk="},
		{"&x 1", "&x 1"}, {"*x", "*x"}, {"two\nlines", "two\nlines"}, {"|\n  block", "|\n  block"}, {"---", "---"},
		{"'); DROP TABLE x; --", "'); DROP TABLE x; --"}, {"$HOME", "$HOME"},
	} {
		if got := ParseValue(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseValue(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
