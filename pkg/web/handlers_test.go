package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/pubsub"
)

// TestSendAndRead: a text queued through the API, its Idempotency-Key, the
// service's refusals as statuses, and a thread read through the API.
func TestSendAndRead(t *testing.T) {
	f := newFixture(t, options{})
	casey, _, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: "Casey", Phone: "+14155550177", SMSOptIn: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	pat, _, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: "Pat", Phone: "+14155550178"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(contactID int64, body, key string) (inbox.Message, *httptest.ResponseRecorder) {
		h := http.Header{"Origin": {"http://example.com"}}
		if key != "" {
			h.Set("Idempotency-Key", key)
		}
		w := f.do(req{method: "POST", path: fmt.Sprintf("/api/contacts/%d/messages", contactID), body: body, session: f.anaSession, header: h})
		var out struct{ Message inbox.Message }
		if w.Code == http.StatusAccepted {
			want(t, "send", w, 202, "", &out)
		}
		return out.Message, w
	}
	m1, w := send(casey.ID, `{"body":"Hi Casey"}`, "k-1")
	if w.Code != 202 || m1.ID == 0 || m1.Status != inbox.StatusQueued || m1.SentBy == nil || m1.SentBy.ID != f.ana.ID {
		t.Fatalf("send: %d %s; want 202 and the queued message", w.Code, w.Body)
	}
	if m2, w := send(casey.ID, `{"body":"Hi Casey"}`, "k-1"); w.Code != 202 || m2.ID != m1.ID {
		t.Errorf("the same Idempotency-Key: %d, message %d; want 202 and message %d again", w.Code, m2.ID, m1.ID)
	}
	_, w = send(casey.ID, `{"body":"Hello Casey"}`, "k-1")
	want(t, "the key for another text", w, 422, "idempotency_mismatch", nil)
	_, w = send(pat.ID, `{"body":"Hi Pat"}`, "")
	want(t, "no consent", w, 409, "no_consent", nil)
	_, w = send(casey.ID, `{"body":""}`, "")
	want(t, "empty body", w, 422, "invalid_body", nil)
	_, w = send(casey.ID, `{"body":"hi","number_id":"main"}`, "")
	want(t, "number_id not a number", w, 400, "invalid_json", nil)
	_, w = send(99999, `{"body":"hi"}`, "")
	want(t, "no such contact", w, 404, "not_found", nil)

	// Casey answers; Ana reads the thread.
	if _, err := f.svc.ReceiveSMS(f.ctx, inbox.InboundSMS{From: casey.Phone, To: f.main.E164, Text: "Yes!", MessageUUID: "u-1"}); err != nil {
		t.Fatal(err)
	}
	var box inbox.Inbox
	want(t, "inbox", f.do(req{method: "GET", path: "/api/inbox", session: f.anaSession}), 200, "", &box)
	if box.UnreadTotal != 1 || len(box.Threads) != 1 {
		t.Fatalf("inbox = %+v; want one unread thread", box)
	}
	th := box.Threads[0]
	var page struct {
		Thread   inbox.Thread
		Messages []inbox.Message
	}
	want(t, "thread messages", f.do(req{method: "GET", path: fmt.Sprintf("/api/threads/%d/messages?limit=1", th.ID), session: f.anaSession}), 200, "", &page)
	if page.Thread.ID != th.ID || len(page.Messages) != 1 || page.Messages[0].Body != "Yes!" {
		t.Errorf("the newest message of the thread: %+v; want Casey's answer", page)
	}
	var read inbox.Thread
	want(t, "read", f.do(req{method: "POST", path: fmt.Sprintf("/api/threads/%d/read", th.ID), session: f.anaSession,
		header: http.Header{"Origin": {"http://example.com"}}}), 200, "", &read)
	if read.UnreadCount != 0 || read.ReadBy == nil || read.ReadBy.ID != f.ana.ID {
		t.Errorf("read thread = %+v; want no unread, read by Ana", read)
	}
	// The admin is on no number: the thread is not theirs to see.
	want(t, "another's thread", f.do(req{method: "POST", path: fmt.Sprintf("/api/threads/%d/unread", th.ID), token: f.adminToken}), 404, "not_found", nil)
}

// TestReadyz: ready while the store and the bus answer; 503 naming the
// store once it is gone, without the error's text (it goes to the log).
// /healthz answers regardless.
func TestReadyz(t *testing.T) {
	f := newFixture(t, options{})
	var body map[string]any
	want(t, "ready", f.do(req{method: "GET", path: "/readyz"}), 200, "", &body)
	if body["status"] != "ok" || body["store"] != "ok" || body["bus"] != "ok" {
		t.Errorf("readyz = %v; want status, store and bus ok", body)
	}
	f.db.Close()
	w := f.do(req{method: "GET", path: "/readyz"})
	want(t, "store closed", w, 503, "not_ready", nil)
	if got := w.Body.String(); !strings.Contains(got, `"store":"down"`) || !strings.Contains(got, `"bus":"ok"`) ||
		strings.Contains(got, "sqlite") || strings.Contains(got, "closed") {
		t.Errorf("readyz = %s; want the store down, the bus ok and no error text", got)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" {
		t.Error("readyz 503 has no Retry-After")
	}
	want(t, "healthz", f.do(req{method: "GET", path: "/healthz"}), 200, "", nil)
}

// downBus is a bus whose Redis is gone: Ping fails (Publish would too).
type downBus struct{ inbox.Bus }

func (downBus) Ping(context.Context) error {
	return errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

// TestReadyzBusDown: a bus outage does not take the instance out of a load
// balancer — webhooks and the API work without it — but is reported: the
// body names the bus as degraded, and the log says so once per interval,
// not once per check.
func TestReadyzBusDown(t *testing.T) {
	f := newFixture(t, options{})
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := New(Options{Service: inbox.New(f.db, downBus{pubsub.NewMemory()}, nil, inbox.Config{}, log), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		var body struct {
			Status, Store, Bus string
			Degraded           []string
		}
		want(t, "bus down", w, 200, "", &body)
		if body.Status != "degraded" || body.Store != "ok" || body.Bus != "down" || len(body.Degraded) != 1 || body.Degraded[0] != "bus" {
			t.Fatalf("readyz with the bus down = %s; want 200, degraded, naming the bus", w.Body)
		}
		if strings.Contains(w.Body.String(), "refused") {
			t.Fatalf("readyz = %s; want no raw error text", w.Body)
		}
	}
	if n := strings.Count(logs.String(), "the bus is down"); n != 1 {
		t.Errorf("20 checks with the bus down logged %d lines about it, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "failures=1") || !strings.Contains(logs.String(), "refused") {
		t.Errorf("the log line %q should carry the count and the cause", logs.String())
	}
}

// TestDevPhone: /api/dev/phone exists only with a dev phone; the server
// checks the text before the phone sends it, and the phone's refusals
// become statuses.
func TestDevPhone(t *testing.T) {
	without := newFixture(t, options{})
	want(t, "no dev phone", without.do(req{method: "GET", path: "/api/dev/phone"}), 404, "not_found", nil)

	f := newFixture(t, options{phone: true})
	post := func(body string) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", path: "/api/dev/phone", body: body})
	}
	want(t, "blank text", post(`{"from":"+14155550177","to":"+14155550100","text":""}`), 422, "invalid_body", nil)
	want(t, "bad from", post(`{"from":"me","to":"+14155550100","text":"hi"}`), 422, "invalid_phone", nil)
	want(t, "bad to", post(`{"from":"+14155550177","to":"you","text":"hi"}`), 422, "invalid_phone", nil)
	if len(f.phone.sent) != 0 {
		t.Fatalf("the phone sent %v for refused requests", f.phone.sent)
	}
	want(t, "sent", post(`{"from":"(415) 555-0177","to":"415 555 0100","text":"hi"}`), 202, "", nil)
	if len(f.phone.sent) != 1 || f.phone.sent[0] != "+14155550177 +14155550100 hi" {
		t.Errorf("the phone sent %q; want the text between the numbers in E.164", f.phone.sent)
	}
	for name, h := range map[string]http.Header{
		"cross-site":          {"Sec-Fetch-Site": {"cross-site"}, "Content-Type": {"text/plain"}},
		"from another origin": {"Origin": {"https://evil.example"}},
	} {
		w := f.do(req{method: "POST", path: "/api/dev/phone", body: `{"from":"+14155550177","to":"+14155550100","text":"STOP"}`, header: h})
		want(t, "a "+name+" text", w, 403, "bad_origin", nil)
	}
	if len(f.phone.sent) != 1 {
		t.Errorf("the phone sent %q; want nothing more for cross-site requests", f.phone.sent)
	}
	f.phone.err = inbox.NotFound("company number +14155550199")
	want(t, "a number nobody manages", post(`{"from":"+14155550177","to":"+14155550199","text":"hi"}`), 404, "not_found", nil)

	var listing struct {
		Numbers  []inbox.Number
		Contacts []struct{ ID int64 }
		Messages []string
	}
	want(t, "listing", f.do(req{method: "GET", path: "/api/dev/phone"}), 200, "", &listing)
	if len(listing.Numbers) != 1 || listing.Numbers[0].E164 != f.main.E164 || len(listing.Messages) != 1 {
		t.Errorf("listing = %+v; want the main number and the one text", listing)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSecurityHeaders: nosniff on every answer, success or error; HSTS only
// when the public URL is https.
func TestSecurityHeaders(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		hsts      bool
	}{{"", false}, {"http://inbox.example.com", false}, {"https://inbox.example.com", true}} {
		f := newFixture(t, options{publicURL: tt.publicURL})
		for _, path := range []string{"/healthz", "/api/me", "/api/nope"} {
			w := f.do(req{method: "GET", path: path})
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s %s: X-Content-Type-Options %q, want nosniff", tt.publicURL, path, got)
			}
			if got := w.Header().Get("Strict-Transport-Security"); (got != "") != tt.hsts {
				t.Errorf("%s %s: Strict-Transport-Security %q, want it: %v", tt.publicURL, path, got, tt.hsts)
			}
		}
	}
}
