// Command inboxd is the smsinbox server: a real-time SMS inbox for recruiting
// teams on Plivo.
//
//	inboxd [serve]                 run the server (configuration from the environment)
//	inboxd migrate                 apply the schema and exit
//	inboxd admin create --company NAME --email E --password P [--name N]
//	inboxd simulate inbound --url BASE --from +1… --to +1… --text "…"
//
// See docs/API.md for the environment variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "inboxd:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "admin":
		if len(args) == 0 || args[0] != "create" {
			return errors.New("usage: inboxd admin create --company NAME --email E --password P")
		}
		return adminCreate(ctx, cfg, log, args[1:], os.Stdout)
	case "simulate":
		if len(args) == 0 || args[0] != "inbound" {
			return errors.New("usage: inboxd simulate inbound --url BASE --from +1… --to +1… --text …")
		}
		return simulateInbound(ctx, cfg, args[1:])
	case "help", "-h", "--help":
		fmt.Println("usage: inboxd [serve | migrate | admin create | simulate inbound]; see docs/API.md")
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, admin create or simulate inbound)", cmd)
}

func newLogger(cfg Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
