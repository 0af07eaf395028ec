package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version is this release; `make build` and the image set it from git
// (-ldflags "-X main.version=…") when building from a tag.
var version = "v0.2.0"

func versionFlags(*flag.FlagSet) func(context.Context, cli, []string) error {
	return func(_ context.Context, c cli, _ []string) error {
		printVersion(c.stdout)
		return nil
	}
}

// printVersion writes the release, the module's version, the source
// revision it was built from (with "+dirty" for uncommitted changes) and
// when that revision was committed, and the Go version.
func printVersion(w io.Writer) {
	module, revision, at := "unknown", "unknown", "unknown"
	goVersion := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		module, goVersion = info.Main.Version, info.GoVersion
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty {
			revision += "+dirty"
		}
	}
	fmt.Fprintf(w, "inboxd %s\nmodule:   smsinbox %s\nrevision: %s\ncommitted: %s\ngo:       %s\n",
		version, module, revision, at, goVersion)
}
