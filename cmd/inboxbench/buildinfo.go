package main

import (
	"debug/buildinfo"
	"strings"
)

// serverBuild is what the inboxd binary says about the source it was built
// from (go build embeds the VCS state), or what -revision says.
type serverBuild struct {
	Revision string `json:"revision"`
	Time     string `json:"time,omitempty"`
	// Modified is true when the working tree had uncommitted changes: the
	// numbers then belong to no commit.
	Modified bool   `json:"modified"`
	Go       string `json:"go,omitempty"`
}

// readServerBuild reads the build information of the binary at path;
// revision, if given, overrides it (a build from an exported tree has none).
func readServerBuild(path, revision string) serverBuild {
	var b serverBuild
	if info, err := buildinfo.ReadFile(path); err == nil {
		b.Go = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if revision != "" {
		b.Revision, b.Modified = strings.TrimSpace(revision), false
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	return b
}

// String is the short form for the log: the revision, marked when dirty.
func (b serverBuild) String() string {
	r := b.Revision
	if len(r) > 12 {
		r = r[:12]
	}
	if b.Modified {
		r += " with uncommitted changes"
	}
	return r
}
