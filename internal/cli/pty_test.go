//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controlling side and the
// terminal a child writes to.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 100}); err != nil {
		t.Fatal(err)
	}
	return ptmx, pts
}

// onTerminal runs git-milestone with stdout on a pseudo-terminal and
// returns what the terminal received.
func onTerminal(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ptmx, pts := openPTY(t)
	defer ptmx.Close()
	cmd := exec.Command("git-milestone", args...)
	cmd.Dir = dir
	cmd.Env = append(environWithout("GIT_PAGER", "PAGER"), env...)
	cmd.Stdin, cmd.Stdout = pts, pts
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&out, ptmx) // ends with EIO once the child and its pager are gone
		close(done)
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("git-milestone %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	<-done
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// environWithout is the process environment minus the named variables
// (set but empty is not the same as unset for GIT_PAGER).
func environWithout(names ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		keep := true
		for _, n := range names {
			keep = keep && k != n
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}

func TestPagerAndColourOnATerminal(t *testing.T) {
	if _, err := exec.LookPath("git-milestone"); err != nil {
		t.Skip("git-milestone is not on PATH (run through go test, which puts it there)")
	}
	dir := t.TempDir()
	base := []string{"HOME=" + dir, "GIT_CONFIG_NOSYSTEM=1", "NO_COLOR=", "CLICOLOR_FORCE=", "FAKE_TTY=", "COLUMNS=",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com",
		"GIT_PAGER_IN_USE=", "LESS="}
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), base...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("git", "init", "-q", "-b", "main")
	run("git-milestone", "init")
	run("git-milestone", "create", "Terminal test", "--id", "tty", "--priority", "critical")

	paged := append(base, "GIT_PAGER=sed s/^/PAGED:/")
	out := onTerminal(t, dir, paged, "list")
	if !strings.Contains(out, "PAGED:") || !strings.Contains(out, "\x1b[") || !strings.Contains(out, "Terminal test") {
		t.Errorf("list on a terminal: want paged and coloured, got %q", out)
	}
	out = onTerminal(t, dir, paged, "--no-pager", "list")
	if strings.Contains(out, "PAGED:") || !strings.Contains(out, "\x1b[1mID") {
		t.Errorf("--no-pager on a terminal: want coloured, not paged, got %q", out)
	}
	out = onTerminal(t, dir, append(paged, "NO_COLOR=1"), "list")
	if !strings.Contains(out, "PAGED:") || strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR on a terminal: want paged without colour, got %q", out)
	}
	out = onTerminal(t, dir, append(paged, "NO_COLOR=1"), "--color=always", "show", "tty")
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("--color=always beats NO_COLOR: got %q", out)
	}
	out = onTerminal(t, dir, append(base, "GIT_PAGER="), "list")
	if !strings.Contains(out, "Terminal test") {
		t.Errorf("GIT_PAGER empty: got %q", out)
	}
	out = onTerminal(t, dir, append(base, "GIT_PAGER=cat"), "list")
	if !strings.Contains(out, "Terminal test") || strings.Contains(out, "PAGED:") {
		t.Errorf("GIT_PAGER=cat: got %q", out)
	}
	// The default pager is less with LESS=FRX: short output is shown and
	// less quits by itself.
	if _, err := exec.LookPath("less"); err == nil {
		out = onTerminal(t, dir, base, "show", "tty")
		if !strings.Contains(out, "Terminal test") {
			t.Errorf("less -FRX: got %q", out)
		}
	}
	// A real terminal, piped: no pager, no colour.
	cmd := exec.Command("git-milestone", "list")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), paged...)
	piped, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(piped, []byte("PAGED:")) || bytes.Contains(piped, []byte("\x1b[")) {
		t.Errorf("piped: got %q", piped)
	}
}
