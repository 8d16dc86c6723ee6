package txn

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
)

// Values of Options.Sign.
const (
	SignByConfig = ""  // sign when commit.gpgSign is true
	SignNever    = "-" // never sign (--no-gpg-sign)
	SignDefault  = "*" // sign with the configured key (-S, --gpg-sign)
)

// settings are how one commit is made, from Options and git config.
type settings struct {
	sign     bool
	signKey  string // "" for git's choice (user.signingKey, else the committer)
	signoff  bool
	runHooks bool
}

func (tx *Tx) settings() (settings, error) {
	var s settings
	var err error
	switch tx.opts.Sign {
	case SignNever:
	case SignByConfig:
		if s.sign, err = tx.repo.ConfigBool("commit.gpgSign"); err != nil {
			return s, err
		}
	case SignDefault:
		s.sign = true
	default:
		s.sign, s.signKey = true, tx.opts.Sign
	}
	s.signoff = tx.opts.Signoff
	if !s.signoff {
		if s.signoff, err = tx.repo.ConfigBool("format.signOff"); err != nil {
			return s, err
		}
	}
	if s.runHooks, err = tx.repo.ConfigBool("milestone.runHooks"); err != nil {
		return s, err
	}
	return s, nil
}

// trailerLine matches a "Key: " trailer line (compiled on first use, not at
// every process start-up).
var trailerLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*: `) })

// withSignoff adds "Signed-off-by: <committer>" as git commit -s does: to
// the message's trailer block (a new paragraph if it has none), unless it
// is already the last trailer.
func withSignoff(message string, committer gitrepo.Signature) string {
	sob := fmt.Sprintf("Signed-off-by: %s <%s>", committer.Name, committer.Email)
	body := strings.TrimRight(message, "\n")
	paras := strings.Split(body, "\n\n")
	last := paras[len(paras)-1]
	lines := strings.Split(last, "\n")
	if lines[len(lines)-1] == sob {
		return body + "\n"
	}
	trailers := len(paras) > 1
	for _, l := range lines {
		if !trailerLine().MatchString(l) {
			trailers = false
		}
	}
	if trailers {
		return body + "\n" + sob + "\n"
	}
	return body + "\n\n" + sob + "\n"
}

// runPreCommitHooks runs pre-commit on the index being committed and
// commit-msg on the message, as git commit does, and returns the message
// as commit-msg left it.
func (tx *Tx) runPreCommitHooks(job *indexJob, message string, author, committer gitrepo.Signature) (string, error) {
	index, err := job.wait()
	if err != nil {
		return "", err
	}
	if out, err := tx.repo.RunHook("pre-commit", index, author, committer); err != nil {
		return "", err
	} else if out = strings.TrimSpace(out); out != "" {
		tx.opts.Warn(out)
	}
	msgFile := filepath.Join(tx.repo.GitDir, "COMMIT_EDITMSG")
	if err := os.WriteFile(msgFile, []byte(message), 0o666); err != nil {
		return "", fmt.Errorf("write %s: %w", msgFile, err)
	}
	if out, err := tx.repo.RunHook("commit-msg", index, author, committer, msgFile); err != nil {
		return "", err
	} else if out = strings.TrimSpace(out); out != "" {
		tx.opts.Warn(out)
	}
	b, err := os.ReadFile(msgFile)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", msgFile, err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", fmt.Errorf("the commit-msg hook left an empty message; nothing was committed")
	}
	return string(b), nil
}

// runPostCommitHook runs post-commit once the index lock is released; its
// exit status changes nothing, as for git commit.
func (tx *Tx) runPostCommitHook() {
	var zero gitrepo.Signature
	out, err := tx.repo.RunHook("post-commit", tx.indexPath(), zero, zero)
	if out = strings.TrimSpace(out); out != "" {
		tx.opts.Warn(out)
	} else if err != nil {
		tx.opts.Warn(err.Error())
	}
}
