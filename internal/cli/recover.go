package cli

import (
	"context"
	"fmt"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/migrate"
	"github.com/git-milestone/git-milestone/internal/opener"
)

// recoverInterruptedCommit finishes or undoes a tool commit whose process
// died (kill -9) while it held .git/index.lock, before anything reads the
// work tree: a switch commit killed between moving the branch and
// renaming the files would otherwise leave storage-backend.txt and the
// YAML files disagreeing with HEAD. It only acts when index.lock exists and
// was left by a git-milestone process that is gone (the transaction's recovery);
// a lock held by git or a live process is left alone, without waiting.
func recoverInterruptedCommit(ctx context.Context, env *Env, repo *gitrepo.Repo) {
	opener.RecoverInterruptedCommit(ctx, repo, env.Getenv, env.warn)
}

// interruptedMigration reports an interrupted migration for fsck: the
// journal is there and no migration holds the lock.
func (s *session) interruptedMigration() (*migrate.Journal, error) {
	return migrate.Interrupted(s.repo)
}

// finishInterruptedLocked takes the migration lock and finishes or undoes
// an interrupted migration (migrate.FinishInterrupted), reporting what it
// did ("" when there was none).
func (s *session) finishInterruptedLocked(ctx context.Context) (string, error) {
	return migrate.FinishInterrupted(ctx, s.migrationOptions())
}

// finishInterruptedMigration completes or undoes a migration a killed
// process left (its journal is in the git directory), before a migration
// looks at what it has to do, and says what it did on stderr.
func (s *session) finishInterruptedMigration(ctx context.Context) error {
	if j, err := migrate.ReadJournal(migrate.JournalPath(s.repo)); err != nil || j == nil {
		return err
	}
	msg, err := s.finishInterruptedLocked(ctx)
	if err != nil {
		return err
	}
	if msg != "" {
		fmt.Fprintln(s.env.Stderr, msg)
	}
	return nil
}
