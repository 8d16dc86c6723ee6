package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/config"
)

func TestJournalRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.json")
	if j, err := ReadJournal(path); err != nil || j != nil {
		t.Fatalf("no journal: got %v, %v", j, err)
	}
	in := &Journal{From: config.File, To: config.Database, ToType: "postgresql", Rollback: true, Started: "2026-01-02T03:04:05Z"}
	if err := in.Write(path); err != nil {
		t.Fatal(err)
	}
	out, err := ReadJournal(path)
	if err != nil || *out != *in {
		t.Fatalf("read back %+v, %v; want %+v", out, err, in)
	}
	if !strings.Contains(out.String(), "from file to database (postgresql)") {
		t.Errorf("String() = %q", out.String())
	}
}

func TestReadJournalRefusesWhatIsNotOne(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"from":"file","to":"nowhere"}`), 0o644)
	if _, err := ReadJournal(bad); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("unknown backend: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("not json"), 0o644)
	if _, err := ReadJournal(garbage); err == nil {
		t.Error("garbage read as a journal")
	}
	link := filepath.Join(dir, "link.json")
	os.Symlink(bad, link)
	if _, err := ReadJournal(link); err == nil || !strings.Contains(err.Error(), "not a migration journal") {
		t.Errorf("a symbolic link was followed: %v", err)
	}
}

func TestRecovery(t *testing.T) {
	pg, sq := "postgresql", "sqlite"
	for _, c := range []struct {
		name           string
		j              Journal
		live, liveType string
		want           Recovery
	}{
		{"file to pg, killed before the switch", Journal{From: config.File, To: config.Database, ToType: pg, Rollback: true}, config.File, "",
			Recovery{ClearTarget: true}},
		{"file to pg, before the switch, no rollback", Journal{From: config.File, To: config.Database, ToType: pg}, config.File, "",
			Recovery{}},
		{"hybrid to pg, after the switch", Journal{From: config.Hybrid, To: config.Database, ToType: pg, Rollback: true}, config.Database, pg,
			Recovery{Landed: true, RemoveOldIndex: true}},
		{"pg to file, after the switch", Journal{From: config.Database, FromType: pg, To: config.File, Rollback: true}, config.File, "",
			Recovery{Landed: true, ClearSource: true}},
		{"pg to file, after the switch, --keep-source", Journal{From: config.Database, FromType: pg, To: config.File, KeepSource: true}, config.File, "",
			Recovery{Landed: true}},
		{"pg to hybrid, after the switch", Journal{From: config.Database, FromType: pg, To: config.Hybrid, Rollback: true}, config.Hybrid, "",
			Recovery{Landed: true, ClearSource: true, BuildIndex: true}},
		{"pg to file, before the switch", Journal{From: config.Database, FromType: pg, To: config.File, Rollback: true}, config.Database, pg,
			Recovery{}},
		{"sqlite to file, after the switch: the local file is left", Journal{From: config.Database, FromType: sq, To: config.File, Rollback: true}, config.File, "",
			Recovery{Landed: true}},
		{"sqlite to pg, before the switch", Journal{From: config.Database, FromType: sq, To: config.Database, ToType: pg, Rollback: true}, config.Database, sq,
			Recovery{ClearTarget: true}},
		{"sqlite to pg, after the switch", Journal{From: config.Database, FromType: sq, To: config.Database, ToType: pg, Rollback: true}, config.Database, pg,
			Recovery{Landed: true}},
		{"pg to sqlite, after the switch", Journal{From: config.Database, FromType: pg, To: config.Database, ToType: sq, Rollback: true}, config.Database, sq,
			Recovery{Landed: true, ClearSource: true}},
		{"pg to sqlite, after the switch, --keep-source", Journal{From: config.Database, FromType: pg, To: config.Database, ToType: sq, KeepSource: true}, config.Database, sq,
			Recovery{Landed: true}},
		{"file to hybrid, before the switch", Journal{From: config.File, To: config.Hybrid, Rollback: true}, config.File, "",
			Recovery{RemovePartialIndex: true}},
		{"hybrid to file, after the switch", Journal{From: config.Hybrid, To: config.File, Rollback: true}, config.File, "",
			Recovery{Landed: true, RemoveOldIndex: true}},
	} {
		if got := c.j.Recovery(c.live, c.liveType); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
