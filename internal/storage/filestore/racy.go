package filestore

import "time"

// Stat data alone cannot tell a file apart from one rewritten, with the
// same size, in the same timestamp tick as the moment it was checked: such
// an entry is "racy" (git's word) and is checked by content until its
// times are old enough. How old depends on the file system's timestamps:
//
//   - Fine ones (nanoseconds, as ext4, xfs, btrfs, tmpfs keep them) are set
//     from the kernel's coarse clock, which lags the wall clock by at most
//     one timer tick (10 ms at HZ=100, the coarsest). A write after the
//     check at wall time t gets a time above t minus one tick; FineRacyMargin
//     is a few ticks.
//   - Coarse ones (whole seconds: FAT, ext3's small inodes, HFS+) show no
//     nanoseconds; CoarseRacyMargin covers FAT's two seconds.
const (
	FineRacyMargin   = int64(25 * time.Millisecond)
	CoarseRacyMargin = int64(2 * time.Second)
)

// Racy reports whether stat data with these modification and change times
// (ns since the epoch), read after the wall clock said checked, could miss
// a write made in the same timestamp tick.
func Racy(mtime, ctime, checked int64) bool {
	margin := FineRacyMargin
	if mtime%int64(time.Second) == 0 || ctime%int64(time.Second) == 0 {
		margin = CoarseRacyMargin
	}
	return max(mtime, ctime)+margin >= checked
}
