//go:build !linux

package gitrepo

import "os"

// statData is what git records of a file in an index entry.
type statData struct {
	ctimeSec, ctimeNsec, mtimeSec, mtimeNsec uint32
	dev, ino, uid, gid, size                 uint32
}

// statOf is not implemented here: SetIndexStat asks git instead.
func statOf(os.FileInfo) (statData, bool) { return statData{}, false }
