package txn

import (
	"bytes"
	"strings"
)

// isDocument reports whether path is one of the tool's YAML documents,
// which are always committed with LF line endings; other files (the
// user's .gitattributes, to which init adds a line) keep their bytes.
func isDocument(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

// canonicalEOL is the blob git would store for text content: CRLF line
// endings become LF (git's clean conversion of core.autocrlf, eol=crlf and
// text attributes; the tool's documents are always committed canonical,
// whatever the work-tree copy it read had). Content with a NUL byte is
// binary for git and kept as it is, as is a lone CR.
func canonicalEOL(content []byte) []byte {
	if bytes.IndexByte(content, 0) >= 0 || !bytes.Contains(content, []byte("\r\n")) {
		return content
	}
	return bytes.ReplaceAll(content, []byte("\r\n"), []byte("\n"))
}

// checkoutEOL sets the work-tree bytes of the changes that git's checkout
// writes with CRLF (core.autocrlf, core.eol, text/eol attributes), so that
// the work tree is what `git checkout` would have written and git status
// sees it clean.
func (tx *Tx) checkoutEOL(chs []change) error {
	var paths []string
	for _, c := range chs {
		if !c.Delete {
			paths = append(paths, c.path)
		}
	}
	crlf, err := tx.repo.CRLFOnCheckout(paths)
	if err != nil {
		return err
	}
	for i := range chs {
		c := &chs[i]
		c.worktree = nil
		if c.Delete || !crlf[c.path] || bytes.IndexByte(c.Content, 0) >= 0 || bytes.IndexByte(c.Content, '\r') >= 0 {
			continue
		}
		c.worktree = bytes.ReplaceAll(c.Content, []byte("\n"), []byte("\r\n"))
	}
	return nil
}
