// Package migrate moves the milestones of a repository between backends:
// the plan, the backup, the copy, its verification, the switch commit,
// the rollback, the journal that lets a killed migration be finished or
// undone, and the automatic file <-> hybrid switch. The steps (Run over a
// Mover, Verify, Backup) know storage.Record only; Migration picks the
// Mover of a direction and opens the stores through internal/opener. The
// command line parses the flags and draws what Hooks report.
package migrate

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

// Hash is the content hash of one milestone: its document, byte for byte.
func Hash(r storage.Record) string {
	h := sha256.Sum256(r.Source)
	return hex.EncodeToString(h[:])
}

// Mismatch is one difference found by Verify.
type Mismatch struct {
	ID     string
	Reason string
}

// VerifyError lists every difference between a source and its copy.
type VerifyError struct{ Mismatches []Mismatch }

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verification failed: %d milestone(s) differ", len(e.Mismatches))
	for i, m := range e.Mismatches {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Mismatches)-5)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", m.ID, m.Reason)
	}
	return b.String()
}

// Verify checks that dst holds exactly the milestones of src: the same ids,
// the same document bytes (content hash) and the same parsed fields,
// including unknown keys and timestamps.
func Verify(src, dst []storage.Record) error {
	byID := make(map[string]int, len(dst)) // indexes: a map of records copies them all
	for i := range dst {
		byID[dst[i].Milestone.ID] = i
	}
	var bad []Mismatch
	for i := range src {
		s := &src[i]
		id := s.Milestone.ID
		j, ok := byID[id]
		if !ok {
			bad = append(bad, Mismatch{id, "missing in the copy"})
			continue
		}
		d := &dst[j]
		delete(byID, id)
		if !bytes.Equal(s.Source, d.Source) {
			bad = append(bad, Mismatch{id, "document content differs"})
			continue
		}
		if !sameFields(&s.Milestone, &d.Milestone) {
			bad = append(bad, Mismatch{id, "fields differ"})
		}
	}
	for id := range byID {
		bad = append(bad, Mismatch{id, "only in the copy"})
	}
	if len(bad) > 0 {
		sort.Slice(bad, func(i, j int) bool { return bad[i].ID < bad[j].ID })
		return &VerifyError{Mismatches: bad}
	}
	return nil
}

// sameFields reports whether a and b have the same JSON object. Without
// unknown keys the known fields are compared directly (equal fields give
// equal objects; encoding both costs ~40 us, 4 s of CPU at 100,000); when
// they differ, or either has unknown keys, the objects are compared.
func sameFields(a, b *milestone.Milestone) bool {
	if len(a.Extra) == 0 && len(b.Extra) == 0 && milestone.SameKnown(a, b) {
		return true
	}
	aj, err1 := a.JSON()
	bj, err2 := b.JSON()
	return err1 == nil && err2 == nil && bytes.Equal(aj, bj)
}

// BackupFile is the archive Backup writes in its folder.
const BackupFile = "milestones.tar"

// Backup writes every record's document into dir/milestones.tar as
// <folder>/<id>.yaml (the layout of .milestones/, so `tar -xf` restores
// it), plus a MANIFEST of content hashes, synced to disk, and returns how
// many documents it wrote. One archive, not one file per milestone:
// creating 10,000 files costs seconds. dir is a folder of the untrusted
// tree t (".milestones/backups/<name>"): a link on the way is refused.
func Backup(t safefs.Tree, dir string, recs []storage.Record) (int, error) {
	if err := t.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	f, err := t.OpenFile(path.Join(filepath.ToSlash(dir), BackupFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(bw)
	var manifest strings.Builder
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, r := range recs {
		if err := milestone.ValidateID(r.Milestone.ID); err != nil {
			return 0, fmt.Errorf("backup: %w", err)
		}
		name := r.Milestone.Status.Folder() + "/" + r.Milestone.ID + ".yaml"
		if err := add(name, r.Source); err != nil {
			return 0, fmt.Errorf("backup %s: %w", r.Milestone.ID, err)
		}
		fmt.Fprintf(&manifest, "%s  %s\n", Hash(r), name)
	}
	if err := add("MANIFEST", []byte(manifest.String())); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return len(recs), f.Close()
}

// newBackupDir returns base/name, or base/name-N when a backup of the same
// second (a re-run) already took that name (paths in t, slash-separated).
func newBackupDir(t safefs.Tree, base, name string) string {
	dir := base + "/" + name
	for n := 2; ; n++ {
		if _, err := t.Lstat(dir); err != nil {
			return dir // absent (or refused: Backup says why)
		}
		dir = fmt.Sprintf("%s/%s-%d", base, name, n)
	}
}

// backupInvalid copies the documents that could not be read, byte for
// byte, into <dir>/invalid/<their path>. Links and special files are
// skipped (never followed).
func backupInvalid(t safefs.Tree, dir string, problems []storage.Problem) error {
	for _, p := range problems {
		rel := filepath.FromSlash(p.Path)
		if p.Path == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
			continue
		}
		data, err := t.ReadFile(p.Path)
		if errors.Is(err, safefs.ErrRefused) || errors.Is(err, fs.ErrNotExist) {
			continue // a link (never followed) or a vanished file
		}
		if err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
		if err := t.WriteFile(dir+"/invalid/"+p.Path, data, 0o644); err != nil {
			return fmt.Errorf("backup %s: %w", p.Path, err)
		}
	}
	return nil
}
