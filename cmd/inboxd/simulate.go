package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo"
)

func simulateFlags(fs *flag.FlagSet) func(context.Context, cli, []string) error {
	base := fs.String("url", "", "the server's base URL (default: INBOX_PUBLIC_URL)")
	from := fs.String("from", "", "the candidate's phone")
	to := fs.String("to", "", "the company number")
	text := fs.String("text", "", "the text")
	return func(ctx context.Context, c cli, _ []string) error {
		cfg, _, err := c.configured()
		if err != nil {
			return err
		}
		if *base == "" {
			*base = cfg.PublicURL.String()
		}
		return simulateInbound(ctx, cfg, c.stdout, *base, *from, *to, *text)
	}
}

// simulateInbound posts a correctly signed inbound webhook, signed with
// PLIVO_AUTH_TOKEN (or the dev token), to a running server.
func simulateInbound(ctx context.Context, cfg Config, out io.Writer, base, from, to, text string) error {
	if from == "" || to == "" {
		return errors.New("simulate inbound needs --from and --to")
	}
	f, err := inbox.NormalizePhone(from, inbox.DefaultRegion)
	if err != nil {
		return err
	}
	t, err := inbox.NormalizePhone(to, inbox.DefaultRegion)
	if err != nil {
		return err
	}
	sim := plivo.NewSimulator(cfg.PlivoAuthToken, &http.Client{Timeout: 15 * time.Second}, nil)
	if err := sim.SendInbound(ctx, base, f, t, text); err != nil {
		return err
	}
	fmt.Fprintln(out, "delivered")
	return nil
}
