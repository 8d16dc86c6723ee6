package cli

import (
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// editDistance is the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours each cost 1).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// similar returns the candidates close to word: those within an edit
// distance that grows with the word's length, or that start with it;
// nearest first.
func similar(word string, candidates []string) []string {
	limit := max(1, len([]rune(word))/3)
	type hit struct {
		name string
		dist int
	}
	var hits []hit
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] || c == "" {
			continue
		}
		seen[c] = true
		d := editDistance(word, c)
		if d <= limit || (len(word) >= 2 && strings.HasPrefix(c, word)) {
			hits = append(hits, hit{c, d})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].dist != hits[j].dist {
			return hits[i].dist < hits[j].dist
		}
		return hits[i].name < hits[j].name
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.name
	}
	return out
}

// suggestionText formats suggestions as git does after an unknown command.
func suggestionText(kind string, names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return "\n\nThe most similar " + kind + " is\n\t" + names[0]
	}
	return "\n\nThe most similar " + kind + "s are\n\t" + strings.Join(names, "\n\t")
}

// commandSuggestion proposes visible commands close to name.
func commandSuggestion(name string, cmds []*cli.Command) string {
	var names []string
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		names = append(names, c.Name)
		names = append(names, c.Aliases...)
	}
	return suggestionText("command", similar(name, names))
}

const undefinedFlag = "flag provided but not defined: "

// usageErrorText words urfave/cli's flag errors as git does.
func usageErrorText(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, undefinedFlag); ok {
		name = strings.TrimLeft(name, "-")
		if len(name) == 1 {
			return "unknown switch -" + name
		}
		return "unknown option --" + name
	}
	return msg
}

// flagSuggestion proposes flags close to the unknown one named in err
// ("flag provided but not defined: -titel").
func flagSuggestion(err error, flags []cli.Flag) string {
	name, ok := strings.CutPrefix(err.Error(), undefinedFlag)
	if !ok {
		return ""
	}
	name = strings.TrimLeft(name, "-")
	var names []string
	for _, f := range flags {
		for _, n := range flagNames(f) {
			if len(n) > 1 {
				names = append(names, n)
			}
		}
	}
	var out []string
	for _, s := range similar(name, names) {
		out = append(out, "--"+s)
	}
	return suggestionText("option", out)
}
