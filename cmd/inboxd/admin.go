package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
)

// adminCreate bootstraps a database: it creates the company if missing and
// an admin in it, and prints the admin's id. It works beside a running server
// on the same embedded store (SQLite waits on its busy timeout).
func adminCreate(ctx context.Context, cfg Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	company := fs.String("company", "", "company name (created if missing)")
	email := fs.String("email", "", "the admin's email")
	password := fs.String("password", "", "the admin's password (8 to 72 bytes)")
	name := fs.String("name", "", "the admin's name (default: the email's local part)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	if *company == "" || *email == "" || *password == "" {
		return errors.New("admin create needs --company, --email and --password")
	}
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// Nothing is published: the events are stored, and running servers'
	// sockets read them when they next resume.
	svc := inbox.New(db, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: cfg.PasswordCost}, log)
	u, err := svc.Bootstrap(ctx, *company, inbox.NewUser{Email: *email, Name: *name, Password: *password})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, u.ID)
	return nil
}
