package cli

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOneOpener holds the layering of the storage: the command line knows
// the storage interface and internal/opener, never a concrete backend or
// the transactions they commit with. What it needs beyond storage.Backend
// it asserts as storage's optional interfaces.
func TestOneOpener(t *testing.T) {
	const module = "github.com/git-milestone/git-milestone/internal/"
	forbidden := []string{"storage/dbstore", "storage/filestore", "storage/hybrid", "index", "txn"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d Go files in internal/cli: is the test running in its own folder?", len(files))
	}
	sawOpener := false
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == module+"opener" {
				sawOpener = true
			}
			for _, bad := range forbidden {
				if p == module+bad || strings.HasPrefix(p, module+bad+"/") {
					t.Errorf("%s imports %s: the command line opens backends through internal/opener and asserts storage's optional interfaces", path, p)
				}
			}
		}
	}
	if !sawOpener {
		t.Error("no file of internal/cli imports internal/opener: how are backends opened?")
	}
}
