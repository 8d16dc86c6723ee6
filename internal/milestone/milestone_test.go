package milestone

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"beta", true}, {"v1.2-rc_3", true}, {"0day", true}, {strings.Repeat("a", 64), true},
		{"", false}, {"a/b", false}, {"..", false}, {"a..b", false}, {"Upper", false}, {"has space", false},
		{"-lead", false}, {".hidden", false}, {strings.Repeat("a", 65), false}, {"ünï", false}, {"a\nb", false},
	} {
		if err := ValidateID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestSlug(t *testing.T) {
	for title, want := range map[string]string{
		"Public beta":               "public-beta",
		"  API -- freeze!! ":        "api-freeze",
		"Ünïcode & 🚀 rocket":        "unicode-rocket",
		"Café déjà vu":              "cafe-deja-vu",
		"Straße Æsir Øre Łódź":      "strasse-aesir-ore-lodz",
		"ＡＢＣ full width":            "abc-full-width",
		strings.Repeat("word ", 30): strings.TrimRight(strings.Repeat("word-", 12)[:56], "-"),
	} {
		if got := Slug(title); got != want {
			t.Errorf("Slug(%q) = %q, want %q", title, got, want)
		}
		if err := ValidateID(Slug(title)); err != nil {
			t.Errorf("Slug(%q) is not a valid id: %v", title, err)
		}
	}
	// Other scripts: a short stable hash, distinct for distinct titles,
	// never a generic id.
	seen := map[string]string{}
	for _, title := range []string{"東京リリース", "大阪リリース", "Выпуск 2", "Выпуск 3", "!!!", "???", "Release 東京", "Release 大阪"} {
		id := Slug(title)
		if err := ValidateID(id); err != nil {
			t.Errorf("Slug(%q) = %q is not a valid id: %v", title, id, err)
		}
		if id == "milestone" || id == "m" || id == "release" {
			t.Errorf("Slug(%q) = %q is generic", title, id)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("Slug(%q) = Slug(%q) = %q", title, other, id)
		}
		seen[id] = title
		if Slug(title) != id {
			t.Errorf("Slug(%q) is not stable", title)
		}
	}
	if id := Slug("東京リリース"); !strings.HasPrefix(id, "m-") || len(id) != 9 {
		t.Errorf("Slug(CJK) = %q, want m- and 7 hex digits", id)
	}
	if id := Slug("Release 東京"); !strings.HasPrefix(id, "release-") {
		t.Errorf("Slug(mixed) = %q, want the Latin part kept", id)
	}
	taken := map[string]bool{"beta": true, "beta-2": true}
	if got := UniqueSlug("Beta", func(id string) bool { return taken[id] }); got != "beta-3" {
		t.Errorf("UniqueSlug = %q, want beta-3", got)
	}
}

func TestResolve(t *testing.T) {
	ids := []string{"beta", "beta-2", "gamma"}
	for _, tc := range []struct {
		arg, want, err string
	}{
		{"beta", "beta", ""}, {"gam", "gamma", ""}, {"beta-", "beta-2", ""},
		{"bet", "", "ambiguous: it matches beta, beta-2"}, {"zzz", "", `no milestone "zzz"`},
	} {
		got, err := Resolve(ids, tc.arg)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %q", tc.arg, got, err, tc.want, tc.err)
		}
	}
	_, err := Resolve(ids, "bet")
	var amb *AmbiguousError
	if !errors.As(err, &amb) || len(amb.Matches) != 2 {
		t.Errorf("ambiguous error = %#v", err)
	}
}

func TestValidate(t *testing.T) {
	p := func(n int) *int { return &n }
	ok := Milestone{ID: "m", Title: "T", Status: Active, Priority: High, Due: "2026-12-15", Progress: p(100),
		CreatedAt: "2026-11-26T07:00:00Z", Labels: []string{"a"}, DependsOn: []string{"x"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Milestone){
		"status":     func(m *Milestone) { m.Status = "nonsense" },
		"priority":   func(m *Milestone) { m.Priority = "urgent" },
		"date":       func(m *Milestone) { m.Due = "2026-13-45" },
		"timestamp":  func(m *Milestone) { m.CreatedAt = "yesterday" },
		"progress":   func(m *Milestone) { m.Progress = p(101) },
		"title":      func(m *Milestone) { m.Title = "two\nlines" },
		"long title": func(m *Milestone) { m.Title = strings.Repeat("x", 201) },
		"label":      func(m *Milestone) { m.Labels = []string{" "} },
		"depends_on": func(m *Milestone) { m.DependsOn = []string{"../x"} },
	} {
		m := ok.Clone()
		mod(&m)
		if err := m.Validate(); err == nil {
			t.Errorf("%s: invalid milestone accepted", name)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	p := 40
	m := Milestone{ID: "beta", Title: `"quoted" <b>&`, Status: Active, Priority: High, Labels: []string{"a", "b"},
		Progress: &p, Description: "two\nlines", Extra: []Field{{"x-n", 3}, {"x-map", map[string]any{"k": []any{"v"}}}}}
	data, err := m.JSON(Field{"path", ".milestones/active/beta.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"id":"beta","title":"\"quoted\" <b>&",`) {
		t.Fatalf("JSON = %s", data)
	}
	back, err := FromJSON(data, "path")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.JSON(Field{"path", ".milestones/active/beta.yaml"})
	if string(again) != string(data) {
		t.Fatalf("round trip:\n%s\n%s", data, again)
	}
	if v, ok := back.Get("x-n"); !ok || v == nil {
		t.Fatalf("Get(x-n) = %v %v", v, ok)
	}
	if _, ok := back.Get(KeyOwner); ok {
		t.Fatal("empty owner reported present")
	}
}

// A document's own id key (every shell-era document has one) and a key
// named like a field the caller adds never make a second JSON key.
func TestJSONOneIDKey(t *testing.T) {
	m := Milestone{ID: "beta", Title: "Beta", Status: Planned, Priority: Medium,
		Extra: []Field{{"id", "beta-old"}, {"path", "/etc/passwd"}, {"x-a", 1}}}
	data, err := m.JSON(Field{Key: "path", Value: ".milestones/active/beta.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"beta","title":"Beta","status":"planned","priority":"medium","x-a":1,"path":".milestones/active/beta.yaml"}`
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
	if plain, _ := m.JSON(); !strings.Contains(string(plain), `"path":"/etc/passwd"`) || strings.Count(string(plain), `"id":`) != 1 {
		t.Errorf("without extra fields: %s", plain)
	}
}

func TestCheckDates(t *testing.T) {
	for _, tc := range []struct {
		start, due string
		ok         bool
	}{{"", "", true}, {"2026-01-01", "", true}, {"", "2026-01-01", true}, {"2026-01-01", "2026-01-01", true},
		{"2026-01-01", "2026-02-01", true}, {"2026-02-01", "2026-01-31", false}} {
		m := Milestone{Start: tc.start, Due: tc.due}
		if err := m.CheckDates(); (err == nil) != tc.ok {
			t.Errorf("CheckDates(%q, %q) = %v", tc.start, tc.due, err)
		}
	}
}

// TestValidIDMatchesPattern checks the hand-written id check against the
// regular expression of the id rules, over generated strings.
func TestValidIDMatchesPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	for _, s := range generatedStrings("az09._-A/é\n") {
		if got, want := validID(s), pattern.MatchString(s); got != want {
			t.Errorf("validID(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

// generatedStrings are short strings over alphabet and strings of every
// length around the 64-byte limit.
func generatedStrings(alphabet string) []string {
	out := []string{""}
	runes := []rune(alphabet)
	for _, a := range runes {
		for _, b := range runes {
			out = append(out, string(a), string(a)+string(b), "x"+string(a)+string(b), string(a)+"x"+string(b))
		}
	}
	for n := 60; n <= 66; n++ {
		out = append(out, strings.Repeat("a", n), strings.Repeat("a", n-1)+"-", "-"+strings.Repeat("a", n-1), strings.Repeat("A", n))
	}
	return out
}
