package plivo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

// TestVerifierSpeaksInbox: what the web layer gets from the Verifier is in
// the inbox's terms, every field of the form carried through, and each
// refusal an *inbox.Error of the kind the web layer answers with the status
// Plivo must see.
func TestVerifierSpeaksInbox(t *testing.T) {
	v := Verifier{PublicURL: testPublic, AuthToken: testToken}
	inboundURL := testPublic + "/webhooks/plivo/inbound"
	mms := url.Values{"From": {"14155550100"}, "To": {"14155550111"}, "Text": {"photo"}, "Type": {"MMS"},
		"MessageUUID": {"u-1"}, "Media0": {"https://m/a.jpg"}, "Media1": {"https://m/b.jpg"}}
	in, err := v.Inbound(plivotest.WebhookRequest(inboundURL, mms.Encode(), plivotest.SignV3(testToken, inboundURL, mms, testNonce)))
	want := inbox.InboundSMS{From: "+14155550100", To: "+14155550111", Text: "photo", Type: "mms", MessageUUID: "u-1",
		MediaURLs: []string{"https://m/a.jpg", "https://m/b.jpg"}}
	if err != nil || in.From != want.From || in.To != want.To || in.Text != want.Text || in.Type != want.Type ||
		in.MessageUUID != want.MessageUUID || !slices.Equal(in.MediaURLs, want.MediaURLs) {
		t.Errorf("Inbound = %+v, %v; want %+v", in, err, want)
	}

	statusURL := testPublic + "/webhooks/plivo/status?message_id=42"
	report := url.Values{"MessageUUID": {"u-2"}, "Status": {"rejected"}, "ErrorCode": {"200"}}
	u, err := v.Status(plivotest.WebhookRequest(statusURL, report.Encode(), plivotest.SignV3(testToken, statusURL, report, testNonce)))
	wantU := inbox.StatusUpdate{MessageID: 42, MessageUUID: "u-2", Status: inbox.StatusFailed, ProviderStatus: "rejected",
		ErrorCode: "200", ErrorReason: ErrorReason("200"), OptedOut: true}
	if err != nil || u != wantU {
		t.Errorf("Status = %+v, %v; want %+v", u, err, wantU)
	}

	repeated := url.Values{"From": {"14155550100"}, "To": {"14155550111"}, "Text": {"a", "b"}, "MessageUUID": {"u-3"}}
	noFrom := url.Values{"To": {"14155550111"}, "Text": {"hi"}, "MessageUUID": {"u-4"}}
	for _, tt := range []struct {
		name   string
		v      Verifier
		req    *http.Request
		kind   inbox.Kind
		code   string
		reason error // the cause errors.Is finds, if any
	}{
		{"no signature", v, plivotest.WebhookRequest(inboundURL, mms.Encode(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}),
			inbox.KindForbidden, "bad_signature", ErrBadSignature},
		{"forged", v, plivotest.WebhookRequest(inboundURL, mms.Encode(), plivotest.SignV3("not-the-token", inboundURL, mms, testNonce)),
			inbox.KindForbidden, "bad_signature", ErrBadSignature},
		{"repeated key", v, plivotest.WebhookRequest(inboundURL, repeated.Encode(), plivotest.SignV3(testToken, inboundURL, repeated, testNonce)),
			inbox.KindForbidden, "bad_signature", ErrMalformed},
		{"too large", Verifier{PublicURL: testPublic, AuthToken: testToken, MaxBytes: 8},
			plivotest.WebhookRequest(inboundURL, mms.Encode(), plivotest.SignV3(testToken, inboundURL, mms, testNonce)),
			inbox.KindTooLarge, "body_too_large", ErrTooLarge},
		{"no auth token", Verifier{PublicURL: testPublic},
			plivotest.WebhookRequest(inboundURL, mms.Encode(), plivotest.SignV3("", inboundURL, mms, testNonce)),
			inbox.KindInternal, "webhook_misconfigured", nil},
		{"verified but no From", v, plivotest.WebhookRequest(inboundURL, noFrom.Encode(), plivotest.SignV3(testToken, inboundURL, noFrom, testNonce)),
			inbox.KindInvalid, "missing_from", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Inbound(tt.req)
			var e *inbox.Error
			if !errors.As(err, &e) || e.Kind != tt.kind || e.Code != tt.code {
				t.Fatalf("Inbound = %v; want an *inbox.Error of kind %d, code %s", err, tt.kind, tt.code)
			}
			if tt.reason != nil && !errors.Is(err, tt.reason) {
				t.Errorf("Inbound = %v; want it to wrap %v", err, tt.reason)
			}
		})
	}
	bad := url.Values{"MessageUUID": {"u-5"}, "Status": {"exploded"}}
	if _, err := v.Status(plivotest.WebhookRequest(statusURL, bad.Encode(), plivotest.SignV3(testToken, statusURL, bad, testNonce))); inbox.ErrorCode(err) != "unknown_status" || inbox.ErrorKind(err) != inbox.KindInvalid {
		t.Errorf("Status(unknown status) = %v; want KindInvalid unknown_status", err)
	}
	if _, err := v.Status(plivotest.WebhookRequest(statusURL, bad.Encode(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})); inbox.ErrorKind(err) != inbox.KindForbidden {
		t.Errorf("Status(unsigned) = %v; want KindForbidden", err)
	}
}

// TestDevPhone: the dev phone's text goes through a signed inbound webhook,
// and the server's refusals come back as the inbox's errors.
func TestDevPhone(t *testing.T) {
	var (
		mu     sync.Mutex // the server's goroutine and the test's share these
		answer = http.StatusOK
		got    inbox.InboundSMS
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := (Verifier{PublicURL: "http://" + r.Host, AuthToken: testToken}).Inbound(r)
		if err != nil {
			t.Errorf("the dev phone's webhook: %v", err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = in
		w.WriteHeader(answer)
	}))
	defer srv.Close()
	phone := NewSimulator(testToken, nil, nil).DevPhone(srv.URL)
	ctx := context.Background()
	if err := phone.Send(ctx, "+14155550177", "(415) 555-0100", "Is the job open?"); err != nil {
		t.Fatalf("Send = %v; want nil", err)
	}
	mu.Lock()
	if got.From != "+14155550177" || got.To != "+14155550100" || got.Text != "Is the job open?" || got.Type != "sms" || got.MessageUUID == "" {
		t.Errorf("the server read %+v; want the text from +14155550177 to +14155550100, type sms, with a MessageUUID", got)
	}
	mu.Unlock()
	texts, ok := phone.Texts().([]PhoneMessage)
	if !ok || len(texts) != 1 || texts[0].From != "+14155550177" || texts[0].Direction != DirectionFromPhone {
		t.Errorf("Texts = %#v; want the one text from the phone", phone.Texts())
	}
	for _, tt := range []struct {
		status int
		kind   inbox.Kind
		code   string
	}{
		{http.StatusNotFound, inbox.KindNotFound, "not_found"},
		{http.StatusBadRequest, inbox.KindInvalid, "webhook_refused"},
		{http.StatusForbidden, inbox.KindInvalid, "webhook_refused"},
		{http.StatusServiceUnavailable, inbox.KindUnavailable, "unavailable"},
	} {
		mu.Lock()
		answer = tt.status
		mu.Unlock()
		err := phone.Send(ctx, "+14155550177", "+14155550100", "again")
		if inbox.ErrorKind(err) != tt.kind || inbox.ErrorCode(err) != tt.code || err == nil {
			t.Errorf("Send answered %d = %v; want kind %d, code %s", tt.status, err, tt.kind, tt.code)
		}
		if tt.status >= 500 && !strings.Contains(err.Error(), "503") {
			t.Errorf("Send answered 503 = %v; want the PostError's status in it", err)
		}
	}
}
