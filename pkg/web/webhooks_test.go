package web

import (
	"errors"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestInboundWebhookAnswers: Plivo retries whatever is not 2xx, so each
// outcome gets the status that makes it retry exactly when a retry can
// help.
func TestInboundWebhookAnswers(t *testing.T) {
	f := newFixture(t, options{})
	text := inbox.InboundSMS{From: "+14155550177", To: f.main.E164, Text: "Is the job open?", Type: "sms", MessageUUID: "u-1"}
	for _, tt := range []struct {
		name   string
		in     inbox.InboundSMS
		err    error
		status int
		code   string
	}{
		{"bad signature", text, &inbox.Error{Kind: inbox.KindForbidden, Code: "bad_signature", Message: "forged"}, 403, "bad_signature"},
		{"body too large", text, &inbox.Error{Kind: inbox.KindTooLarge, Code: "body_too_large", Message: "big"}, 413, "body_too_large"},
		{"a form without From", text, inbox.Invalid("missing_from", "the webhook has no From number"), 400, "missing_from"},
		{"a misconfigured verifier", text, &inbox.Error{Kind: inbox.KindInternal, Code: "webhook_misconfigured", Message: "no token",
			Err: errors.New("no auth token")}, 503, "unavailable"},
		{"a number nobody manages", inbox.InboundSMS{From: "+14155550177", To: "+14155550199", Text: "hi", MessageUUID: "u-2"}, nil, 404, "not_found"},
		{"stored", text, nil, 200, ""},
		{"delivered again", text, nil, 200, ""},
	} {
		f.hooks.inbound, f.hooks.err = tt.in, tt.err
		want(t, tt.name, f.do(req{method: "POST", path: "/webhooks/plivo/inbound"}), tt.status, tt.code, nil)
	}
	box, err := f.svc.Inbox(f.ctx, f.ana)
	if err != nil || box.UnreadTotal != 1 || len(box.Threads) != 1 || box.Threads[0].LastMessage == nil ||
		box.Threads[0].LastMessage.Body != text.Text {
		t.Errorf("Ana's inbox: %+v, %v; want the one text, once", box, err)
	}

	// The store failing is the one case Plivo must try again.
	f.db.Close()
	f.hooks.inbound, f.hooks.err = inbox.InboundSMS{From: "+14155550177", To: f.main.E164, Text: "again", MessageUUID: "u-3"}, nil
	want(t, "the store down", f.do(req{method: "POST", path: "/webhooks/plivo/inbound"}), 503, "unavailable", nil)
}

// TestStatusWebhookAnswers: a report is answered 200 whenever a retry would
// not help — stored, kept for later, unreadable — and refused only for a bad
// signature, an oversized form (no report of Plivo's is one), or a failure
// of ours.
func TestStatusWebhookAnswers(t *testing.T) {
	f := newFixture(t, options{})
	for _, tt := range []struct {
		name   string
		u      inbox.StatusUpdate
		err    error
		status int
		code   string
	}{
		{"bad signature", inbox.StatusUpdate{}, &inbox.Error{Kind: inbox.KindForbidden, Code: "bad_signature", Message: "forged"}, 403, "bad_signature"},
		{"an unknown status", inbox.StatusUpdate{}, inbox.Invalid("unknown_status", "Plivo status %q is not one we know", "exploded"), 200, ""},
		{"body too large", inbox.StatusUpdate{}, &inbox.Error{Kind: inbox.KindTooLarge, Code: "body_too_large", Message: "big"}, 413, "body_too_large"},
		{"no MessageUUID", inbox.StatusUpdate{Status: inbox.StatusDelivered}, nil, 200, ""},
		{"a message we do not know yet", inbox.StatusUpdate{MessageUUID: "u-later", Status: inbox.StatusDelivered, ProviderStatus: "delivered"}, nil, 200, ""},
		{"a misconfigured verifier", inbox.StatusUpdate{}, &inbox.Error{Kind: inbox.KindInternal, Code: "webhook_misconfigured", Message: "no token"}, 503, "unavailable"},
	} {
		f.hooks.status, f.hooks.err = tt.u, tt.err
		want(t, tt.name, f.do(req{method: "POST", path: "/webhooks/plivo/status?message_id=1"}), tt.status, tt.code, nil)
	}
	f.db.Close()
	f.hooks.status, f.hooks.err = inbox.StatusUpdate{MessageUUID: "u-x", Status: inbox.StatusSent}, nil
	want(t, "the store down", f.do(req{method: "POST", path: "/webhooks/plivo/status"}), 503, "unavailable", nil)
}
