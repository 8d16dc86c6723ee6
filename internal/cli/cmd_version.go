package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// BuildInfo says which build of git-milestone is running.
type BuildInfo struct {
	Version   string `json:"version"`    // module version, or "source build"
	Commit    string `json:"commit"`     // vcs revision, "" when unknown
	Modified  bool   `json:"modified"`   // built from a work tree with local changes
	BuildDate string `json:"build_date"` // commit time (RFC 3339), "" when unknown
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// readBuildInfo reads the version from what the Go toolchain stamped
// into the binary: the module version for `go install ...@vX`, the vcs
// revision and time for a build inside a git checkout.
func readBuildInfo() BuildInfo {
	b := BuildInfo{Version: "source build", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	return buildInfoFrom(info, b)
}

func buildInfoFrom(info *debug.BuildInfo, b BuildInfo) BuildInfo {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.BuildDate = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one line `--version` prints.
func (b BuildInfo) String() string {
	s := "git-milestone " + b.Version
	switch {
	case b.Commit != "":
		c := short(b.Commit)
		if b.Modified {
			c += "-dirty"
		}
		s += " (commit " + c
		if b.BuildDate != "" {
			s += ", " + b.BuildDate
		}
		s += ")"
	case b.Version == "source build":
		s += " (commit and date unknown)"
	}
	return s + ", " + b.GoVersion + " " + b.Platform
}

func newVersionCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit, build date and Go version (also --version)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print a JSON object"}},
		Action: func(c *cli.Context) error {
			if err := nArgs(c, 0, 0, "[--json]"); err != nil {
				return err
			}
			return runVersion(c.Context, env, versionOptions{JSON: c.Bool("json")})
		},
	}
}

// versionOptions are version's flags.
type versionOptions struct {
	JSON bool
}

// runVersion prints which build is running.
func runVersion(ctx context.Context, env *Env, opts versionOptions) error {
	b := readBuildInfo()
	if opts.JSON {
		return writeJSON(env.Stdout, b)
	}
	_, err := fmt.Fprintln(env.Stdout, b.String())
	return err
}
