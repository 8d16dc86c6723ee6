// Package migrate moves the milestones of a repository between backends:
// the plan, the backup, the copy, its verification, the switch commit,
// the rollback, the journal that lets a killed migration be finished or
// undone, and the automatic file <-> hybrid switch. The steps (Run over a
// Mover, Verifier, Backup) know storage.Record only; Migration picks the
// Mover of a direction and opens the stores through internal/opener. The
// command line parses the flags and draws what Hooks report.
package migrate

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/git-milestone/git-milestone/internal/milestone"
	"github.com/git-milestone/git-milestone/internal/safefs"
	"github.com/git-milestone/git-milestone/internal/storage"
)

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
