package main

import (
	"context"
	"errors"
	"net/http"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo"
)

// webhooks adapts plivo's verification and parsing to the web layer, in the
// domain's words: a bad signature is forbidden, a malformed request invalid.
type webhooks struct{ v plivo.Verifier }

func (w webhooks) Inbound(r *http.Request) (inbox.InboundSMS, error) {
	form, err := w.v.Verify(r)
	if err != nil {
		return inbox.InboundSMS{}, webhookError(err)
	}
	in, err := plivo.ParseInbound(form)
	if err != nil {
		return inbox.InboundSMS{}, err
	}
	return inbox.InboundSMS{From: in.From, To: in.To, Text: in.Text, MessageUUID: in.MessageUUID, MediaURLs: in.MediaURLs}, nil
}

func (w webhooks) Status(r *http.Request) (inbox.StatusUpdate, error) {
	form, err := w.v.Verify(r)
	if err != nil {
		return inbox.StatusUpdate{}, webhookError(err)
	}
	u, err := plivo.ParseStatus(form, r.URL.Query())
	if err != nil {
		return inbox.StatusUpdate{}, err
	}
	return inbox.StatusUpdate{MessageID: u.MessageID, MessageUUID: u.MessageUUID, Status: u.Status,
		ErrorCode: u.ErrorCode, ErrorReason: u.ErrorReason}, nil
}

func webhookError(err error) error {
	switch {
	case errors.Is(err, plivo.ErrTooLarge):
		return &inbox.Error{Kind: inbox.KindTooLarge, Code: "body_too_large", Message: "the webhook body is too large", Err: err}
	case errors.Is(err, plivo.ErrBadSignature), errors.Is(err, plivo.ErrMalformed):
		// A form that cannot be verified (a repeated key rides unsigned)
		// is refused like a forged one.
		return &inbox.Error{Kind: inbox.KindForbidden, Code: "bad_signature", Message: "the Plivo signature is missing, wrong or does not cover this request", Err: err}
	default:
		return err // the verifier is misconfigured: a 5xx, so Plivo retries
	}
}

// phone is the /dev/phone page's view of the simulator.
type phone struct {
	sim     *plivo.Simulator
	baseURL string
}

func (p phone) Texts() any { return p.sim.Messages("") }

func (p phone) Send(ctx context.Context, from, to, text string) error {
	err := p.sim.SendInbound(ctx, p.baseURL, from, to, text)
	var pe *plivo.PostError
	switch {
	case errors.As(err, &pe) && pe.StatusCode == http.StatusNotFound:
		return inbox.NotFound("company number " + to)
	case errors.As(err, &pe) && pe.StatusCode < 500:
		return inbox.Invalid("webhook_refused", "the inbound webhook refused the text (%d)", pe.StatusCode)
	}
	return err
}
