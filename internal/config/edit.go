package config

import (
	"fmt"
	"regexp"
	"sync"
)

// The lines SetValues edits, compiled on first use (not at start-up).
var (
	dbTypeLine  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^(\s+type:\s*)"?(sqlite|postgresql)"?`) })
	backendLine = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^(\s+backend:\s*)"?(auto|file|hybrid|database)"?`)
	})
)

// SetValues returns a storage-config.yaml document with storage.backend
// set to backend and storage.database.type to dbType (an empty value
// leaves that key as it is), everything else byte for byte, comments
// included. The result is parsed and checked before it is returned.
func SetValues(data []byte, backend, dbType string) ([]byte, error) {
	out := data
	for _, e := range []struct {
		re   *regexp.Regexp
		key  string
		want string
	}{{backendLine(), "storage.backend", backend}, {dbTypeLine(), "storage.database.type", dbType}} {
		if e.want == "" {
			continue
		}
		if !e.re.Match(out) {
			return nil, fmt.Errorf("%s: cannot find %s to set it to %s", ConfigPath, e.key, e.want)
		}
		out = e.re.ReplaceAll(out, []byte("${1}"+e.want))
	}
	c, err := Parse(ConfigPath, out)
	if err != nil {
		return nil, err
	}
	if (backend != "" && c.Storage.Backend != backend) || (dbType != "" && c.Storage.Database.Type != dbType) {
		return nil, fmt.Errorf("%s: could not set storage.backend to %s and storage.database.type to %s", ConfigPath, backend, dbType)
	}
	return out, nil
}
