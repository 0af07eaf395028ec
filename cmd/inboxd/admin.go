package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
)

func adminCreateFlags(fs *flag.FlagSet) func(context.Context, cli, []string) error {
	company := fs.String("company", "", "company name (created if missing)")
	email := fs.String("email", "", "the admin's email")
	name := fs.String("name", "", "the admin's name (default: the email's local part)")
	fromStdin := fs.Bool("password-stdin", false, "read the admin's password from the first line of stdin\n(else from INBOX_ADMIN_PASSWORD)")
	password := fs.String("password", "", "the admin's password (visible to other users of the machine:\nprefer --password-stdin or INBOX_ADMIN_PASSWORD)")
	return func(ctx context.Context, c cli, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("admin create: unexpected %q (see inboxd admin create --help)", args[0])
		}
		if *company == "" || *email == "" {
			return errors.New("admin create needs --company and --email")
		}
		pw, err := adminPassword(c, *fromStdin, *password)
		if err != nil {
			return err
		}
		cfg, log, err := c.configured()
		if err != nil {
			return err
		}
		u, err := adminCreate(ctx, cfg, log, *company, inbox.NewUser{Email: *email, Name: *name, Password: pw})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, u.ID)
		return nil
	}
}

// adminPassword takes the password from stdin, the environment or, with a
// warning, the command line: exactly one of them.
func adminPassword(c cli, fromStdin bool, flagValue string) (string, error) {
	env := c.getenv("INBOX_ADMIN_PASSWORD")
	switch {
	case fromStdin && flagValue != "":
		return "", errors.New("admin create: give --password-stdin or --password, not both")
	case fromStdin:
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			return "", fmt.Errorf("admin create: no password on stdin (%v)", err)
		}
		return line, nil
	case flagValue != "":
		fmt.Fprintln(c.stderr, "inboxd: warning: --password shows the password to other users of this machine; use --password-stdin or INBOX_ADMIN_PASSWORD")
		return flagValue, nil
	case env != "":
		return env, nil
	}
	return "", errors.New("admin create needs a password: --password-stdin, or INBOX_ADMIN_PASSWORD")
}

// adminCreate bootstraps a database: it creates the company if missing and
// an admin in it. It works beside a running server on the same embedded
// store (SQLite waits on its busy timeout).
func adminCreate(ctx context.Context, cfg Config, log *slog.Logger, company string, admin inbox.NewUser) (inbox.User, error) {
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return inbox.User{}, err
	}
	defer db.Close()
	// Nothing is published: the events are stored, and running servers'
	// sockets read them when they next resume.
	svc := inbox.New(db, pubsub.NewMemory(), nil, inbox.Config{PasswordCost: cfg.PasswordCost}, log)
	return svc.Bootstrap(ctx, company, admin)
}
