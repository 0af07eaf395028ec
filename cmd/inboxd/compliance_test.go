package main

// End-to-end tests of consent and quiet hours, on both engines, against a
// fake Plivo: keywords and their confirmations, a possible opt-out and its
// review, a candidate who texts first, consent requests, the carrier's
// opt-out, consent authority and phone changes, quiet hours with a clock
// the test moves, and MMS with its media proxy.

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo/plivotest"
)

func init() {
	// The media proxy answers images; the spec check reads them as files.
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
}

// compliance is one company on a server with a fake Plivo and a clock the
// test moves: its admin, Ana (a recruiter on the Recruiting number) and
// Ben (a recruiter on no number).
type compliance struct {
	s      *testServer
	fake   *plivotest.Server
	clk    *clock.Fake
	admin  *client
	ana    *client
	ben    *client
	number inbox.Number
}

// newCompliance starts the server at start on clk; quiet says whether the
// company keeps its default quiet hours.
func newCompliance(t *testing.T, env map[string]string, start time.Time, quiet bool) *compliance {
	t.Helper()
	fake := plivotest.NewServer(t, testAuthID, testAuthToken)
	// These tests move the clock by hours and days: sessions must outlive
	// the jumps (their own expiry is tested in sessions_test.go).
	vars := map[string]string{"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken,
		"PLIVO_API_URL": fake.URL, "PLIVO_TIMEOUT": "2s", "INBOX_SESSION_IDLE": "336h"}
	for k, v := range env {
		vars[k] = v
	}
	c := &compliance{fake: fake, clk: clock.NewFake(start)}
	c.s = startServer(t, vars, withClock(c.clk))
	if quiet {
		c.admin = c.s.bootstrapWithQuietHours(t, "Acme", "admin@acme.test")
	} else {
		c.admin = c.s.bootstrap(t, "Acme", "admin@acme.test")
	}
	var anaID int64
	c.ana, anaID = c.s.createUser(t, c.admin, "ana@acme.test", "recruiter")
	c.ben, _ = c.s.createUser(t, c.admin, "ben@acme.test", "recruiter")
	c.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &c.number)
	c.admin.call("PUT", "/api/numbers/"+itoa(c.number.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID}}, 200, nil)
	return c
}

// contact creates a contact as the admin (the ATS); optIn is sms_opt_in.
func (c *compliance) contact(t *testing.T, name, phone string, optIn bool) inbox.Contact {
	t.Helper()
	var ct inbox.Contact
	c.admin.call("POST", "/api/contacts", map[string]any{"name": name, "phone": phone, "sms_opt_in": optIn}, 201, &ct)
	return ct
}

// text posts a signed inbound webhook from phone to the Recruiting number;
// extra fields (Body, Type, Media0, MessageIntent) replace or join the form.
func (c *compliance) text(t *testing.T, from, body string, extra url.Values) {
	t.Helper()
	form := inboundForm(from, c.number.E164, body, newUUID())
	for k, v := range extra {
		form[k] = v
	}
	if code := c.s.webhook(t, "/webhooks/plivo/inbound", form, nil); code != 200 {
		t.Fatalf("inbound %q: got %d, want 200", body, code)
	}
}

// send posts a text as Ana and returns the message or the error code.
func (c *compliance) send(t *testing.T, contactID int64, body string, want int) (inbox.Message, string) {
	t.Helper()
	var out struct{ Message inbox.Message }
	code, raw := c.ana.raw("POST", "/api/contacts/"+itoa(contactID)+"/messages", map[string]string{"body": body}, nil)
	if code != want {
		t.Fatalf("send %q: got %d %s, want %d", body, code, raw, want)
	}
	var e struct{ Error struct{ Code string } }
	decodeJSON(t, raw, &out)
	decodeJSON(t, raw, &e)
	return out.Message, e.Error.Code
}

// now reads a contact as the admin sees it.
func (c *compliance) now(t *testing.T, id int64) inbox.Contact {
	t.Helper()
	var ct inbox.Contact
	c.admin.call("GET", "/api/contacts/"+itoa(id), nil, 200, &ct)
	return ct
}

// proof is the contact's consent proof.
func (c *compliance) proof(t *testing.T, id int64) inbox.ConsentProof {
	t.Helper()
	var p inbox.ConsentProof
	c.admin.call("GET", "/api/contacts/"+itoa(id)+"/consent", nil, 200, &p)
	return p
}

// texts are the texts Plivo was asked to send to phone, in order.
func (c *compliance) texts(phone string) []string {
	var out []string
	for _, cr := range c.fake.Creates() {
		if strings.TrimPrefix(cr.Dst, "+") == strings.TrimPrefix(phone, "+") {
			out = append(out, cr.Text)
		}
	}
	return out
}

// waitTexts waits until Plivo got n texts for phone, and returns them.
func (c *compliance) waitTexts(t *testing.T, phone string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.texts(phone)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d texts to %s; Plivo got %q", n, phone, c.texts(phone))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c.texts(phone)
}

// message reads one of the contact's messages as Ana sees it.
func (c *compliance) message(t *testing.T, contactID, id int64) inbox.Message {
	t.Helper()
	var out struct{ Messages []inbox.Message }
	c.ana.call("GET", "/api/contacts/"+itoa(contactID)+"/messages", nil, 200, &out)
	for _, m := range out.Messages {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %d not in the contact's history", id)
	return inbox.Message{}
}

// localToday is today's date (by the wall clock) at hh:mm in the zone: the
// fake clock starts near the real date, since session cookies expire by
// the browser's (here the cookie jar's) own clock.
func localToday(t *testing.T, zone string, days, hh, mm int) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(loc).Date()
	return time.Date(y, m, d+days, hh, mm, 0, 0, loc).UTC()
}

// noonPacific is noon in San Francisco: outside anyone's quiet hours in
// the continental US.
func noonPacific(t *testing.T) time.Time { return localToday(t, "America/Los_Angeles", 0, 12, 0) }

// Keywords: every form of the contract, and Plivo's MessageIntent, change
// consent once each and send one confirmation each.
func TestComplianceKeywords(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		casey := c.contact(t, "Casey", "+14155550123", true)

		c.text(t, casey.Phone, "Stop All.", nil)
		if got := c.now(t, casey.ID); got.Consent != inbox.ConsentOptedOut {
			t.Fatalf("after %q: %s; want opted_out", "Stop All.", got.Consent)
		}
		c.text(t, casey.Phone, "unsub", nil) // opted out already: nothing sent again
		if _, code := c.send(t, casey.ID, "Still there?", 409); code != "opted_out" {
			t.Errorf("send after opt-out: %s; want opted_out", code)
		}
		c.text(t, casey.Phone, "Unstop", nil)
		texts := c.waitTexts(t, casey.Phone, 2)
		if len(texts) != 2 || texts[0] != inbox.DefaultOptoutReply ||
			texts[1] != "You're subscribed to texts from Acme. Reply STOP to opt out." {
			t.Errorf("confirmations %q; want the opt-out reply, then the opt-in reply with the company's name", texts)
		}
		// Plivo's intent counts as the keyword, whatever the words.
		c.text(t, casey.Phone, "Arrêt", url.Values{"MessageIntent": {"optout"}})
		if got := c.now(t, casey.ID); got.Consent != inbox.ConsentOptedOut {
			t.Errorf("after MessageIntent optout: %s; want opted_out", got.Consent)
		}
		c.text(t, casey.Phone, "opt-in please", url.Values{"MessageIntent": {"optin"}})
		c.text(t, casey.Phone, "REVOKE", nil)
		c.text(t, casey.Phone, "start", nil)
		c.waitTexts(t, casey.Phone, 6)
		var got []string
		for _, e := range c.proof(t, casey.ID).Entries {
			got = append(got, e.Source+":"+string(e.State)+":"+e.Keyword)
		}
		want := "application:opted_in: keyword:opted_out:STOPALL keyword:opted_in:UNSTOP keyword:opted_out:intent:optout " +
			"keyword:opted_in:intent:optin keyword:opted_out:REVOKE keyword:opted_in:START"
		if strings.Join(got, " ") != want {
			t.Errorf("ledger %q; want %q", strings.Join(got, " "), want)
		}
		if n := len(c.texts(casey.Phone)); n != 6 {
			t.Errorf("Plivo got %d texts for six consent changes; want one confirmation each", n)
		}
	})
}

// "Please stop texting me" puts the contact under review: every send is
// refused until a user decides, and the decision is in the ledger with them.
func TestCompliancePossibleOptOut(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		casey := c.contact(t, "Casey", "+14155550123", true)

		c.text(t, casey.Phone, "Can we cancel my interview on Tuesday?", nil)
		if got := c.now(t, casey.ID); got.ConsentReview {
			t.Fatal("a text about cancelling an interview put the contact under review")
		}
		c.text(t, casey.Phone, "please stop texting me", nil)
		if got := c.now(t, casey.ID); !got.ConsentReview || got.Consent != inbox.ConsentOptedIn {
			t.Fatalf("after a sentence asking to stop: review %v, %s; want under review, still opted_in", got.ConsentReview, got.Consent)
		}
		if _, code := c.send(t, casey.ID, "Sorry to hear that", 409); code != "opt_out_review" {
			t.Errorf("send under review: %s; want opt_out_review", code)
		}
		var in inbox.Inbox
		c.ana.call("GET", "/api/inbox", nil, 200, &in)
		if len(in.Threads) != 1 || !in.Threads[0].Contact.ConsentReview {
			t.Errorf("inbox item: %+v; want the thread's contact under review", in.Threads)
		}
		// Ana decides it was not a request to stop.
		var kept inbox.Contact
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/consent-review", map[string]string{"decision": "keep"}, 200, &kept)
		if kept.ConsentReview || kept.Consent != inbox.ConsentOptedIn {
			t.Errorf("kept: review %v, %s; want no review, opted_in", kept.ConsentReview, kept.Consent)
		}
		c.send(t, casey.ID, "Understood, only about the interview then.", 202)
		if code := c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/consent-review", map[string]string{"decision": "keep"}, 409, nil); code != "no_review" {
			t.Errorf("a second decision: %s; want no_review", code)
		}

		c.text(t, casey.Phone, "Don't text me again.", nil)
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/consent-review", map[string]string{"decision": "opt_out"}, 200, nil)
		if got := c.now(t, casey.ID); got.Consent != inbox.ConsentOptedOut || got.ConsentReview {
			t.Errorf("opted out by review: %s, review %v; want opted_out, no review", got.Consent, got.ConsentReview)
		}
		var sources []string
		for _, e := range c.proof(t, casey.ID).Entries {
			if e.Source == inbox.SourceReview {
				if e.User == nil || e.User.Email != "ana@acme.test" {
					t.Errorf("review entry %+v; want Ana as its user", e)
				}
				sources = append(sources, string(e.State))
			}
		}
		if !slices.Equal(sources, []string{"opted_in", "opted_out"}) {
			t.Errorf("review entries %v; want kept (opted_in), then opted_out", sources)
		}
	})
}

// A candidate who texts first can be answered on that thread for 24 hours;
// a consent request, answered YES, opts them in; YES without a request does
// nothing.
func TestComplianceConsumerInitiatedAndConsentRequest(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		const phone = "+14155550177"
		c.text(t, phone, "Hi, is the nurse job still open?", nil)
		var list struct{ Contacts []inbox.Contact }
		c.admin.call("GET", "/api/contacts?q=5550177", nil, 200, &list)
		if len(list.Contacts) != 1 || list.Contacts[0].Consent != inbox.ConsentImplied || list.Contacts[0].ConsentSource != inbox.SourceInbound {
			t.Fatalf("contacts %+v; want one, implied by inbound", list.Contacts)
		}
		id := list.Contacts[0].ID
		c.send(t, id, "Yes it is! Want to apply?", 202)
		c.waitTexts(t, phone, 1)

		// YES with no request pending is an ordinary text.
		c.text(t, phone, "yes", nil)
		if got := c.now(t, id); got.Consent != inbox.ConsentImplied {
			t.Errorf("YES without a request: %s; want implied still", got.Consent)
		}
		c.clk.Advance(23 * time.Hour)
		c.send(t, id, "Just checking in", 202)
		c.waitTexts(t, phone, 2)     // the outbox checks it again: it must go within the 24 h
		c.clk.Advance(2 * time.Hour) // 25 h after their latest text
		if _, code := c.send(t, id, "Hello again", 409); code != "no_consent" {
			t.Errorf("25 h after their latest text: %s; want no_consent", code)
		}

		var req struct{ Message inbox.Message }
		c.ana.call("POST", "/api/contacts/"+itoa(id)+"/consent-request", map[string]any{"number_id": c.number.ID}, 202, &req)
		if req.Message.Purpose != inbox.PurposeConsentRequest || req.Message.Status != inbox.StatusQueued ||
			req.Message.Body != "Acme would like to text you about jobs. Reply YES to agree or STOP to opt out." {
			t.Errorf("consent request %+v; want the company's request, queued", req.Message)
		}
		if code := c.ana.call("POST", "/api/contacts/"+itoa(id)+"/consent-request", map[string]any{"number_id": c.number.ID}, 409, nil); code != "consent_request_recent" {
			t.Errorf("a second request: %s; want consent_request_recent", code)
		}
		c.waitTexts(t, phone, 3) // the candidate reads the request before answering
		c.text(t, phone, "YES!", nil)
		if got := c.now(t, id); got.Consent != inbox.ConsentOptedIn || got.ConsentSource != inbox.SourceKeyword {
			t.Errorf("YES to the request: %s by %s; want opted_in by keyword", got.Consent, got.ConsentSource)
		}
		// Before the request: the reply, the check-in; then the request and
		// the opt-in confirmation (YES alone got none).
		texts := c.waitTexts(t, phone, 4)
		if len(texts) != 4 || !strings.HasPrefix(texts[2], "Acme would like") || !strings.HasPrefix(texts[3], "You're subscribed to texts from Acme") {
			t.Errorf("texts to the candidate %q; want two replies, the request, the opt-in confirmation", texts)
		}
		c.send(t, id, "Great, welcome!", 202)
		if code := c.ana.call("POST", "/api/contacts/"+itoa(id)+"/consent-request", map[string]any{"number_id": c.number.ID}, 409, nil); code != "consent_request_recent" {
			t.Errorf("a request after opting in within 30 days: %s; want consent_request_recent", code)
		}
		// The proof: every outbound text names the entry that allowed it.
		p := c.proof(t, id)
		if len(p.Sends) != 5 {
			t.Fatalf("sends %+v; want 5", p.Sends)
		}
		for _, s := range p.Sends {
			if s.ConsentEntryID == nil {
				t.Errorf("send %d has no consent entry", s.MessageID)
			}
		}
	})
}

// Consent authority: a recruiter cannot set consent; a phone change resets
// it; an admin can move an opted-in contact to a new phone with its consent.
func TestComplianceConsentAuthority(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		if code := c.ana.call("POST", "/api/contacts", map[string]any{"name": "Dana", "phone": "+14155550150", "sms_opt_in": true}, 403, nil); code != "consent_forbidden" {
			t.Errorf("recruiter creates an opted-in contact: %s; want consent_forbidden", code)
		}
		var list struct{ Contacts []inbox.Contact }
		c.admin.call("GET", "/api/contacts?q=5550150", nil, 200, &list)
		if len(list.Contacts) != 0 {
			t.Errorf("the refused request created %+v", list.Contacts)
		}
		var dana inbox.Contact
		c.ana.call("POST", "/api/contacts", map[string]any{"name": "Dana", "phone": "+14155550150"}, 201, &dana)
		if dana.Consent != inbox.ConsentUnknown {
			t.Errorf("a recruiter's contact: %s; want unknown", dana.Consent)
		}
		if code := c.ana.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"sms_opt_in": true}, 403, nil); code != "consent_forbidden" {
			t.Errorf("recruiter PATCH sms_opt_in: %s; want consent_forbidden", code)
		}
		c.ana.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"name": "Dana Scully", "time_zone": "America/New_York"}, 200, &dana)
		if dana.Name != "Dana Scully" || dana.TimeZone != "America/New_York" {
			t.Errorf("recruiter PATCH of name and zone: %+v", dana)
		}
		if code := c.ana.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"time_zone": "Mars/Olympus"}, 422, nil); code != "invalid_time_zone" {
			t.Errorf("a bad zone: %s; want invalid_time_zone", code)
		}

		c.admin.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"sms_opt_in": true}, 200, &dana)
		if dana.Consent != inbox.ConsentOptedIn || dana.ConsentSource != inbox.SourceAdmin {
			t.Fatalf("admin opts in: %s by %s; want opted_in by admin", dana.Consent, dana.ConsentSource)
		}
		c.ana.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"phone": "+14155550151"}, 200, &dana)
		if dana.Consent != inbox.ConsentUnknown || dana.ConsentSource != inbox.SourcePhoneChanged {
			t.Errorf("phone changed: %s by %s; want unknown by phone_changed", dana.Consent, dana.ConsentSource)
		}
		c.admin.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"sms_opt_in": true}, 200, nil)
		c.admin.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"phone": "+14155550152", "sms_opt_in": true}, 200, &dana)
		if dana.Consent != inbox.ConsentOptedIn || dana.Phone != "+14155550152" {
			t.Errorf("admin moves the contact with its consent: %s on %s; want opted_in on +14155550152", dana.Consent, dana.Phone)
		}
		c.send(t, dana.ID, "Hi Dana", 202)
		// The contact's own STOP cannot be overridden by an admin.
		c.text(t, dana.Phone, "STOP", nil)
		if code := c.admin.call("PATCH", "/api/contacts/"+itoa(dana.ID), map[string]any{"sms_opt_in": true}, 409, nil); code != "opted_out_by_contact" {
			t.Errorf("admin over the contact's STOP: %s; want opted_out_by_contact", code)
		}
	})
}

// A status report whose error code means the phone opted out (Plivo's 200)
// opts the contact out.
func TestComplianceCarrierOptOut(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		casey := c.contact(t, "Casey", "+14155550123", true)
		m, _ := c.send(t, casey.ID, "Hi Casey", 202)
		c.waitTexts(t, casey.Phone, 1)
		sent := c.message(t, casey.ID, m.ID)
		eventually(t, 10*time.Second, "the send records Plivo's uuid", func() bool {
			sent = c.message(t, casey.ID, m.ID)
			return sent.PlivoUUID != nil
		})
		form := url.Values{"MessageUUID": {*sent.PlivoUUID}, "Status": {"failed"}, "ErrorCode": {"200"}}
		if code := c.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(m.ID), form, nil); code != 200 {
			t.Fatalf("status callback: %d", code)
		}
		got := c.now(t, casey.ID)
		if got.Consent != inbox.ConsentOptedOut || got.ConsentSource != inbox.SourceCarrier {
			t.Errorf("after error 200: %s by %s; want opted_out by carrier", got.Consent, got.ConsentSource)
		}
		if _, code := c.send(t, casey.ID, "Hello?", 409); code != "opted_out" {
			t.Errorf("send after the carrier's opt-out: %s; want opted_out", code)
		}
	})
}

// Quiet hours: a text in the contact's night is held until 8 AM their time
// and goes then; one to a contact who texted STOP meanwhile never goes; a
// reply within 30 min of their text and a keyword's confirmation are not
// held; a number with two zones is held until it is morning in both; the
// contact's own time zone wins over the phone's.
func TestComplianceQuietHours(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		// 9 AM in New York is 3 or 4 AM in Honolulu.
		nineNewYork := localToday(t, "America/New_York", 0, 9, 0)
		c := newCompliance(t, env, nineNewYork, true)
		kai := c.contact(t, "Kai", "+18085550100", true)
		lee := c.contact(t, "Lee", "+18085550101", true)

		m, _ := c.send(t, kai.ID, "Good morning! Are you free for a call today?", 202)
		honolulu, _ := time.LoadLocation("Pacific/Honolulu")
		y, mo, d := nineNewYork.In(honolulu).Date()
		wantAt := time.Date(y, mo, d, 8, 0, 0, 0, honolulu).UTC()
		if m.Status != inbox.StatusScheduled || m.SendAt == nil || !m.SendAt.Equal(wantAt) ||
			m.HoldNote != "Held until 8:00 AM candidate's time" {
			t.Fatalf("held send: %s at %v, %q; want scheduled at %v, held until 8:00 AM", m.Status, m.SendAt, m.HoldNote, wantAt)
		}
		held, _ := c.send(t, lee.ID, "Hi Lee, a quick question", 202)
		// Lee texts STOP in the night: the confirmation is not held.
		c.text(t, lee.Phone, "STOP", nil)
		if texts := c.waitTexts(t, lee.Phone, 1); texts[0] != inbox.DefaultOptoutReply {
			t.Errorf("texts to Lee %q; want the opt-out confirmation at once", texts)
		}
		// Kai writes at 3 AM; a reply within 30 min goes at once.
		c.text(t, "+18085550100", "sorry, can't sleep. what's the job?", nil)
		c.clk.Advance(10 * time.Minute)
		reply, _ := c.send(t, kai.ID, "It's the night-shift nurse role!", 202)
		if reply.Status != inbox.StatusQueued {
			t.Errorf("reply 10 min after their text: %s; want queued (exempt)", reply.Status)
		}
		c.clk.Advance(25 * time.Minute)
		if late, _ := c.send(t, kai.ID, "Talk in the morning?", 202); late.Status != inbox.StatusScheduled {
			t.Errorf("35 min after their text: %s; want scheduled", late.Status)
		}
		if n := len(c.waitTexts(t, kai.Phone, 1)); n != 1 {
			t.Errorf("Plivo got %d texts for Kai in the night; want only the exempt reply", n)
		}

		// Morning in Honolulu: the held texts go, Lee's does not.
		c.clk.Set(wantAt.Add(time.Second))
		texts := c.waitTexts(t, kai.Phone, 3)
		if !slices.Contains(texts, "Good morning! Are you free for a call today?") {
			t.Errorf("texts to Kai %q; want the held text sent at 8 AM", texts)
		}
		eventually(t, 10*time.Second, "Lee's held text is canceled", func() bool {
			return c.message(t, lee.ID, held.ID).Status == inbox.StatusCanceled
		})
		if got := c.message(t, lee.ID, held.ID); got.ErrorCode != "opted_out" || !strings.Contains(got.ErrorReason, "opted out") {
			t.Errorf("Lee's held text: %s %q %q; want canceled with opted_out and a reason", got.Status, got.ErrorCode, got.ErrorReason)
		}
		if got := c.message(t, kai.ID, m.ID); got.Status == inbox.StatusScheduled || got.HoldNote != "" {
			t.Errorf("Kai's released text: %s %q; want no longer scheduled", got.Status, got.HoldNote)
		}
		if texts := c.texts(lee.Phone); len(texts) != 1 {
			t.Errorf("texts to Lee %q; want only the opt-out confirmation", texts)
		}

		// A number in two zones (Boise and Los Angeles): at 7:30 AM in Los
		// Angeles it is 8:30 in Boise, and the text waits for 8 AM in LA.
		c.clk.Set(localToday(t, "America/Los_Angeles", 1, 7, 30))
		ida := c.contact(t, "Ida", "+12085550100", true)
		if m, _ := c.send(t, ida.ID, "Hi Ida", 202); m.Status != inbox.StatusScheduled || m.SendAt == nil ||
			!m.SendAt.Equal(localToday(t, "America/Los_Angeles", 1, 8, 0)) {
			t.Errorf("two-zone number: %s at %v; want held until 8 AM in Los Angeles", m.Status, m.SendAt)
		}
		// The contact's own zone wins: Ida lives in New York (10:30 AM).
		c.admin.call("PATCH", "/api/contacts/"+itoa(ida.ID), map[string]any{"time_zone": "America/New_York"}, 200, nil)
		if m, _ := c.send(t, ida.ID, "Hi again", 202); m.Status != inbox.StatusQueued {
			t.Errorf("with time_zone America/New_York at 10:30 AM there: %s; want queued", m.Status)
		}
		// Quiet hours off: nothing is held.
		c.admin.call("PUT", "/api/company", map[string]any{"quiet_hours": nil}, 200, nil)
		if m, _ := c.send(t, kai.ID, "Off hours are off", 202); m.Status != inbox.StatusQueued {
			t.Errorf("quiet hours off: %s; want queued", m.Status)
		}
		if code := c.admin.call("PUT", "/api/company", map[string]any{"quiet_hours": map[string]string{"start": "21:00", "end": "21:00"}}, 422, nil); code != "invalid_quiet_hours" {
			t.Errorf("equal start and end: %s; want invalid_quiet_hours", code)
		}
	})
}

// An inbound MMS keeps its text (Plivo's Body) and its media, which the
// thread's users see through the server's proxy, and nobody else.
func TestComplianceMMS(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		png := []byte("\x89PNG\r\n\x1a\nnot really an image")
		media := c.fake.AddMedia("m-1", plivotest.Media{ContentType: "image/png", Body: png})
		c.text(t, "+14155550123", "", url.Values{"Type": {"mms"}, "Body": {"Here is my resume"}, "Media0": {media}, "MediaCount": {"1"}})
		var in inbox.Inbox
		c.ana.call("GET", "/api/inbox", nil, 200, &in)
		if len(in.Threads) != 1 || in.Threads[0].LastMessage == nil {
			t.Fatalf("inbox %+v; want the MMS's thread", in)
		}
		m := in.Threads[0].LastMessage
		if m.Body != "Here is my resume" || len(m.MediaURLs) != 1 {
			t.Fatalf("MMS %+v; want its text and one media URL", m)
		}
		path := "/api/messages/" + itoa(m.ID) + "/media/0"
		code, body := c.ana.raw("GET", path, nil, nil)
		if code != 200 || string(body) != string(png) {
			t.Errorf("GET %s as Ana: %d, %d bytes; want 200 and the image", path, code, len(body))
		}
		for who, cl := range map[string]*client{"Ben (not assigned)": c.ben} {
			if code, _ := cl.raw("GET", path, nil, nil); code != 404 {
				t.Errorf("GET %s as %s: %d; want 404", path, who, code)
			}
		}
		if code, _ := c.ana.raw("GET", "/api/messages/"+itoa(m.ID)+"/media/1", nil, nil); code != 404 {
			t.Errorf("media 1 of 1: %d; want 404", code)
		}
		anon := c.s.client(t)
		if code, _ := anon.raw("GET", path, nil, http.Header{}); code != 401 {
			t.Errorf("signed out: %d; want 401", code)
		}
	})
}

// The consent proof of a contact with several changes verifies; altering
// one stored entry makes `inboxd consent verify` fail naming it. Entries
// written before the hash chain (a database from 0.1.0) are chained at
// start, once.
func TestConsentVerifyCommand(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		c := newCompliance(t, env, noonPacific(t), false)
		casey := c.contact(t, "Casey", "+14155550123", true)
		c.text(t, casey.Phone, "STOP", nil)
		c.text(t, casey.Phone, "START", nil)
		c.text(t, casey.Phone, "please stop texting me", nil)
		c.ana.call("POST", "/api/contacts/"+itoa(casey.ID)+"/consent-review", map[string]string{"decision": "keep"}, 200, nil)
		other := c.contact(t, "Drew", "+14155550124", true)
		c.text(t, other.Phone, "stop", nil)

		p := c.proof(t, casey.ID)
		if len(p.Entries) != 4 || p.Entries[0].PrevHash != "" {
			t.Fatalf("proof entries %+v; want 4, the first with no prev_hash", p.Entries)
		}
		for i, e := range p.Entries {
			if i > 0 && e.PrevHash != p.Entries[i-1].Hash {
				t.Errorf("entry %d: prev_hash %s; want the hash of entry %d", e.ID, e.PrevHash, p.Entries[i-1].ID)
			}
			if len(e.Hash) != 64 {
				t.Errorf("entry %d: hash %q; want 64 hex digits", e.ID, e.Hash)
			}
		}
		cliEnv := map[string]string{"INBOX_DATA_DIR": c.s.cfg.DataDir, "DATABASE_URL": c.s.cfg.DatabaseURL, "INBOX_LOG_LEVEL": "error"}
		out, _, err := testCLI(t, cliEnv, "", "consent", "verify")
		if err != nil || !strings.Contains(out, "verified: 6 entries") {
			t.Fatalf("consent verify: %q, %v; want 6 entries verified", out, err)
		}

		// Tamper with the third entry of Casey's chain: its note.
		victim := p.Entries[2].ID
		db := rawDB(t, c.s.cfg)
		if _, err := db.Exec(db.Rebind(`UPDATE consent_changes SET note = 'texted "START" (really)' WHERE id = ?`), victim); err != nil {
			t.Fatal(err)
		}
		_, _, err = testCLI(t, cliEnv, "", "consent", "verify")
		if err == nil || !strings.Contains(err.Error(), "entry "+itoa(victim)+" ") || !strings.Contains(err.Error(), "altered") {
			t.Errorf("consent verify after tampering with entry %d: %v; want an error naming it as altered", victim, err)
		}
		// The binary exits non-zero, naming it.
		bin := inboxdBinary(t)
		cmd := exec.Command(bin, "consent", "verify")
		cmd.Env = []string{"INBOX_DATA_DIR=" + c.s.cfg.DataDir, "DATABASE_URL=" + c.s.cfg.DatabaseURL, "PATH=" + os.Getenv("PATH")}
		combined, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(string(combined), "entry "+itoa(victim)+" ") {
			t.Errorf("inboxd consent verify: %v, %q; want a non-zero exit naming entry %d", err, combined, victim)
		}

		// Put it back, then forget the hashes of Drew's entries as a 0.1.0
		// database would have none: a start chains them, once.
		if _, err := db.Exec(db.Rebind(`UPDATE consent_changes SET note = ? WHERE id = ?`), p.Entries[2].Note, victim); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(db.Rebind(`UPDATE consent_changes SET prev_hash = '', hash = '' WHERE contact_id = ?`), other.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := testCLI(t, cliEnv, "", "consent", "verify"); err == nil || !strings.Contains(err.Error(), "no hash") {
			t.Errorf("consent verify with unchained entries: %v; want them named as having no hash", err)
		}
		c.s.stop()
		again := startServer(t, map[string]string{"INBOX_DATA_DIR": c.s.cfg.DataDir, "DATABASE_URL": c.s.cfg.DatabaseURL,
			"PLIVO_AUTH_ID": testAuthID, "PLIVO_AUTH_TOKEN": testAuthToken, "PLIVO_API_URL": c.fake.URL})
		again.stop()
		if out, _, err := testCLI(t, cliEnv, "", "consent", "verify"); err != nil || !strings.Contains(out, "verified: 6 entries") {
			t.Errorf("consent verify after a start chained the old entries: %q, %v; want 6 verified", out, err)
		}
	})
}

// rawDB opens the server's database directly, as an attacker or a careless
// operator with SQL access would.
func rawDB(t *testing.T, cfg Config) *sqlx.DB {
	t.Helper()
	var db *sqlx.DB
	var err error
	if cfg.DatabaseURL != "" {
		db, err = sqlx.Open("postgres", cfg.DatabaseURL)
	} else {
		db, err = sqlx.Open("sqlite", "file:"+filepath.Join(cfg.DataDir, "smsinbox.db")+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
