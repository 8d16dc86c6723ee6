package safefs

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// The program's one atomic file writer: the data goes to a fresh
// temporary file beside the target, which is synced and then renamed over
// the target, so a reader sees the old file or the new one, never part of
// one. Tree.WriteFile uses it inside an untrusted folder; WriteFile for a
// path outside one.

// FileOptions tune WriteFile.
type FileOptions struct {
	// Perm is the new file's mode before the umask; 0 means 0o666.
	Perm fs.FileMode
	// Chmod sets exactly Perm, whatever the umask (an executable hook, a
	// file the user asked for).
	Chmod bool
	// NoSync skips the fsync, for a cache: a crash may then lose the new
	// content (never leave a partial file in place).
	NoSync bool
}

// WriteFile replaces the file at path, which is outside any untrusted
// folder (a file the user named, as with export -o, or one in the git
// directory), with data atomically. A link at path is replaced, not
// followed; a link in the folders above it is followed, as the user's own
// paths are.
func WriteFile(path string, data []byte, opts FileOptions) error {
	perm := opts.Perm
	if perm == 0 {
		perm = 0o666
	}
	err := writeAtomic(atomicDir{
		create: func(tmp string) (*os.File, error) {
			return os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, perm)
		},
		rename: os.Rename,
		remove: os.Remove,
	}, path, data, chmodTo(opts.Chmod, perm), !opts.NoSync)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// atomicDir is the folder an atomic write happens in: an os.Root (for a
// Tree) or the plain file system.
type atomicDir struct {
	create func(tmp string) (*os.File, error) // a new file, exclusively
	rename func(oldname, newname string) error
	remove func(name string) error
}

// writeAtomic writes data to a fresh temporary name beside name, sets its
// mode (if chmod is not 0), syncs it (if sync), and renames it over name.
// On failure the temporary file is removed and name is untouched.
func writeAtomic(d atomicDir, name string, data []byte, chmod fs.FileMode, sync bool) error {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := fmt.Sprintf("%s.tmp-%d-%s", name, os.Getpid(), hex.EncodeToString(rnd[:]))
	f, err := d.create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && chmod != 0 {
		err = f.Chmod(chmod)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.rename(tmp, name)
	}
	if err != nil {
		d.remove(tmp)
		return err
	}
	return nil
}

func chmodTo(chmod bool, perm fs.FileMode) fs.FileMode {
	if chmod {
		return perm
	}
	return 0
}
