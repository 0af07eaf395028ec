// Command inboxd is the smsinbox server: a real-time SMS inbox for recruiting
// teams on Plivo. Run `inboxd help` for its commands; docs/API.md lists the
// environment variables it reads.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	_ "time/tzdata" // quiet hours need every time zone, also in an image with no zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], cli{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "inboxd:", err)
		os.Exit(1)
	}
}

// cli is what a command gets from the process: its environment and streams.
type cli struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one of inboxd's commands. Each parses its own flags; --help
// prints its usage and does nothing else.
type command struct {
	name    string // one word, or two for a group ("admin create")
	args    string // what follows the flags, for the usage line
	summary string
	flags   func(fs *flag.FlagSet) func(ctx context.Context, c cli, args []string) error
}

var commands = []command{
	{"serve", "", "run the server (the default command)", serveFlags},
	{"migrate", "[up | status | down-to VERSION]", "apply pending schema migrations (up, the default), list them (status), or roll the schema back", migrateFlags},
	{"admin create", "", "create a company if missing and an admin in it; prints the admin's id", adminCreateFlags},
	{"simulate inbound", "", "post a correctly signed inbound-text webhook to a running server", simulateFlags},
	{"consent verify", "", "check the hash chain of every contact's consent ledger; exit non-zero naming the first broken entry", consentVerifyFlags},
	{"version", "", "print the version, the source revision and the Go version", versionFlags},
}

// run carries out the command line args.
func run(ctx context.Context, args []string, c cli) error {
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelp(args[0])) {
		args = append([]string{"serve"}, args...)
	}
	if isHelp(args[0]) {
		usage(c.stdout)
		return nil
	}
	for _, cmd := range commands {
		words := strings.Fields(cmd.name)
		if len(args) < len(words) || !slices.Equal(args[:len(words)], words) {
			continue
		}
		fs := flag.NewFlagSet("inboxd "+cmd.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		action := cmd.flags(fs)
		rest := args[len(words):]
		// --help anywhere asks for help: flag parsing stops at the first
		// argument that is not a flag, and help must never act.
		if slices.ContainsFunc(rest, isHelp) {
			commandUsage(c.stdout, cmd, fs)
			return nil
		}
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%s: %w (see inboxd %s --help)", cmd.name, err, cmd.name)
		}
		return action(ctx, c, fs.Args())
	}
	if group := groupOf(args[0]); group != "" {
		if len(args) > 1 && isHelp(args[1]) {
			usage(c.stdout)
			return nil
		}
		return fmt.Errorf("%s needs a subcommand: %s (see inboxd help)", args[0], group)
	}
	return fmt.Errorf("unknown command %q; see inboxd help", args[0])
}

// groupOf lists the subcommands of a two-word command group.
func groupOf(word string) string {
	var subs []string
	for _, cmd := range commands {
		if w := strings.Fields(cmd.name); len(w) == 2 && w[0] == word {
			subs = append(subs, cmd.name)
		}
	}
	return strings.Join(subs, ", ")
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

func usage(w io.Writer) {
	fmt.Fprint(w, "inboxd is the smsinbox server: a real-time SMS inbox for recruiting teams.\n\nUsage:\n\n")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  inboxd %-18s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, "  inboxd help               print this\n\n"+
		"Every command takes --help. Configuration comes from the environment\n"+
		"(DATABASE_URL, REDIS_URL, INBOX_*, PLIVO_*); docs/API.md lists it all.\n")
}

func commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	line := "inboxd " + cmd.name
	if hasFlags {
		line += " [flags]"
	}
	if cmd.args != "" {
		line += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", line, upperFirst(cmd.summary))
	if hasFlags {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// configured loads the configuration from the environment and a logger for
// it: the commands that touch a store or the network start with it.
func (c cli) configured() (Config, *slog.Logger, error) {
	cfg, err := LoadConfig(c.getenv)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, newLogger(cfg, c.stderr), nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
