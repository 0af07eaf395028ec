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

// simulateInbound posts a correctly signed inbound webhook, signed with
// PLIVO_AUTH_TOKEN (or the dev token), to a running server.
func simulateInbound(ctx context.Context, cfg Config, args []string) error {
	fs := flag.NewFlagSet("simulate inbound", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	base := fs.String("url", cfg.PublicURL.String(), "the server's base URL")
	from := fs.String("from", "", "the candidate's phone")
	to := fs.String("to", "", "the company number")
	text := fs.String("text", "", "the text")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("simulate inbound: %w", err)
	}
	if *from == "" || *to == "" {
		return errors.New("simulate inbound needs --from and --to")
	}
	f, err := inbox.NormalizePhone(*from, inbox.DefaultRegion)
	if err != nil {
		return err
	}
	t, err := inbox.NormalizePhone(*to, inbox.DefaultRegion)
	if err != nil {
		return err
	}
	sim := plivo.NewSimulator(cfg.PlivoAuthToken, &http.Client{Timeout: 15 * time.Second}, nil)
	if err := sim.SendInbound(ctx, *base, f, t, *text); err != nil {
		return err
	}
	fmt.Println("delivered")
	return nil
}
