package gitrepo_test

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/git-milestone/git-milestone/internal/gitrepo"
	"github.com/git-milestone/git-milestone/internal/gitrepo/gittest"
)

// TestPackedObjectsLikeGit packs a history full of deltas (offset deltas,
// then ref deltas) and reads every object back, comparing type and content
// with `git cat-file --batch`.
func TestPackedObjectsLikeGit(t *testing.T) {
	for _, ofs := range []bool{true, false} {
		t.Run(fmt.Sprintf("ofs-delta=%v", ofs), func(t *testing.T) {
			dir := gittest.Init(t)
			body := strings.Repeat("a line of milestone text that repeats\n", 200)
			for i := 0; i < 30; i++ {
				gittest.Commit(t, dir, fmt.Sprintf("c%d", i), map[string]string{
					".milestones/active/big.yaml":                    body + fmt.Sprintf("progress: %d\n", i),
					fmt.Sprintf(".milestones/active/m-%02d.yaml", i): fmt.Sprintf("title: %d\n", i),
				})
			}
			git(t, dir, "config", "repack.useDeltaBaseOffset", strconv.FormatBool(ofs))
			git(t, dir, "repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=50")
			git(t, dir, "prune-packed")
			ids := strings.Fields(git(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"))
			if len(ids) < 100 {
				t.Fatalf("only %d objects", len(ids))
			}
			deltas := git(t, dir, "verify-pack", "-v", mustGlob(t, dir))
			if !strings.Contains(deltas, "chain length") {
				t.Fatalf("no deltas in the pack:\n%s", deltas)
			}
			r, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			want := catFileBatch(t, dir, ids)
			for i, id := range ids {
				o, ok, err := r.ReadPackedOnly(id)
				if err != nil || !ok {
					t.Fatalf("%s: found %v, %v", id, ok, err)
				}
				if o.Type != want[i].typ || string(o.Data) != want[i].data {
					t.Fatalf("%s: got %s (%d bytes), git says %s (%d bytes)", id, o.Type, len(o.Data), want[i].typ, len(want[i].data))
				}
			}
		})
	}
}

func mustGlob(t *testing.T, dir string) string {
	t.Helper()
	out := git(t, dir, "rev-parse", "--git-path", "objects/pack")
	list, err := exec.Command("sh", "-c", "ls "+dir+"/"+out+"/*.idx").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(list))[0]
}

type catObj struct{ typ, data string }

func catFileBatch(t *testing.T, dir string, ids []string) []catObj {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(strings.Join(ids, "\n") + "\n")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	var res []catObj
	for range ids {
		head, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(head)
		n, _ := strconv.Atoi(f[2])
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		res = append(res, catObj{typ: f[1], data: string(buf[:n])})
	}
	cmd.Wait()
	return res
}
