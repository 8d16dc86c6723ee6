package format

import (
	"bytes"
	"testing"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// fuzzMilestone builds a valid milestone from fuzzer input, dropping or
// replacing the values validation refuses.
func fuzzMilestone(title, owner, desc, label, dep, key, val string, progress int, flags uint8) milestone.Milestone {
	m := milestone.Milestone{Title: title, Owner: owner, Description: desc,
		Status: milestone.Statuses[int(flags)%len(milestone.Statuses)], Priority: milestone.Priorities[int(flags>>3)%len(milestone.Priorities)]}
	if milestone.ValidateTitle(m.Title) != nil {
		m.Title = "t"
	}
	if milestone.ValidateLabel(milestone.KeyOwner, owner) != nil {
		m.Owner = ""
	}
	if milestone.ValidateLabel(milestone.KeyLabels, label) == nil {
		m.Labels = []string{label, "plain"}
	}
	if milestone.ValidateID(dep) == nil {
		m.DependsOn = []string{dep}
	}
	if flags&0x20 != 0 {
		p := progress % 101
		if p < 0 {
			p = -p
		}
		m.Progress = &p
	}
	if flags&0x40 != 0 {
		m.Start, m.Due, m.CreatedAt = "2026-01-31", "2026-12-01", "2026-01-31T10:00:00.5+02:00"
	}
	if key == "" || milestone.IsKnownKey(key) {
		key = "x-" + key
	}
	m.Extra = []milestone.Field{{Key: key, Value: val}}
	if key != "x-parsed" {
		m.Extra = append(m.Extra, milestone.Field{Key: "x-parsed", Value: ParseValue(val)})
	}
	return m
}

// FuzzRoundTrip checks Decode(Encode(m)) == m and that Encode is a fixed point.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range hostile {
		if len(s) < 1000 {
			f.Add(s, s, s, s, "api", s, s, 40, uint8(0x61))
		}
	}
	f.Add("Public beta", "ana@example.com", "Free text.\n", "web", "api-freeze", "x-whatever", "[a, 1]", 40, uint8(0xff))
	f.Fuzz(func(t *testing.T, title, owner, desc, label, dep, key, val string, progress int, flags uint8) {
		m := fuzzMilestone(title, owner, desc, label, dep, key, val, progress, flags)
		if err := m.Validate(); err != nil {
			t.Skip(err)
		}
		checkRoundTrip(t, m)
	})
}

// FuzzRewrite checks that Rewrite of any valid document to any valid
// milestone decodes to that milestone, by a text splice whenever it tries one.
func FuzzRewrite(f *testing.F) {
	seeds := []string{specDoc, techNotesDoc, "title: Beta\n", "title: Beta\r\nlabels:\r\n- a\r\n", "  title: 'Beta'\n  owner:\n",
		"---\ntitle: \"Beta\" # c\ndescription: |+\n  text\n\n...\n", "{title: Beta}\n", "title: Beta\nx: [a,\n  b]\ny: \"multi\n  line\"\n"}
	for i, s := range seeds {
		f.Add([]byte(s), "New title", "one\ntwo\n", "web", 7, uint8(i*37))
		f.Add([]byte(s), "", "", "", 0, uint8(0xff-i))
	}
	f.Fuzz(func(t *testing.T, src []byte, title, desc, label string, progress int, flags uint8) {
		m, err := Decode(betaPath, src)
		if err != nil {
			t.Skip()
		}
		if flags&1 != 0 && milestone.ValidateTitle(title) == nil {
			m.Title = title
		}
		if flags&2 != 0 {
			m.Description = desc
		}
		if flags&4 != 0 && milestone.ValidateLabel(milestone.KeyLabels, label) == nil {
			m.Labels = append(m.Labels, label)
		}
		if flags&8 != 0 && len(m.Labels) > 0 {
			m.Labels = m.Labels[1:]
		}
		if flags&16 != 0 {
			if m.Progress == nil {
				p := progress & 63
				m.Progress = &p
			} else {
				m.Progress = nil
			}
		}
		if flags&32 != 0 {
			m.Owner = ""
			m.Status = milestone.Statuses[(progress&0xff)%len(milestone.Statuses)]
		}
		if flags&64 != 0 {
			if len(m.Extra) > 0 {
				m.Extra[0].Value = ParseValue(label)
				m.Extra = m.Extra[:len(m.Extra)-1]
			}
			m.Extra = append(m.Extra, milestone.Field{Key: "x-added", Value: desc})
		}
		if err := m.Validate(); err != nil {
			t.Skip()
		}
		out, how, err := rewrite(betaPath, src, m)
		if err != nil {
			t.Fatalf("rewrite: %v\nsource:\n%s", err, src)
		}
		if how == howBadSplice {
			t.Fatalf("the splice did not verify (the tree fallback saved it)\nsource:\n%q", src)
		}
		got, err := Decode(betaPath, out)
		if err != nil {
			t.Fatalf("result does not decode: %v\n%s", err, out)
		}
		want := normalized(m)
		if same, field := equalMilestones(&got, &want); !same {
			t.Fatalf("result differs in %s", field)
		}
		if how == howUnchanged && !bytes.Equal(out, src) {
			t.Fatal("unchanged document rewritten")
		}
	})
}
