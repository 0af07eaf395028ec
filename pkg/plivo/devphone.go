package plivo

import (
	"context"
	"errors"
	"net/http"

	"smsinbox/pkg/inbox"
)

// DevPhone is the candidate phone of the dev-mode /dev/phone page: it texts
// the server's numbers through the simulator, as signed inbound webhooks to
// the server at its base URL, and lists what the simulated phones sent and
// got.
type DevPhone struct {
	sim     *Simulator
	baseURL string
}

// DevPhone returns the dev phone of s, texting the server at baseURL.
func (s *Simulator) DevPhone(baseURL string) DevPhone {
	return DevPhone{sim: s, baseURL: baseURL}
}

// Texts returns every text on every simulated phone, oldest first, as a
// []PhoneMessage. The result is typed any because the web layer only encodes
// it as JSON and does not import this package.
func (p DevPhone) Texts() any { return p.sim.Messages("") }

// Send texts the number to from the phone from, through the server's real
// inbound webhook. The server's refusals come back in the inbox's terms: a
// 404 (a number nobody manages) is not_found, any other 4xx is KindInvalid
// (webhook_refused), a 5xx (the server's store out of reach) KindUnavailable;
// a failure to reach the server is returned as it is (KindInternal).
func (p DevPhone) Send(ctx context.Context, from, to, text string) error {
	err := p.sim.SendInbound(ctx, p.baseURL, from, to, text)
	var pe *PostError
	switch {
	case errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound:
		return inbox.NotFound("company number " + to)
	case errors.As(err, &pe) && pe.StatusCode < 500:
		return inbox.Invalid("webhook_refused", "the inbound webhook refused the text (%d)", pe.StatusCode)
	case errors.As(err, &pe):
		// The server could not store it now (its store is out of reach):
		// the phone may try again, as Plivo would.
		return inbox.Unavailable("the inbox", err)
	}
	return err
}
