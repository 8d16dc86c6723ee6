package format

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

const betaPath = ".milestones/active/beta.yaml"

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{Path: "a.yaml", Line: 3, Col: 9, Msg: "bad"}, "a.yaml:3:9: bad"},
		{Error{Path: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Error{Path: "a.yaml", Col: 9, Msg: "bad"}, "a.yaml: bad"},
		{Error{Path: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Error{Line: 2, Col: 1, Msg: "bad"}, "2:1: bad"},
		{Error{Msg: "bad"}, "bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path, src, want string
	}{
		{"status enum", betaPath, "title: Beta\npriority: high\nstatus: nonsense\n",
			`.milestones/active/beta.yaml:3:9: status "nonsense" is not one of planned, active, blocked, completed, cancelled`},
		{"priority enum", betaPath, "title: Beta\npriority:   urgent  # hot\n",
			`.milestones/active/beta.yaml:2:13: priority "urgent" is not one of low, medium, high, critical`},
		{"status list", betaPath, "title: Beta\nstatus: [active]\n",
			".milestones/active/beta.yaml:2:9: status must be a string, not a list"},
		{"id upper case", ".milestones/active/Beta.yaml", "title: Beta\n",
			`.milestones/active/Beta.yaml: invalid id "Beta": ids are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, without ".."`},
		{"id dots", ".milestones/active/a..b.yaml", "title: Beta\n",
			`.milestones/active/a..b.yaml: invalid id "a..b": ids are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, without ".."`},
		{"not yaml suffix", ".milestones/active/beta.yml", "title: Beta\n",
			".milestones/active/beta.yml: a milestone file name must end in .yaml"},
		{"conflict ours", betaPath, "title: Beta\n<<<<<<< HEAD\nstatus: active\n=======\nstatus: blocked\n>>>>>>> topic\n",
			`.milestones/active/beta.yaml:2:1: unresolved merge conflict marker "<<<<<<< HEAD": resolve the conflict and remove the markers`},
		{"conflict separator first", betaPath, "title: Beta\nstatus: active\n=======\n",
			`.milestones/active/beta.yaml:3:1: unresolved merge conflict marker "=======": resolve the conflict and remove the markers`},
		{"conflict diff3 base", betaPath, "title: Beta\r\n||||||| base\r\n",
			`.milestones/active/beta.yaml:2:1: unresolved merge conflict marker "||||||| base": resolve the conflict and remove the markers`},
		{"conflict theirs", betaPath, "title: Beta\n>>>>>>> 1234abc (topic)\n",
			`.milestones/active/beta.yaml:2:1: unresolved merge conflict marker ">>>>>>> 1234abc (topic)": resolve the conflict and remove the markers`},
		{"empty", betaPath, "",
			".milestones/active/beta.yaml: the document is empty: a milestone needs at least a title"},
		{"only comments", betaPath, "# nothing here\n\n",
			".milestones/active/beta.yaml: the document is empty: a milestone needs at least a title"},
		{"syntax", betaPath, "title: Beta\nstatus: [active\n",
			".milestones/active/beta.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed flow at the end", betaPath, "title: [Beta\n",
			".milestones/active/beta.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed quote", betaPath, "title: Beta\nowner: \"ana\n",
			".milestones/active/beta.yaml:2: invalid YAML: found unexpected end of stream"},
		{"tab indentation", betaPath, "title: Beta\nlabels:\n\t- web\n",
			".milestones/active/beta.yaml:3: invalid YAML: found character that cannot start any token"},
		{"control character", betaPath, "title: Beta\nowner: a\x01b\n",
			".milestones/active/beta.yaml:2:9: invalid YAML: control characters are not allowed"},
		{"invalid utf-8", betaPath, "title: Beta\ndescription: caf\xe9\n",
			".milestones/active/beta.yaml:2:17: invalid YAML: incomplete UTF-8 octet sequence"},
		{"bad indentation", betaPath, "title: Beta\n  owner: ana\n",
			".milestones/active/beta.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"two documents", betaPath, "title: Beta\n---\ntitle: Gamma\n",
			".milestones/active/beta.yaml:2:1: a second YAML document starts here: a milestone file holds one document"},
		{"list document", betaPath, "- title: Beta\n",
			".milestones/active/beta.yaml:1:1: a milestone document must be a mapping of keys to values, not a list"},
		{"scalar document", betaPath, "just text\n",
			".milestones/active/beta.yaml:1:1: a milestone document must be a mapping of keys to values, not a string"},
		{"duplicate key", betaPath, "title: Beta\nstatus: active\nowner: ana\nstatus: blocked\n",
			`.milestones/active/beta.yaml:4:1: duplicate key "status" (first at line 2)`},
		{"duplicate unknown key", betaPath, "title: Beta\nx: 1\nx: 2\n",
			`.milestones/active/beta.yaml:3:1: duplicate key "x" (first at line 2)`},
		{"complex key", betaPath, "title: Beta\n? [a, b]\n: c\n",
			".milestones/active/beta.yaml:2:3: keys must be plain strings, not a list"},
		{"merge key", betaPath, "title: Beta\n<<: {owner: ana}\n",
			".milestones/active/beta.yaml:2:1: merge keys (<<) are not supported in milestone documents"},
		{"missing title", betaPath, "status: active\n",
			".milestones/active/beta.yaml: the required key title is missing"},
		{"null title", betaPath, "title:\nstatus: active\n",
			".milestones/active/beta.yaml:1:7: title is empty"},
		{"blank title", betaPath, "title: '   '\n",
			".milestones/active/beta.yaml:1:8: title is empty"},
		{"multi-line title", betaPath, "title: \"two\\nlines\"\n",
			`.milestones/active/beta.yaml:1:8: title "two\nlines" has more than one line`},
		{"long title", betaPath, "title: " + strings.Repeat("é", 201) + "\n",
			".milestones/active/beta.yaml:1:8: title is 201 characters long (at most 200)"},
		{"title mapping", betaPath, "title:\n  text: Beta\n",
			".milestones/active/beta.yaml:2:3: title must be a string, not a mapping"},
		{"owner list", betaPath, "title: Beta\nowner: [ana, bob]\n",
			".milestones/active/beta.yaml:2:8: owner must be a string, not a list"},
		{"description mapping", betaPath, "title: Beta\ndescription: {a: b}\n",
			".milestones/active/beta.yaml:2:14: description must be a string, not a mapping"},
		{"impossible date", betaPath, "title: Beta\nstart: 2026-13-45\n",
			`.milestones/active/beta.yaml:2:8: start "2026-13-45" is not a date (YYYY-MM-DD)`},
		{"due text", betaPath, "title: Beta\ndue: soon\n",
			`.milestones/active/beta.yaml:2:6: due "soon" is not a date (YYYY-MM-DD)`},
		{"due with time", betaPath, "title: Beta\ndue: 2026-12-01T10:00:00Z\n",
			`.milestones/active/beta.yaml:2:6: due "2026-12-01T10:00:00Z" is not a date (YYYY-MM-DD)`},
		{"short date", betaPath, "title: Beta\ndue: 2026-1-2\n",
			`.milestones/active/beta.yaml:2:6: due "2026-1-2" is not a date (YYYY-MM-DD)`},
		{"created_at date only", betaPath, "title: Beta\ncreated_at: 2026-11-26\n",
			`.milestones/active/beta.yaml:2:13: created_at "2026-11-26" is not an RFC 3339 timestamp`},
		{"updated_at with space", betaPath, "title: Beta\nupdated_at: 2026-11-26 07:00:00\n",
			`.milestones/active/beta.yaml:2:13: updated_at "2026-11-26 07:00:00" is not an RFC 3339 timestamp`},
		{"closed_at garbage", betaPath, "title: Beta\nclosed_at: 'yesterday'\n",
			`.milestones/active/beta.yaml:2:12: closed_at "yesterday" is not an RFC 3339 timestamp`},
		{"progress too big", betaPath, "title: Beta\nprogress: 150\n",
			".milestones/active/beta.yaml:2:11: progress 150 is outside 0-100"},
		{"progress negative", betaPath, "title: Beta\nprogress: -1\n",
			".milestones/active/beta.yaml:2:11: progress -1 is outside 0-100"},
		{"progress text", betaPath, "title: Beta\nprogress: half\n",
			`.milestones/active/beta.yaml:2:11: progress must be a whole number from 0 to 100, not "half"`},
		{"progress float", betaPath, "title: Beta\nprogress: 40.5\n",
			`.milestones/active/beta.yaml:2:11: progress must be a whole number from 0 to 100, not "40.5"`},
		{"progress quoted", betaPath, "title: Beta\nprogress: \"40\"\n",
			`.milestones/active/beta.yaml:2:11: progress must be a whole number from 0 to 100, not "40"`},
		{"progress list", betaPath, "title: Beta\nprogress: [40]\n",
			".milestones/active/beta.yaml:2:11: progress must be a whole number from 0 to 100, not a list"},
		{"labels scalar", betaPath, "title: Beta\nlabels: web\n",
			".milestones/active/beta.yaml:2:9: labels must be a list of strings like [a, b], not a string"},
		{"labels mapping entry", betaPath, "title: Beta\nlabels:\n  - web\n  - {a: b}\n",
			".milestones/active/beta.yaml:4:5: labels entries must be strings, not a mapping"},
		{"labels empty entry", betaPath, "title: Beta\nlabels: [web, '']\n",
			`.milestones/active/beta.yaml:2:15: labels entry "" must be non-empty and one line`},
		{"labels null entry", betaPath, "title: Beta\nlabels:\n  - web\n  -\n",
			`.milestones/active/beta.yaml:4:4: labels entry "" must be non-empty and one line`},
		{"depends_on bad id", betaPath, "title: Beta\ndepends_on: [api-freeze, Bad/Id]\n",
			`.milestones/active/beta.yaml:2:26: depends_on: invalid id "Bad/Id": ids are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, without ".."`},
		{"depends_on block bad id", betaPath, "title: Beta\ndepends_on:\n- ok\n- ../escape\n",
			`.milestones/active/beta.yaml:4:3: depends_on: invalid id "../escape": ids are 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit, without ".."`},
		{"depends_on mapping", betaPath, "title: Beta\ndepends_on: {a: b}\n",
			".milestones/active/beta.yaml:2:13: depends_on must be a list of strings like [a, b], not a mapping"},
		{"unknown key with duplicate inner key", betaPath, "title: Beta\nx-links:\n  a: 1\n  a: 2\n",
			`.milestones/active/beta.yaml:4: mapping key "a" already defined at line 3`},
		{"bad binary title", betaPath, "title: !!binary '%%%'\n",
			".milestones/active/beta.yaml:1:8: title: invalid !!binary data: illegal base64 data at input byte 0"},
		{"no path, still validated", "", "title: Beta\nstatus: done\n",
			`2:9: status "done" is not one of planned, active, blocked, completed, cancelled`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.path, []byte(tc.src))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *format.Error", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

func intp(n int) *int { return &n }

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      milestone.Milestone
	}{
		{"defaults", "title: Beta\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium}},
		{"every field", `# header
title: "Public beta"   # shown on the roadmap
status: active
priority: high
owner: ana@example.com
start: 2026-11-01
due: "2026-12-15"
labels: [release, web]
depends_on:
  - api-freeze
  - 'db.v2'
progress: 0
description: |
  Free text (Markdown).
    indented
created_at: 2026-11-26T07:00:00Z
updated_at: 2026-11-26T08:00:00.5+01:00
closed_at: 2026-12-14T10:00:00Z
x-whatever: kept as written
`, milestone.Milestone{ID: "beta", Title: "Public beta", Status: milestone.Active, Priority: milestone.High,
			Owner: "ana@example.com", Start: "2026-11-01", Due: "2026-12-15", Labels: []string{"release", "web"},
			DependsOn: []string{"api-freeze", "db.v2"}, Progress: intp(0), Description: "Free text (Markdown).\n  indented\n",
			CreatedAt: "2026-11-26T07:00:00Z", UpdatedAt: "2026-11-26T08:00:00.5+01:00", ClosedAt: "2026-12-14T10:00:00Z",
			Extra: []milestone.Field{{Key: "x-whatever", Value: "kept as written"}}}},
		{"nulls and empties are absent", "title: Beta\nstatus:\npriority: ~\nowner: ''\nstart: null\nlabels: []\ndepends_on:\nprogress:\ndescription:\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium}},
		{"scalars of other types are text", "title: 2027\nowner: true\ndescription: 1.50\n",
			milestone.Milestone{ID: "beta", Title: "2027", Owner: "true", Description: "1.50", Status: milestone.Planned, Priority: milestone.Medium}},
		{"yaml integer forms", "title: Beta\nprogress: 0x28\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Progress: intp(40), Status: milestone.Planned, Priority: milestone.Medium}},
		{"aliases", "title: &t Beta\nx-copy: *t\nlabels: [&l web, *l]\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Labels: []string{"web", "web"}, Status: milestone.Planned, Priority: milestone.Medium,
				Extra: []milestone.Field{{Key: "x-copy", Value: "Beta"}}}},
		{"unknown keys in order with their types", "z: 1\ntitle: Beta\na: [1, two]\nm: {k: v}\nn:\nf: 1.5\nb: yes\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium,
				Extra: []milestone.Field{{Key: "z", Value: 1}, {Key: "a", Value: []any{1, "two"}}, {Key: "m", Value: map[string]any{"k": "v"}},
					{Key: "n", Value: nil}, {Key: "f", Value: 1.5}, {Key: "b", Value: "yes"}}}},
		{"crlf and literal chomping", "title: Beta\r\ndescription: |-\r\n  one\r\n\r\n  two\r\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Description: "one\n\ntwo", Status: milestone.Planned, Priority: milestone.Medium}},
		{"binary text", "title: !!binary QmV0YQ==\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium}},
		{"document markers", "%YAML 1.1\n---\ntitle: Beta\n...\n",
			milestone.Milestone{ID: "beta", Title: "Beta", Status: milestone.Planned, Priority: milestone.Medium}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(betaPath, []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeWithoutPath(t *testing.T) {
	m, err := Decode("", []byte("title: Beta\n"))
	if err != nil || m.ID != "" || m.Title != "Beta" {
		t.Fatalf("got %+v, %v", m, err)
	}
	m, err = Decode("/tmp/edit-123/beta-2.yaml", []byte("title: Beta\n"))
	if err != nil || m.ID != "beta-2" {
		t.Fatalf("got %+v, %v", m, err)
	}
}

// TestTopLevelKeys checks the keys and where they are written, and that a
// flow mapping or a non-mapping document is refused.
func TestTopLevelKeys(t *testing.T) {
	keys, ok := TopLevelKeys([]byte("# c\ntitle: A\nlabels:\n  - x\n\"due\": 2026-01-01\n"))
	want := []KeyPos{{"title", 2, 1}, {"labels", 3, 1}, {"due", 5, 1}}
	if !ok || len(keys) != len(want) {
		t.Fatalf("TopLevelKeys = %v, %v", keys, ok)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("key %d = %+v, want %+v", i, keys[i], want[i])
		}
	}
	for _, src := range []string{"{title: A}\n", "- a\n", "title: [\n"} {
		if _, ok := TopLevelKeys([]byte(src)); ok {
			t.Errorf("%q accepted", src)
		}
	}
}
