package dbstore

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/git-milestone/git-milestone/internal/milestone"
)

// decodeDoc decodes a stored milestone JSON document exactly as
// milestone.FromJSON does, several times faster for the documents
// milestone.JSON writes; anything unusual falls back to FromJSON. The
// milestone's strings are slices of doc where no escape needs decoding
// (scan the column into a string: the driver's own, no copy).
func decodeDoc(doc string) (milestone.Milestone, error) {
	if m, ok := fastDecode(doc); ok {
		return m, nil
	}
	return milestone.FromJSON([]byte(doc))
}

// jsonScanner reads a JSON object left to right; ok turns false at
// anything it does not handle.
type jsonScanner struct {
	b  string
	i  int
	ok bool
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	s.ok = false
	return 0
}

func (s *jsonScanner) expect(c byte) {
	if s.peek() != c {
		s.ok = false
		return
	}
	s.i++
}

// str reads a string; escapes and invalid UTF-8 are decoded by
// encoding/json (which replaces bad bytes with U+FFFD).
func (s *jsonScanner) str() string {
	if s.peek() != '"' {
		s.ok = false
		return ""
	}
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			if !escaped && utf8.ValidString(s.b[start+1:s.i-1]) {
				return s.b[start+1 : s.i-1]
			}
			var v string
			if json.Unmarshal([]byte(s.b[start:s.i]), &v) != nil {
				s.ok = false
			}
			return v
		case c == '\\':
			escaped = true
			s.i += 2
		case c < 0x20:
			s.ok = false
			return ""
		default:
			s.i++
		}
	}
	s.ok = false
	return ""
}

func (s *jsonScanner) strings() []string {
	s.expect('[')
	var out []string
	if s.peek() == ']' {
		s.i++
		return []string{}
	}
	for s.ok {
		out = append(out, s.str())
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out
		default:
			s.ok = false
		}
	}
	return nil
}

func (s *jsonScanner) integer() int {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	n, err := strconv.Atoi(s.b[start:s.i])
	if err != nil || (s.i < len(s.b) && strings.IndexByte(".eE", s.b[s.i]) >= 0) {
		s.ok = false
	}
	return n
}

// skip passes over one JSON value of any kind and returns it raw (not
// validated: the caller decodes it).
func (s *jsonScanner) skip() string {
	s.ws()
	start := s.i
	if s.i >= len(s.b) {
		s.ok = false
		return ""
	}
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for s.ok && s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.b[start:s.i]
			}
		}
		s.ok = false
	default:
		for s.i < len(s.b) && strings.IndexByte(",}] \t\n\r", s.b[s.i]) < 0 {
			s.i++
		}
	}
	return s.b[start:s.i]
}

func fastDecode(doc string) (milestone.Milestone, bool) {
	var m milestone.Milestone
	s := &jsonScanner{b: doc, ok: true}
	s.expect('{')
	if s.peek() == '}' {
		s.i++
	}
	for s.ok && s.i < len(s.b) && s.b[s.i-1] != '}' {
		key := s.str()
		s.expect(':')
		if !s.ok {
			break
		}
		switch key {
		case "id":
			m.ID = s.str()
		default:
			if f, known := milestone.Spec(key); known {
				switch f.Kind {
				case milestone.KindList:
					f.SetList(&m, s.strings())
				case milestone.KindInt:
					m.SetKnown(key, s.integer(), true)
				default:
					m.SetKnown(key, s.str(), true)
				}
				break
			}
			raw := s.skip()
			if !s.ok {
				break
			}
			dec := json.NewDecoder(strings.NewReader(raw))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) != nil || dec.More() {
				s.ok = false
				break
			}
			m.Extra = append(m.Extra, milestone.Field{Key: key, Value: v})
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
		default:
			s.ok = false
		}
	}
	s.ws()
	if !s.ok || s.i != len(s.b) || s.b[s.i-1] != '}' {
		return milestone.Milestone{}, false
	}
	return m, true
}
