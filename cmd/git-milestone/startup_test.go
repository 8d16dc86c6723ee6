package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every process pays for the packages it links (their init functions, the
// pages of code and data they touch first): these are kept out of the
// binary. go-git's top-level package linked its transports, ssh and
// openpgp; gitrepo uses its object storage and configuration parser only.
func TestStartupDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command("go", "list", "-tags", "urfave_cli_no_docs", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range deps {
		for _, banned := range []string{"github.com/go-git/go-git/v5", "github.com/go-git/go-git/v5/plumbing/transport/",
			"github.com/go-git/go-git/v5/plumbing/object", "github.com/ProtonMail/", "golang.org/x/crypto/ssh", "github.com/kevinburke/ssh_config"} {
			if p == banned || strings.HasPrefix(p, banned) && strings.HasSuffix(banned, "/") {
				t.Errorf("the binary links %s", p)
			}
		}
	}
	if len(deps) < 100 {
		t.Fatalf("only %d packages listed: the listing is wrong", len(deps))
	}
}

// Regular expressions at package level are compiled before main runs, in
// every process, used or not: ours are compiled on first use.
func TestNoRegexpCompiledAtInit(t *testing.T) {
	root := filepath.Join("..", "..", "internal")
	allowed := map[string]bool{}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		rel, _ := filepath.Rel(root, path)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			ast.Inspect(gd, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false // compiled when the function runs
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "MustCompile") {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && !allowed[filepath.ToSlash(rel)] {
						t.Errorf("%s: a regexp compiled at package level (use sync.OnceValue)", path)
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files found under %s: the walk is wrong", files, root)
	}
}
