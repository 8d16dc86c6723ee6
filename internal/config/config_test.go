package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	c := Default()
	if c.Storage.Backend != Auto || c.Storage.Thresholds.MilestoneCount.FileToHybrid != 25 ||
		c.Storage.Thresholds.ConcurrentUsers.HybridToDatabase != 20 || !c.Storage.Migration.AutoMigrate {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestParseOverridesAndErrors(t *testing.T) {
	c, err := Parse("x.yaml", []byte("storage:\n  backend: hybrid\n  thresholds:\n    milestone_count:\n      file_to_hybrid: 3\n  unknown_key: kept\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Backend != Hybrid || c.Storage.Thresholds.MilestoneCount.FileToHybrid != 3 || c.Storage.Thresholds.MilestoneCount.HybridToDatabase != 100 {
		t.Fatalf("%+v", c.Storage)
	}
	for _, bad := range []string{"storage:\n  backend: sideways\n", "storage: [\n", "storage:\n  database:\n    type: oracle\n"} {
		if _, err := Parse("x.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x.yaml") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if _, err := Parse("x.yaml", nil); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestReadBackend(t *testing.T) {
	root := t.TempDir()
	if b, err := ReadBackend(root); b != "" || err != nil {
		t.Fatal(b, err)
	}
	os.MkdirAll(filepath.Join(root, ".milestones/config"), 0o755)
	os.WriteFile(filepath.Join(root, BackendPath), []byte("hybrid\n"), 0o644)
	if b, err := ReadBackend(root); b != Hybrid || err != nil {
		t.Fatal(b, err)
	}
	os.WriteFile(filepath.Join(root, BackendPath), []byte("cloud\n"), 0o644)
	if _, err := ReadBackend(root); err == nil || !strings.Contains(err.Error(), "storage-backend.txt:1") {
		t.Fatal(err)
	}
}

func TestResolveDatabase(t *testing.T) {
	c := Default()
	c.Storage.Database.URL = "postgres://u:secret@h/db"
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	var warned []string
	warn := func(s string) { warned = append(warned, s) }
	s := c.ResolveDatabase(getenv, "", warn)
	if s.URL != c.Storage.Database.URL || len(warned) != 1 || strings.Contains(warned[0], "secret") {
		t.Fatalf("%+v %v", s, warned)
	}
	if s := c.ResolveDatabase(getenv, "postgres://git/db", warn); s.URL != "postgres://git/db" {
		t.Fatal(s)
	}
	env["DATABASE_URL"], env["DATABASE_TYPE"] = "postgres://env/db", "postgresql"
	if s := c.ResolveDatabase(getenv, "postgres://git/db", warn); s.URL != "postgres://env/db" || s.Type != "postgresql" {
		t.Fatal(s)
	}
}

func TestVocabulary(t *testing.T) {
	c, err := Parse("x.yaml", []byte("vocabulary:\n  status:\n    in_review: active\n    shipped: completed\n  priority:\n    urgent: critical\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Vocabulary.Status["in_review"] != "active" || c.Vocabulary.Status["shipped"] != "completed" || c.Vocabulary.Priority["urgent"] != "critical" {
		t.Fatalf("%+v", c.Vocabulary)
	}
	for _, bad := range []string{"vocabulary:\n  status:\n    wip: doing\n", "vocabulary:\n  priority:\n    p9: enormous\n"} {
		if _, err := Parse("x.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x.yaml: vocabulary.") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
