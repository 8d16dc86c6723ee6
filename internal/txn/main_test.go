package txn_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
	"github.com/git-milestone/git-milestone/internal/txn"
)

// TestMain doubles as the worker process of the concurrency tests: when
// TXN_TEST_WORKER is set, the test binary makes commits and exits.
func TestMain(m *testing.M) {
	if os.Getenv("TXN_TEST_KILLPOINT") != "" {
		if err := killWorker(); err != nil {
			fmt.Fprintln(os.Stderr, "kill worker:", err)
		}
		os.Exit(1)
	}
	if os.Getenv("TXN_TEST_WORKER") != "" {
		if err := worker(); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// worker makes TXN_WORKER_N commits, each creating
// .milestones/active/w<id>-<i>.yaml, in the repository TXN_WORKER_DIR.
func worker() error {
	dir, id := os.Getenv("TXN_WORKER_DIR"), os.Getenv("TXN_TEST_WORKER")
	n, err := strconv.Atoi(os.Getenv("TXN_WORKER_N"))
	if err != nil {
		return err
	}
	retries := 0
	defer func() { fmt.Println(retries) }()
	for i := 0; i < n; i++ {
		r, err := gitrepo.Open(dir)
		if err != nil {
			return err
		}
		tx, err := txn.Begin(context.Background(), r, txn.Options{IndexLockTimeout: 20 * time.Second, LockTimeout: 120 * time.Second})
		if err != nil {
			return err
		}
		name := fmt.Sprintf("w%s-%d", id, i)
		res, err := tx.Commit("milestone("+name+"): create\n\nMilestone-Id: "+name+"\n",
			[]txn.Change{{Path: ".milestones/active/" + name + ".yaml", Content: []byte("title: " + name + "\n")}})
		retries += res.Retries
		if cerr := tx.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
