package config

import (
	"strings"
	"testing"
)

func TestSetValues(t *testing.T) {
	for _, c := range []struct {
		name, in, backend, dbType string
		wantBackend, wantType     string
		wantChanged               int // lines
		wantErr                   string
	}{
		{"pin from auto", DefaultYAML, File, "", File, "sqlite", 1, ""},
		{"back to auto", strings.Replace(DefaultYAML, "backend: auto", "backend: hybrid", 1), Auto, "", Auto, "sqlite", 1, ""},
		{"both", DefaultYAML, Database, "postgresql", Database, "postgresql", 2, ""},
		{"quoted", "storage:\n  backend: \"file\"\n  database:\n    type: \"sqlite\"\n", Hybrid, "", Hybrid, "sqlite", 1, ""},
		{"no backend key", "storage:\n  database:\n    type: sqlite\n", File, "", "", "", 0, "cannot find storage.backend"},
	} {
		out, err := SetValues([]byte(c.in), c.backend, c.dbType)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cfg, err := Parse(ConfigPath, out)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.Storage.Backend != c.wantBackend || cfg.Storage.Database.Type != c.wantType {
			t.Errorf("%s: backend %q type %q, want %q %q", c.name, cfg.Storage.Backend, cfg.Storage.Database.Type, c.wantBackend, c.wantType)
		}
		// comments and every other line are kept
		inLines, outLines := strings.Split(c.in, "\n"), strings.Split(string(out), "\n")
		if len(inLines) != len(outLines) {
			t.Fatalf("%s: %d lines became %d", c.name, len(inLines), len(outLines))
		}
		changed := 0
		for i := range inLines {
			if inLines[i] != outLines[i] {
				changed++
			}
		}
		if changed != c.wantChanged {
			t.Errorf("%s: %d lines changed, want %d", c.name, changed, c.wantChanged)
		}
		if strings.Contains(c.in, "# auto, file, hybrid, database") && !strings.Contains(string(out), "# auto, file, hybrid, database") {
			t.Errorf("%s: the comment was lost", c.name)
		}
	}
}
