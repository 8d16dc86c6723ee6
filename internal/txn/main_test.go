package txn_test

import (
	"os"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

func TestMain(m *testing.M) {
	cleanup := gittest.Isolate()
	code := m.Run()
	cleanup()
	os.Exit(code)
}
