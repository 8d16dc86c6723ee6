package merge

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMergeLines(t *testing.T) {
	opt := LineOptions{OursLabel: "ours", TheirsLabel: "theirs"}
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string
		conflicts          int
	}{
		{"ours only", "a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\n", "a\nB\nc\n", 0},
		{"theirs only", "a\nb\nc\n", "a\nb\nc\n", "a\nb\nC\n", "a\nb\nC\n", 0},
		{"both apart", "a\nb\nc\nd\ne\n", "A\nb\nc\nd\ne\n", "a\nb\nc\nd\nE\n", "A\nb\nc\nd\nE\n", 0},
		{"same change", "a\nb\n", "a\nX\n", "a\nX\n", "a\nX\n", 0},
		{"overlap", "a\nb\nc\n", "a\nO\nc\n", "a\nT\nc\n", "a\n<<<<<<< ours\nO\n=======\nT\n>>>>>>> theirs\nc\n", 1},
		{"adjacent lines conflict", "a\nb\nc\nd\n", "a\nB\nc\nd\n", "a\nb\nC\nd\n", "a\n<<<<<<< ours\nB\nc\n=======\nb\nC\n>>>>>>> theirs\nd\n", 1},
		{"no final newline", "a\n", "a\nb", "a\nc", "a\n<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n", 1},
		{"empty base add/add", "", "x\ny\n", "x\nz\n", "x\n<<<<<<< ours\ny\n=======\nz\n>>>>>>> theirs\n", 1},
		{"delete vs edit", "a\nb\nc\n", "a\nc\n", "a\nB\nc\n", "a\n<<<<<<< ours\n=======\nB\n>>>>>>> theirs\nc\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lm := MergeLines([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs))
			if got := string(lm.Text(opt)); got != tt.want {
				t.Errorf("text:\n%s\nwant:\n%s", got, tt.want)
			}
			if lm.Conflicts() != tt.conflicts {
				t.Errorf("conflicts = %d, want %d", lm.Conflicts(), tt.conflicts)
			}
		})
	}
}

// TestMergeLinesLikeGit compares MergeLines with `git merge-file -p` on
// random edits of random texts: the same conflict status, and the same text
// when lines are distinct enough for the alignment to be unique.
func TestMergeLinesLikeGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewSource(7))
	n := 300
	if testing.Short() {
		n = 50
	}
	same, sameStatus := 0, 0
	for i := 0; i < n; i++ {
		base := randomLines(rng, rng.Intn(12))
		ours := mutate(rng, base)
		theirs := mutate(rng, base)
		write := func(name string, lines []string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
		po, pb, pt := write("ours", ours), write("base", base), write("theirs", theirs)
		out, err := exec.Command("git", "merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs", po, pb, pt).Output()
		gitConflict := false
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
			gitConflict = true
		} else if err != nil {
			t.Fatal(err)
		}
		lm := mergeLineSlices(base, ours, theirs)
		got := lm.Text(LineOptions{OursLabel: "ours", TheirsLabel: "theirs"})
		if (lm.Conflicts() > 0) != gitConflict {
			t.Errorf("case %d: conflict %v, git %v\nbase:\n%sours:\n%stheirs:\n%sgot:\n%sgit:\n%s", i, lm.Conflicts() > 0, gitConflict,
				strings.Join(base, ""), strings.Join(ours, ""), strings.Join(theirs, ""), got, out)
			continue
		}
		sameStatus++
		if bytes.Equal(got, out) {
			same++
		} else if !gitConflict {
			t.Errorf("case %d: clean merges differ\nbase:\n%sours:\n%stheirs:\n%sgot:\n%sgit:\n%s", i,
				strings.Join(base, ""), strings.Join(ours, ""), strings.Join(theirs, ""), got, out)
		}
	}
	t.Logf("%d/%d same status, %d/%d identical text", sameStatus, n, same, n)
	if same < n*9/10 {
		t.Errorf("only %d of %d merges match git's text", same, n)
	}
}

func randomLines(rng *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("line %d\n", rng.Intn(1000))
	}
	return out
}

// mutate applies a few random edits: replace, delete, insert.
func mutate(rng *rand.Rand, in []string) []string {
	out := append([]string(nil), in...)
	for k := rng.Intn(3); k > 0; k-- {
		p := rng.Intn(len(out) + 1)
		switch rng.Intn(3) {
		case 0:
			if p < len(out) {
				out[p] = fmt.Sprintf("edit %d\n", rng.Intn(1000))
			}
		case 1:
			if p < len(out) {
				out = append(out[:p], out[p+1:]...)
			}
		default:
			out = append(out[:p], append([]string{fmt.Sprintf("new %d\n", rng.Intn(1000))}, out[p:]...)...)
		}
	}
	return out
}
