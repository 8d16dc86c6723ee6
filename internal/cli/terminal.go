package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rivo/uniseg"
	"golang.org/x/term"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// terminal is the output side of one run: stdout buffered (one write per
// screenful instead of one per row), stderr flushing stdout first so the
// two stay in order, and the pager when one runs.
type terminal struct {
	raw     io.Writer     // the process's stdout
	buf     *bufio.Writer // what env.Stdout writes to
	colour  string        // auto, always or never (--color)
	noPager bool          // --no-pager
	pager   *exec.Cmd
	pipe    io.WriteCloser
	painted *bool // the colour decision, once made
}

// outputBuffer is the size of the stdout buffer: about one screenful.
const outputBuffer = 8 << 10

// flushFirst is stderr: it flushes stdout before every write.
type flushFirst struct {
	t *terminal
	w io.Writer
}

func (f flushFirst) Write(p []byte) (int, error) {
	f.t.flush()
	return f.w.Write(p)
}

// setupTerminal buffers env.Stdout and makes env.Stderr flush it first.
func setupTerminal(env *Env, colour string, noPager bool) *terminal {
	t := &terminal{raw: env.Stdout, colour: colour, noPager: noPager}
	t.buf = bufio.NewWriterSize(env.Stdout, outputBuffer)
	env.Stdout = t.buf
	env.Stderr = flushFirst{t: t, w: env.Stderr}
	env.term = t
	return t
}

// flush writes what stdout holds; commands call it before a prompt or an
// editor takes the terminal.
func (t *terminal) flush() {
	if t != nil {
		t.buf.Flush()
	}
}

// close flushes stdout and waits for the pager to finish.
func (t *terminal) close() {
	t.flush()
	if t.pager != nil {
		t.pipe.Close()
		t.pager.Wait()
		t.pager = nil
	}
}

// flush writes buffered stdout (before an editor or a prompt).
func (env *Env) flush() {
	if env.term != nil {
		env.term.flush()
	}
}

// pagerCommand picks the pager as git does: GIT_PAGER, core.pager, PAGER,
// then less. "" or "cat" means none.
func pagerCommand(env *Env) string {
	if v, ok := lookupEnv(env, "GIT_PAGER"); ok {
		return v
	}
	if v, err := env.gitConfig("core.pager"); err == nil && v != "" {
		return v
	}
	if v, ok := lookupEnv(env, "PAGER"); ok {
		return v
	}
	if _, err := exec.LookPath("less"); err != nil {
		return "" // no less here: output stays on the terminal rather than lost
	}
	return "less"
}

// gitConfig reads a git config value of the repository around env.Dir:
// from the repository the command opened, if it opened one (its config is
// read once), else from a fresh look.
func (env *Env) gitConfig(key string) (string, error) {
	repo := env.repo
	if repo == nil {
		var err error
		if repo, err = gitrepo.Open(env.Dir); err != nil {
			return "", err
		}
	}
	return repo.ConfigGet(key)
}

// lookupEnv is os.LookupEnv through env.Getenv: a variable set to the
// empty string counts as set only where the process environment says so.
func lookupEnv(env *Env, key string) (string, bool) {
	v := env.Getenv(key)
	if v != "" {
		return v, true
	}
	if env.LookupEnv != nil {
		return env.LookupEnv(key)
	}
	return "", false
}

// startPager sends stdout through the pager when stdout is a terminal, as
// git does for log, show and diff. It is a no-op when piped, with
// --no-pager, or when git already runs a pager (GIT_PAGER_IN_USE).
func (env *Env) startPager() {
	t := env.term
	if t == nil || t.noPager || !env.StdoutTTY || t.pager != nil {
		return
	}
	if v := env.Getenv("GIT_PAGER_IN_USE"); v == "true" || v == "1" {
		return
	}
	p := strings.TrimSpace(pagerCommand(env))
	if p == "" || p == "cat" {
		return
	}
	cmd := exec.Command("sh", "-c", p)
	cmd.Env = os.Environ()
	if env.Getenv("LESS") == "" {
		cmd.Env = append(cmd.Env, "LESS=FRX")
	}
	if env.Getenv("LV") == "" {
		cmd.Env = append(cmd.Env, "LV=-c")
	}
	cmd.Env = append(cmd.Env, "GIT_PAGER_IN_USE=true")
	cmd.Stdout = t.raw
	if f, ok := env.stderrRaw.(*os.File); ok {
		cmd.Stderr = f
	} else {
		cmd.Stderr = env.stderrRaw
	}
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return
	}
	if err := cmd.Start(); err != nil {
		env.warn(fmt.Sprintf("pager %q: %v", p, err))
		return
	}
	t.flush()
	t.pager, t.pipe = cmd, pipe
	t.buf.Reset(pipe)
}

// color decides whether to colour stdout: --color=always|never wins, then
// NO_COLOR (set and non-empty: never), CLICOLOR_FORCE (always), then git's
// color.ui (always, never/false, auto/true), then auto: when stdout is a
// terminal (or a pager we started).
func (env *Env) color() bool {
	if env.term == nil {
		return env.decideColor("")
	}
	if env.term.painted == nil {
		v := env.decideColor(env.term.colour)
		env.term.painted = &v
	}
	return *env.term.painted
}

func (env *Env) decideColor(mode string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if env.Getenv("NO_COLOR") != "" {
		return false
	}
	if v := env.Getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if mode == "" {
		if v, err := env.gitConfig("color.ui"); err == nil {
			switch strings.ToLower(v) {
			case "always":
				return true
			case "never", "false", "no", "off", "0":
				return false
			}
		}
	}
	return env.StdoutTTY
}

// width is the terminal width for tables: COLUMNS, then the terminal's
// size; 0 (no limit) when stdout is not a terminal.
func (env *Env) width() int {
	if n, err := strconv.Atoi(env.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if !env.StdoutTTY {
		return 0
	}
	if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}

// displayWidth is the number of terminal columns s takes.
func displayWidth(s string) int { return uniseg.StringWidth(s) }

// truncateWidth cuts s to at most w columns on a grapheme boundary, ending
// with "…" when it cut.
func truncateWidth(s string, w int) string {
	if w <= 0 || displayWidth(s) <= w {
		return s
	}
	var b strings.Builder
	used := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		cw := g.Width()
		if used+cw > w-1 {
			break
		}
		b.WriteString(g.Str())
		used += cw
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// padRight pads s with spaces to w columns.
func padRight(s string, w int) string {
	if d := w - displayWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}
