package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"

	"github.com/git-milestone/git-milestone/internal/safefs"
)

// CRLFOnCheckout reports, for each path (repository-relative,
// slash-separated), whether git's checkout writes its text with CRLF line
// endings, from core.autocrlf, core.eol and the text, eol and crlf
// attributes, following git's convert.c. A text file is assumed (no NUL
// bytes, no CR in the blob), which is what the tool writes. When no
// setting or attribute file could ask for CRLF, git is not asked.
func (r *Repo) CRLFOnCheckout(paths []string) (map[string]bool, error) {
	out := make(map[string]bool, len(paths))
	if len(paths) == 0 {
		return out, nil
	}
	autocrlf, err := r.ConfigGet("core.autocrlf")
	if err != nil {
		return nil, err
	}
	coreEOL, err := r.ConfigGet("core.eol")
	if err != nil {
		return nil, err
	}
	autocrlf = strings.ToLower(strings.TrimSpace(autocrlf))
	if autocrlf != "input" {
		if parseBool(autocrlf) {
			autocrlf = "true"
		} else {
			autocrlf = "false"
		}
	}
	coreEOL = strings.ToLower(strings.TrimSpace(coreEOL))
	if autocrlf != "true" && coreEOL != "crlf" && !r.mayHaveEOLAttributes(paths) {
		return out, nil
	}
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString(p + "\x00")
	}
	res, err := r.git(nil, &in, "check-attr", "-z", "--stdin", "text", "eol", "crlf")
	if err != nil {
		return nil, fmt.Errorf("read line-ending attributes: %w", err)
	}
	// -z output: path NUL attribute NUL value NUL, repeated.
	f := strings.Split(string(res), "\x00")
	attrs := map[string]map[string]string{}
	for i := 0; i+2 < len(f); i += 3 {
		if attrs[f[i]] == nil {
			attrs[f[i]] = map[string]string{}
		}
		attrs[f[i]][f[i+1]] = f[i+2]
	}
	for _, p := range paths {
		out[p] = crlfOnCheckout(attrs[p], autocrlf, coreEOL)
	}
	return out, nil
}

// crlfOnCheckout is git's convert_attrs + output_eol for a text blob
// without CR (a: the text, eol and crlf attributes as check-attr prints
// them: "set", "unset", "unspecified" or a value).
func crlfOnCheckout(a map[string]string, autocrlf, coreEOL string) bool {
	action := a["text"] // set, unset, auto, unspecified
	switch action {
	case "set", "unset", "auto":
	default:
		switch a["crlf"] { // the legacy attribute
		case "set":
			action = "set"
		case "unset":
			action = "unset"
		case "input":
			return false
		default:
			action = "unspecified"
		}
	}
	if action == "unset" {
		return false // binary
	}
	switch a["eol"] {
	case "lf":
		return false
	case "crlf":
		return true
	}
	// text=auto and text set: the configured end of line for text.
	textEOLIsCRLF := autocrlf == "true" || (autocrlf == "false" && coreEOL == "crlf")
	switch action {
	case "set", "auto":
		return textEOLIsCRLF
	}
	return autocrlf == "true" // unspecified: only core.autocrlf converts
}

// mayHaveEOLAttributes reports whether any attribute file git would read
// for paths mentions text, eol or crlf (a conservative test: no such word,
// no line-ending attribute).
func (r *Repo) mayHaveEOLAttributes(paths []string) bool {
	files := map[string]bool{
		filepath.Join(r.CommonDir, "info", "attributes"): true,
		filepath.Join(r.GitDir, "info", "attributes"):    true,
	}
	if f, err := r.ConfigGet("core.attributesFile"); err != nil {
		return true
	} else if f != "" {
		if strings.HasPrefix(f, "~/") {
			f = filepath.Join(r.getenv("HOME"), f[2:])
		}
		files[f] = true
	} else if x := r.getenv("XDG_CONFIG_HOME"); x != "" {
		files[filepath.Join(x, "git", "attributes")] = true
	} else if h := r.getenv("HOME"); h != "" {
		files[filepath.Join(h, ".config", "git", "attributes")] = true
	}
	if !parseBool(r.getenv("GIT_ATTR_NOSYSTEM")) {
		files["/etc/gitattributes"] = true
	}
	// The work tree's .gitattributes files are repository content: read
	// through safefs (a link or special file there is never followed; it
	// counts as "may have", and git itself decides).
	inTree := map[string]bool{}
	for _, p := range paths {
		for dir := pathpkg.Dir(p); ; dir = pathpkg.Dir(dir) {
			d := ""
			if dir != "." {
				d = dir
			}
			inTree[pathpkg.Join(d, ".gitattributes")] = true
			if d == "" {
				break
			}
		}
	}
	mentions := func(b []byte, err error) bool {
		if errors.Is(err, os.ErrNotExist) {
			return false
		}
		if err != nil {
			return true
		}
		s := strings.ToLower(string(b))
		return strings.Contains(s, "text") || strings.Contains(s, "eol") || strings.Contains(s, "crlf")
	}
	for f := range files {
		if mentions(os.ReadFile(f)) {
			return true
		}
	}
	wt := safefs.WorkTree(r.WorkTree)
	for f := range inTree {
		if mentions(wt.ReadFile(f)) {
			return true
		}
	}
	return false
}
