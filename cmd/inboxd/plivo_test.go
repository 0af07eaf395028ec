package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
	"smsinbox/pkg/store/storetest"
)

const (
	testAuthID    = "MATESTACCOUNT0000001"
	testAuthToken = "test-auth-token"
)

// plivoFixture is a server that sends through plivo-go to a fake of Plivo's
// API, with a company, a number, Ana assigned to it and an opted-in contact.
type plivoFixture struct {
	s       *testServer
	fake    *plivotest.Server
	admin   *client
	ana     *client
	anaID   int64
	number  inbox.Number
	contact inbox.Contact
}

func newPlivoFixture(t *testing.T, env map[string]string) *plivoFixture {
	t.Helper()
	return newPlivoFixtureWith(t, env)
}

// newPlivoFixtureWith is newPlivoFixture with server options.
func newPlivoFixtureWith(t *testing.T, env map[string]string, opts ...serverOption) *plivoFixture {
	t.Helper()
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	vars := map[string]string{"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken,
		"PLIVO_API_URL": fake.URL, "PLIVO_TIMEOUT": "1s"}
	for k, v := range env {
		vars[k] = v
	}
	f := &plivoFixture{s: startServer(t, vars, opts...), fake: fake}
	f.admin = f.s.bootstrap(t, "Acme", "admin@acme.test")
	f.ana, f.anaID = f.s.createUser(t, f.admin, "ana@acme.test", "recruiter")
	f.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &f.number)
	f.admin.call("PUT", "/api/numbers/"+itoa(f.number.ID)+"/assignees", map[string]any{"user_ids": []int64{f.anaID}}, 200, nil)
	f.admin.call("POST", "/api/contacts", map[string]any{"external_id": "c-1", "name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &f.contact)
	return f
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// webhook posts a form to one of our webhooks signed as Plivo would (V3,
// with plivo-go's own ComputeSignatureV3), unless header is given.
func (s *testServer) webhook(t *testing.T, pathAndQuery string, form url.Values, header http.Header) int {
	t.Helper()
	if header == nil {
		header = plivotest.SignV3(s.cfg.PlivoAuthToken, s.URL+pathAndQuery, form, newUUID())
	}
	req, _ := http.NewRequest("POST", s.URL+pathAndQuery, strings.NewReader(form.Encode()))
	req.Header = header
	resp, err := specClient(t).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", pathAndQuery, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// inboundForm is what Plivo posts for a text: numbers as digits, no "+".
func inboundForm(from, to, text, uuid string) url.Values {
	return url.Values{"From": {strings.TrimPrefix(from, "+")}, "To": {strings.TrimPrefix(to, "+")},
		"Text": {text}, "Type": {"sms"}, "MessageUUID": {uuid}}
}

func (f *plivoFixture) inbound(t *testing.T, text string) string {
	t.Helper()
	uuid := newUUID()
	if code := f.s.webhook(t, "/webhooks/plivo/inbound", inboundForm(f.contact.Phone, f.number.E164, text, uuid), nil); code != 200 {
		t.Fatalf("inbound %q: got %d, want 200", text, code)
	}
	return uuid
}

// history returns the contact's messages as c sees them.
func (f *plivoFixture) history(t *testing.T, c *client) []inbox.Message {
	t.Helper()
	var out struct{ Messages []inbox.Message }
	c.call("GET", "/api/contacts/"+itoa(f.contact.ID)+"/messages", nil, 200, &out)
	return out.Messages
}

func (f *plivoFixture) send(t *testing.T, body, key string, want int) (inbox.Message, string) {
	t.Helper()
	var out struct{ Message inbox.Message }
	h := http.Header{}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	code, raw := f.ana.raw("POST", "/api/contacts/"+itoa(f.contact.ID)+"/messages", map[string]string{"body": body}, h)
	if code != want {
		t.Fatalf("send %q: got %d %s, want %d", body, code, raw, want)
	}
	var e struct{ Error struct{ Code string } }
	decodeJSON(t, raw, &out)
	decodeJSON(t, raw, &e)
	return out.Message, e.Error.Code
}

func (f *plivoFixture) contactNow(t *testing.T) inbox.Contact {
	var c inbox.Contact
	f.admin.call("GET", "/api/contacts/"+itoa(f.contact.ID), nil, 200, &c)
	return c
}

func TestInboundWebhook(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		s := startServer(t, env)
		admin := s.bootstrap(t, "Acme", "admin@acme.test")
		var n inbox.Number
		admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
		admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": []int64{}}, 200, nil)
		ana, anaID := s.createUser(t, admin, "ana@acme.test", "recruiter")
		admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID}}, 200, nil)
		path := "/webhooks/plivo/inbound"

		// A stranger texts: a contact is created so nothing is lost.
		form := inboundForm("+14155550177", n.E164, "Is the nurse job still open?", "uuid-1")
		form.Set("Media0", "https://media.plivo.example/a.jpg")
		if code := s.webhook(t, path, form, nil); code != 200 {
			t.Fatalf("signed inbound: got %d, want 200", code)
		}
		var inboxView inbox.Inbox
		ana.call("GET", "/api/inbox", nil, 200, &inboxView)
		if inboxView.UnreadTotal != 1 || len(inboxView.Threads) != 1 {
			t.Fatalf("inbox = %+v; want one unread thread", inboxView)
		}
		th := inboxView.Threads[0]
		// The phone texted first: its consent is implied.
		if th.Contact.Phone != "+14155550177" || th.Contact.Consent != inbox.ConsentImplied || th.Contact.Kind != "candidate" ||
			th.UnreadCount != 1 || th.LastMessage == nil || th.LastMessage.Body != "Is the nurse job still open?" ||
			len(th.LastMessage.MediaURLs) != 1 || th.LastMessage.Status != inbox.StatusReceived {
			t.Errorf("thread = %+v; want the new contact (implied consent), one unread, the text and its media", th)
		}

		// Plivo repeats the delivery: stored once, nothing changes.
		if code := s.webhook(t, path, form, nil); code != 200 {
			t.Errorf("repeated delivery: got %d, want 200", code)
		}
		var tm struct{ Messages []inbox.Message }
		ana.call("GET", "/api/threads/"+itoa(th.ID)+"/messages", nil, 200, &tm)
		ana.call("GET", "/api/inbox", nil, 200, &inboxView)
		if len(tm.Messages) != 1 || inboxView.Threads[0].UnreadCount != 1 {
			t.Errorf("after a repeat: %d messages, unread %d; want 1 and 1", len(tm.Messages), inboxView.Threads[0].UnreadCount)
		}

		// Forged, missing, stale-URL, wrong-token and repeated-key requests: 403, nothing stored.
		other := inboundForm("+14155550178", n.E164, "forged", "uuid-2")
		signed := plivotest.SignV3(s.cfg.PlivoAuthToken, s.URL+path, other, "n1")
		tampered := url.Values{}
		for k, v := range other {
			tampered[k] = v
		}
		tampered.Set("Text", "tampered")
		repeated := url.Values{}
		for k, v := range other {
			repeated[k] = v
		}
		repeated.Add("Text", "smuggled")
		for name, req := range map[string]struct {
			form   url.Values
			header http.Header
		}{
			"no signature":   {other, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
			"tampered body":  {tampered, signed},
			"stale URL":      {other, plivotest.SignV3(s.cfg.PlivoAuthToken, "http://old.example.com"+path, other, "n2")},
			"wrong token":    {other, plivotest.SignV3("not-the-token", s.URL+path, other, "n3")},
			"repeated key":   {repeated, plivotest.SignV3(s.cfg.PlivoAuthToken, s.URL+path, repeated, "n4")},
			"bad V2, no V3":  {other, plivotest.SignV2("not-the-token", s.URL+path, "n5")},
			"garbage header": {other, http.Header{"X-Plivo-Signature-V3": {"AAAA"}, "X-Plivo-Signature-V3-Nonce": {"1"}}},
		} {
			if code := s.webhook(t, path, req.form, req.header); code != 403 {
				t.Errorf("%s: got %d, want 403", name, code)
			}
		}
		var contacts struct{ Contacts []inbox.Contact }
		admin.call("GET", "/api/contacts?q=%2B14155550178", nil, 200, &contacts)
		if len(contacts.Contacts) != 0 {
			t.Errorf("a refused webhook stored a contact: %+v", contacts.Contacts)
		}
		// Plivo's older V2 signature is accepted when there is no V3.
		if code := s.webhook(t, path, other, plivotest.SignV2(s.cfg.PlivoAuthToken, s.URL+path, "n6")); code != 200 {
			t.Errorf("valid V2 signature: got %d, want 200", code)
		}
		// To a number nobody manages: 404, nothing stored.
		if code := s.webhook(t, path, inboundForm("+14155550179", "+14155550999", "hi", "uuid-3"), nil); code != 404 {
			t.Errorf("to an unknown number: got %d, want 404", code)
		}
		admin.call("GET", "/api/contacts?q=%2B14155550179", nil, 200, &contacts)
		if len(contacts.Contacts) != 0 {
			t.Errorf("an inbound to an unknown number stored a contact")
		}
	})
}

func TestOutboundSendThroughPlivo(t *testing.T) {
	f := newPlivoFixture(t, nil)
	m, _ := f.send(t, "Hi Casey, are you free for a call tomorrow?", "", 202)
	if m.Status != inbox.StatusQueued || m.Direction != inbox.Outbound || m.SentBy == nil || m.SentBy.ID != f.anaID ||
		m.Segments != 1 || m.Encoding != "GSM-7" {
		t.Errorf("queued message = %+v; want queued, outbound, sent by Ana, 1 GSM-7 segment", m)
	}
	eventually(t, 10*time.Second, "Plivo gets the text", func() bool { return len(f.fake.Creates()) == 1 })
	c := f.fake.Creates()[0]
	wantURL := f.s.URL + "/webhooks/plivo/status?message_id=" + itoa(m.ID)
	if c.Src != strings.TrimPrefix(f.number.E164, "+") && c.Src != f.number.E164 || c.Dst != strings.TrimPrefix(f.contact.Phone, "+") && c.Dst != f.contact.Phone ||
		c.Text != "Hi Casey, are you free for a call tomorrow?" || c.URL != wantURL || c.Method != "POST" {
		t.Errorf("create = %+v; want src %s, dst %s, the text, url %s, POST", c, f.number.E164, f.contact.Phone, wantURL)
	}
	eventually(t, 5*time.Second, "the message records Plivo's uuid", func() bool {
		h := f.history(t, f.ana)
		return len(h) == 1 && h[0].PlivoUUID != nil && *h[0].PlivoUUID == c.MessageUUID
	})

	// Plivo reports back: sent, then delivered; a late "sent" changes nothing.
	report := func(status, code string) {
		form := url.Values{"MessageUUID": {c.MessageUUID}, "Status": {status}, "To": {"14155550123"}, "From": {"14155550100"}}
		if code != "" {
			form.Set("ErrorCode", code)
		}
		if got := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(m.ID), form, nil); got != 200 {
			t.Fatalf("status %s: got %d, want 200", status, got)
		}
	}
	report("sent", "")
	report("delivered", "")
	report("sent", "")
	report("failed", "30")
	if h := f.history(t, f.ana); h[0].Status != inbox.StatusDelivered || h[0].ErrorCode != "" {
		t.Errorf("status after delivered, sent, failed = %s (%q); want delivered: final statuses never change", h[0].Status, h[0].ErrorCode)
	}
	if len(f.fake.Creates()) != 1 {
		t.Errorf("Plivo got %d creates, want 1", len(f.fake.Creates()))
	}

	// A report for a message we do not know is kept, answered 200.
	if code := f.s.webhook(t, "/webhooks/plivo/status", url.Values{"MessageUUID": {"unknown-uuid"}, "Status": {"delivered"}}, nil); code != 200 {
		t.Errorf("report for an unknown message: got %d, want 200", code)
	}
	if code := f.s.webhook(t, "/webhooks/plivo/status", url.Values{"MessageUUID": {"x"}, "Status": {"delivered"}},
		plivotest.SignV3("not-the-token", f.s.URL+"/webhooks/plivo/status", url.Values{"MessageUUID": {"x"}, "Status": {"delivered"}}, "n")); code != 403 {
		t.Errorf("forged report: got %d, want 403", code)
	}
}

func TestSendRulesAndErrors(t *testing.T) {
	f := newPlivoFixture(t, nil)
	path := "/api/contacts/" + itoa(f.contact.ID) + "/messages"
	if code := f.ana.call("POST", path, map[string]string{"body": "   "}, 422, nil); code != "invalid_body" {
		t.Errorf("empty body: got %q, want invalid_body", code)
	}
	if code := f.ana.call("POST", path, map[string]string{"body": strings.Repeat("a", 1601)}, 422, nil); code != "invalid_body" {
		t.Errorf("1,601 characters: got %q, want invalid_body", code)
	}
	var long struct{ Message inbox.Message }
	f.ana.call("POST", path, map[string]string{"body": strings.Repeat("a", 161)}, 202, &long)
	if long.Message.Segments != 2 || long.Message.Encoding != "GSM-7" {
		t.Errorf("161 GSM characters: %d segments %s; want 2 GSM-7", long.Message.Segments, long.Message.Encoding)
	}
	var emoji struct{ Message inbox.Message }
	f.ana.call("POST", path, map[string]string{"body": "See you soon 🙂"}, 202, &emoji)
	if emoji.Message.Segments != 1 || emoji.Message.Encoding != "UCS-2" {
		t.Errorf("emoji: %d segments %s; want 1 UCS-2", emoji.Message.Segments, emoji.Message.Encoding)
	}

	// Not assigned: another number of the company.
	var other inbox.Number
	f.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550111", "label": "Warehouse"}, 201, &other)
	if code := f.ana.call("POST", path, map[string]any{"body": "hi", "number_id": other.ID}, 403, nil); code != "not_assigned" {
		t.Errorf("from a number Ana is not on: got %q, want not_assigned", code)
	}
	ben, benID := f.s.createUser(t, f.admin, "ben@acme.test", "recruiter")
	if code := ben.call("POST", path, map[string]string{"body": "hi"}, 403, nil); code != "not_assigned" {
		t.Errorf("a recruiter with no number: got %q, want not_assigned", code)
	}
	// Several numbers and no thread decides: number_required.
	f.admin.call("PUT", "/api/numbers/"+itoa(f.number.ID)+"/assignees", map[string]any{"user_ids": []int64{f.anaID, benID}}, 200, nil)
	f.admin.call("PUT", "/api/numbers/"+itoa(other.ID)+"/assignees", map[string]any{"user_ids": []int64{benID}}, 200, nil)
	var fresh inbox.Contact
	f.admin.call("POST", "/api/contacts", map[string]any{"name": "Fresh", "phone": "+14155550124", "sms_opt_in": true}, 201, &fresh)
	if code := ben.call("POST", "/api/contacts/"+itoa(fresh.ID)+"/messages", map[string]string{"body": "hi"}, 422, nil); code != "number_required" {
		t.Errorf("two numbers, no thread: got %q, want number_required", code)
	}
	// ...but the thread with Casey decides for Ben.
	var viaThread struct{ Message inbox.Message }
	ben.call("POST", path, map[string]string{"body": "Ben here"}, 202, &viaThread)
	if viaThread.Message.NumberID != f.number.ID {
		t.Errorf("Ben's text to Casey went out on number %d, want the thread's %d", viaThread.Message.NumberID, f.number.ID)
	}
	// Never asked: refused.
	var quiet inbox.Contact
	f.admin.call("POST", "/api/contacts", map[string]any{"name": "Quiet", "phone": "+14155550125", "sms_opt_in": false}, 201, &quiet)
	if code := f.ana.call("POST", "/api/contacts/"+itoa(quiet.ID)+"/messages", map[string]string{"body": "hi"}, 409, nil); code != "no_consent" {
		t.Errorf("contact never asked: got %q, want no_consent", code)
	}
	// Texting switched off for the company: every icon hidden, sends refused.
	f.admin.call("PUT", "/api/company", map[string]any{"sms_enabled": false}, 200, nil)
	if code := f.ana.call("POST", path, map[string]string{"body": "hi"}, 409, nil); code != "sms_disabled" {
		t.Errorf("texting off: got %q, want sms_disabled", code)
	}
	if c := f.contactNow(t); c.Icon() != inbox.IconHidden {
		t.Errorf("icon with texting off = %s, want hidden", c.Icon())
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newPlivoFixture(t, nil)
	first, _ := f.send(t, "Interview at 3pm?", "compose-1", 202)
	again, _ := f.send(t, "Interview at 3pm?", "compose-1", 202)
	if again.ID != first.ID {
		t.Errorf("repeat with the same key answered message %d, want %d", again.ID, first.ID)
	}
	if _, code := f.send(t, "Interview at 4pm?", "compose-1", 422); code != "idempotency_mismatch" {
		t.Errorf("same key, other body: got %q, want idempotency_mismatch", code)
	}
	eventually(t, 10*time.Second, "the text is sent", func() bool { return len(f.fake.Creates()) == 1 })
	time.Sleep(300 * time.Millisecond) // a second create, if any, would come now
	if n := len(f.fake.Creates()); n != 1 {
		t.Errorf("Plivo got %d creates, want exactly 1", n)
	}
	if h := f.history(t, f.ana); len(h) != 1 {
		t.Errorf("history has %d messages, want 1", len(h))
	}
}

func TestSendRetriesAndAmbiguity(t *testing.T) {
	t.Parallel()
	// Fast retries; one lane per number still holds.
	f := newPlivoFixture(t, nil)

	// 429 and 5xx: Plivo did not take it; retried with backoff, sent once.
	f.fake.FailNext(1, 429, time.Second)
	f.fake.FailNext(1, 500, 0)
	m, _ := f.send(t, "retry me", "", 202)
	eventually(t, 20*time.Second, "the text is sent after the 429 and the 500", func() bool { return len(f.fake.Creates()) == 1 })
	if r := f.fake.Requests(); r != 3 {
		t.Errorf("Plivo got %d requests, want 3 (429, 500, accepted)", r)
	}
	_ = m

	// A timeout after Plivo read the request: never re-sent, shown as
	// unknown (in doubt) at once — in the API and as a frame — until the
	// report settles it.
	tab := f.ana.dial(t, nil)
	f.fake.HangNext(1)
	amb, _ := f.send(t, "did you get this?", "", 202)
	eventually(t, 10*time.Second, "Plivo gets the ambiguous text", func() bool { return len(f.fake.Creates()) == 2 })
	var frame struct{ Message inbox.Message }
	if err := json.Unmarshal(tab.expect("message.status", 15*time.Second).Data, &frame); err != nil {
		t.Fatal(err)
	}
	if frame.Message.ID != amb.ID || frame.Message.Status != inbox.StatusUnknown {
		t.Errorf("message.status frame = %+v; want message %d unknown", frame.Message, amb.ID)
	}
	time.Sleep(3 * time.Second) // past the 1 s send timeout and the retry backoff
	if n := len(f.fake.Creates()); n != 2 {
		t.Fatalf("after an ambiguous timeout Plivo got %d creates, want 2: the text was sent again", n)
	}
	if h := f.history(t, f.ana); h[len(h)-1].ID != amb.ID || h[len(h)-1].Status != inbox.StatusUnknown {
		t.Errorf("ambiguous message = %+v; want unknown (in doubt)", h[len(h)-1])
	}
	uuid := f.fake.Creates()[1].MessageUUID
	form := url.Values{"MessageUUID": {uuid}, "Status": {"delivered"}}
	if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(amb.ID), form, nil); code != 200 {
		t.Fatalf("report: got %d", code)
	}
	h := f.history(t, f.ana)
	if last := h[len(h)-1]; last.Status != inbox.StatusDelivered || last.PlivoUUID == nil || *last.PlivoUUID != uuid {
		t.Errorf("after the report: %+v; want delivered with Plivo's uuid", last)
	}
}

func TestStatusReportOvertakesSend(t *testing.T) {
	f := newPlivoFixture(t, nil)
	var answered atomic.Int32
	// Plivo's "delivered" arrives, without our message id, before the
	// create call returns.
	f.fake.OnCreate(func(c plivotest.Create) {
		form := url.Values{"MessageUUID": {c.MessageUUID}, "Status": {"delivered"}}
		answered.Store(int32(f.s.webhook(t, "/webhooks/plivo/status", form, nil)))
	})
	m, _ := f.send(t, "fast carrier", "", 202)
	eventually(t, 10*time.Second, "the early report is applied", func() bool {
		h := f.history(t, f.ana)
		return len(h) == 1 && h[0].Status == inbox.StatusDelivered
	})
	if answered.Load() != 200 {
		t.Errorf("the early report was answered %d, want 200", answered.Load())
	}
	_ = m
}

func TestKeywords(t *testing.T) {
	t.Parallel()
	f := newPlivoFixture(t, nil)
	f.admin.call("PUT", "/api/company", map[string]any{"optout_reply": "You are unsubscribed.", "help_reply": "Acme Jobs. Reply STOP to stop."}, 200, nil)

	// STOP: opted out, one confirmation, icon hidden, sends refused.
	f.inbound(t, " Stop. ")
	if c := f.contactNow(t); c.Consent != inbox.ConsentOptedOut || c.Icon() != inbox.IconHidden {
		t.Errorf("after STOP: %s / %s; want opted_out / hidden", c.Consent, c.Icon())
	}
	eventually(t, 10*time.Second, "the confirmation is sent", func() bool { return len(f.fake.Creates()) == 1 })
	if c := f.fake.Creates()[0]; c.Text != "You are unsubscribed." {
		t.Errorf("confirmation = %q", c.Text)
	}
	if _, code := f.send(t, "still there?", "", 409); code != "opted_out" {
		t.Errorf("send after STOP: got %q, want opted_out", code)
	}
	// A second STOP: no second confirmation.
	f.inbound(t, "STOP")
	f.inbound(t, "unsubscribe")
	time.Sleep(300 * time.Millisecond)
	if n := len(f.fake.Creates()); n != 1 {
		t.Errorf("after three opt-outs Plivo got %d texts, want 1 confirmation", n)
	}
	// START: opted back in.
	f.inbound(t, "start")
	if c := f.contactNow(t); c.Consent != inbox.ConsentOptedIn || c.Icon() != inbox.IconGreen {
		t.Errorf("after START: %s / %s; want opted_in / green", c.Consent, c.Icon())
	}
	f.send(t, "Welcome back!", "", 202)
	// HELP: the help reply.
	f.inbound(t, "HELP")
	eventually(t, 10*time.Second, "the help reply is sent", func() bool {
		for _, c := range f.fake.Creates() {
			if c.Text == "Acme Jobs. Reply STOP to stop." {
				return true
			}
		}
		return false
	})
	// A sentence that asks to stop is a message, flagged, and puts the
	// contact under review: consent stays until a person decides.
	f.inbound(t, "Please stop texting me after 6pm")
	if c := f.contactNow(t); c.Consent != inbox.ConsentOptedIn || !c.ConsentReview {
		t.Errorf("a sentence with 'stop': consent %s, review %v; want opted_in, under review", c.Consent, c.ConsentReview)
	}
	h := f.history(t, f.ana)
	if last := h[len(h)-1]; last.Body != "Please stop texting me after 6pm" || !last.Flagged {
		t.Errorf("last message = %+v; want the sentence, flagged", last)
	}

	var ledger inbox.ConsentProof
	f.admin.call("GET", "/api/contacts/"+itoa(f.contact.ID)+"/consent", nil, 200, &ledger)
	var got []string
	for _, ch := range ledger.Entries {
		got = append(got, ch.Source+":"+string(ch.State)+":"+ch.Keyword)
	}
	want := "application:opted_in: keyword:opted_out:STOP keyword:opted_in:START"
	if strings.Join(got, " ") != want {
		t.Errorf("ledger = %q, want %q", strings.Join(got, " "), want)
	}
	// The ATS cannot override the contact's own STOP.
	f.inbound(t, "STOP")
	f.admin.call("POST", "/api/contacts", map[string]any{"external_id": "c-1", "name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 200, nil)
	if c := f.contactNow(t); c.Consent != inbox.ConsentOptedOut {
		t.Errorf("ATS opt-in after the contact's STOP: consent %s, want opted_out", c.Consent)
	}
}

func TestPerNumberRate(t *testing.T) {
	t.Parallel()
	f := newPlivoFixture(t, map[string]string{"INBOX_SEND_INTERVAL": "400ms"})
	var times []time.Time
	done := make(chan struct{}, 3)
	f.fake.OnCreate(func(plivotest.Create) {
		times = append(times, time.Now())
		done <- struct{}{}
	})
	for i := range 3 {
		f.send(t, "message "+itoa(int64(i)), "", 202)
	}
	for range 3 {
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("the three texts were not all sent")
		}
	}
	for i := 1; i < len(times); i++ {
		// A lower bound only: the lane spaces the claims 400 ms apart, and
		// the fake sees each request after a transport delay that varies on
		// a loaded machine, so the gap it sees may be shorter by that
		// jitter. Without the lane the three arrive within milliseconds.
		if gap := times[i].Sub(times[i-1]); gap < 200*time.Millisecond {
			t.Errorf("gap between send %d and %d = %v; want about the 400 ms lane interval", i-1, i, gap)
		}
	}
}

func TestSimulatorDeliversInDevMode(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil) // no Plivo credentials: the simulator stands in
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	_, anaID := s.createUser(t, admin, "ana@acme.test", "recruiter")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	admin.call("PUT", "/api/numbers/"+itoa(n.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID}}, 200, nil)
	var c inbox.Contact
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &c)
	ana := s.login(t, "ana@acme.test", "correct horse")
	ana.call("POST", "/api/contacts/"+itoa(c.ID)+"/messages", map[string]string{"body": "Hello from the simulator"}, 202, nil)
	eventually(t, 10*time.Second, "the simulator delivers", func() bool {
		var out struct{ Messages []inbox.Message }
		ana.call("GET", "/api/contacts/"+itoa(c.ID)+"/messages", nil, 200, &out)
		return len(out.Messages) == 1 && out.Messages[0].Status == inbox.StatusDelivered
	})
	// The candidate's phone got it, and answers through the signed webhook.
	var phone struct {
		Messages []struct{ From, To, Text, Direction string }
	}
	ana.call("GET", "/api/dev/phone", nil, 200, &phone)
	if len(phone.Messages) != 1 || phone.Messages[0].Text != "Hello from the simulator" || phone.Messages[0].Direction != "to_phone" {
		t.Errorf("phone = %+v; want the text on Casey's phone", phone.Messages)
	}
	ana.call("POST", "/api/dev/phone", map[string]string{"from": c.Phone, "to": n.E164, "text": "Got it, thanks!"}, 202, nil)
	var inboxView inbox.Inbox
	ana.call("GET", "/api/inbox", nil, 200, &inboxView)
	if inboxView.UnreadTotal != 1 || inboxView.Threads[0].LastMessage.Body != "Got it, thanks!" {
		t.Errorf("inbox after the phone's reply = %+v", inboxView)
	}
}

// A store failure answers 503, so that Plivo retries, and leaves nothing
// half-written; the retry succeeds once the store is back.
func TestStoreFailureAnswers503(t *testing.T) {
	t.Parallel()
	pg := storetest.PostgresURL(t)
	s := startServer(t, map[string]string{"DATABASE_URL": pg, "INBOX_SIMULATOR": "1"})
	admin := s.bootstrap(t, "Acme", "admin@acme.test")
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, nil)
	db, err := sql.Open("postgres", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The messages table goes away mid-flight: the contact and thread the
	// transaction wrote before it failed must roll back.
	if _, err := db.Exec(`ALTER TABLE messages RENAME TO messages_away`); err != nil {
		t.Fatal(err)
	}
	form := inboundForm("+14155550123", "+14155550100", "Hello?", "uuid-retry")
	if code := s.webhook(t, "/webhooks/plivo/inbound", form, nil); code != 503 {
		t.Errorf("inbound while the store fails: got %d, want 503", code)
	}
	var contacts struct{ Contacts []inbox.Contact }
	admin.call("GET", "/api/contacts", nil, 200, &contacts)
	if len(contacts.Contacts) != 0 {
		t.Errorf("a failed webhook left contacts behind: %+v", contacts.Contacts)
	}
	if _, err := db.Exec(`ALTER TABLE messages_away RENAME TO messages`); err != nil {
		t.Fatal(err)
	}
	if code := s.webhook(t, "/webhooks/plivo/inbound", form, nil); code != 200 {
		t.Errorf("Plivo's retry: got %d, want 200", code)
	}
	admin.call("GET", "/api/contacts", nil, 200, &contacts)
	if len(contacts.Contacts) != 1 {
		t.Errorf("after the retry: %d contacts, want 1", len(contacts.Contacts))
	}
}

// The send queue is durable and shared: texts queued while Plivo fails stay
// queued through a shutdown, and two servers on one database then send each
// of them exactly once.
func TestOutboxSurvivesRestartAndSharesWork(t *testing.T) {
	t.Parallel()
	pg := storetest.PostgresURL(t)
	f := newPlivoFixture(t, map[string]string{"DATABASE_URL": pg})
	f.fake.FailNext(1000, 503, 0) // Plivo is down: every attempt is refused
	const n = 12
	contacts := make([]inbox.Contact, n)
	for i := range contacts {
		f.admin.call("POST", "/api/contacts", map[string]any{"name": "C" + itoa(int64(i)), "phone": "+14155550" + itoa(int64(140+i)),
			"sms_opt_in": true}, 201, &contacts[i])
		f.ana.call("POST", "/api/contacts/"+itoa(contacts[i].ID)+"/messages", map[string]string{"body": "queued " + itoa(int64(i))}, 202, nil)
	}
	eventually(t, 10*time.Second, "Plivo is tried", func() bool { return f.fake.Requests() > 0 })
	f.s.stop()

	// Plivo is back; two fresh servers share the database and the queue.
	healthy := plivotest.NewServer(t, testAuthID, testAuthToken)
	env := map[string]string{"DATABASE_URL": pg, "PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken,
		"PLIVO_API_URL": healthy.URL, "PLIVO_TIMEOUT": "1s"}
	startServer(t, env)
	startServer(t, env)
	eventually(t, 60*time.Second, "every queued text is sent", func() bool { return len(healthy.Creates()) >= n })
	time.Sleep(500 * time.Millisecond) // a double send, if any, would land now
	seen := map[string]int{}
	for _, c := range healthy.Creates() {
		seen[c.Text]++
	}
	for i := range n {
		if got := seen["queued "+itoa(int64(i))]; got != 1 {
			t.Errorf("text %d was sent %d times, want exactly once", i, got)
		}
	}
}
