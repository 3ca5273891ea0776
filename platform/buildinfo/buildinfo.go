// Package buildinfo carries the version and commit stamped in at build time:
//
//	go build -ldflags "-X github.com/seminarhub/seminarhub/platform/buildinfo.Version=1.2.3 \
//	                   -X github.com/seminarhub/seminarhub/platform/buildinfo.Commit=abc123"
package buildinfo

import "runtime/debug"

// Set by the linker; the defaults describe a development build.
var (
	Version = "dev"
	Commit  = ""
)

// CommitOrVCS returns Commit, or the VCS revision Go recorded when built from
// a checkout, or "unknown".
func CommitOrVCS() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
