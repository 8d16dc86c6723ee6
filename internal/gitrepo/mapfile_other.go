//go:build !unix

package gitrepo

import "os"

// mapFile reads the file at path (no mapping on this platform).
func mapFile(path string) ([]byte, func(), error) {
	data, err := os.ReadFile(path)
	return data, func() {}, err
}
