package gitrepo

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// AutoMaintenance does what git's porcelain does after a commit: unless
// maintenance.auto is false, it starts `git maintenance run --auto
// --quiet` (which runs `git gc --auto`, honouring gc.auto, gc.autoPackLimit
// and gc.autoDetach), detached from this process, its output discarded,
// and does not wait for it. So that a commit does not pay for a process
// when there is nothing to do, git is only started when gc --auto would
// find work: more loose objects than gc.auto (sampled in objects/17, as
// git does) or more packs than gc.autoPackLimit. gc.auto=0 disables it.
// It reports whether git was started.
func (r *Repo) AutoMaintenance() bool {
	if v, err := r.ConfigGet("maintenance.auto"); err != nil || (v != "" && !parseBool(v)) {
		return false
	}
	if !r.gcWanted() {
		return false
	}
	cmd := r.command(nil, "maintenance", "run", "--auto", "--quiet")
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer devnull.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false
	}
	go cmd.Wait() // reap it if we are still running when it ends
	return true
}

// gcWanted is git's need_to_gc test without running git.
func (r *Repo) gcWanted() bool {
	limit := 6700
	if v, _ := r.ConfigGet("gc.auto"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return true // let git judge what it means
		}
		limit = n
	}
	if limit <= 0 {
		return false
	}
	packLimit := 50
	if v, _ := r.ConfigGet("gc.autoPackLimit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			packLimit = n
		}
	}
	if packLimit > 0 {
		packs, _ := filepath.Glob(filepath.Join(r.ObjectDir, "pack", "*.idx"))
		if len(packs) > packLimit {
			return true
		}
	}
	entries, err := os.ReadDir(filepath.Join(r.ObjectDir, "17"))
	if err != nil {
		return false
	}
	threshold := (limit + 255) / 256
	n := 0
	for _, e := range entries {
		if len(e.Name()) == 38 {
			n++
		}
	}
	return n > threshold
}
