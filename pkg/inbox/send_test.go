package inbox_test

import (
	"strings"
	"testing"

	"smsinbox/pkg/inbox"
)

// TestSendRules: every refusal of Send, in the order the checks run, and
// what an accepted text looks like.
func TestSendRules(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	pat := f.contact("Pat", "+14155550178", nil)
	olly := f.contact("Olly", "+14155550179", ptr(true))
	if _, _, err := f.svc.UpsertContact(f.ctx, f.admin, inbox.ContactInput{Name: "Olly", Phone: olly.Phone, SMSOptIn: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	otherAdmin, err := f.svc.Bootstrap(f.ctx, "Other Co", inbox.NewUser{Email: "admin@other.test", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := f.svc.UpsertContact(f.ctx, otherAdmin, inbox.ContactInput{Name: "Foreign", Phone: "+14155550180", SMSOptIn: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name    string
		caller  inbox.User
		contact int64
		req     inbox.SendRequest
		kind    inbox.Kind
		code    string
	}{
		{"no such contact", f.ana, 99999, inbox.SendRequest{Body: "hi"}, inbox.KindNotFound, "not_found"},
		{"another company's contact", f.ana, foreign.ID, inbox.SendRequest{Body: "hi"}, inbox.KindNotFound, "not_found"},
		{"caller on no number", f.ben, casey.ID, inbox.SendRequest{Body: "hi"}, inbox.KindForbidden, "not_assigned"},
		{"a number the caller is not on", f.ana, casey.ID, inbox.SendRequest{Body: "hi", NumberID: f.second.ID}, inbox.KindForbidden, "not_assigned"},
		{"no such number", f.ana, casey.ID, inbox.SendRequest{Body: "hi", NumberID: 99999}, inbox.KindNotFound, "not_found"},
		{"assignment before consent", f.ben, pat.ID, inbox.SendRequest{Body: "hi"}, inbox.KindForbidden, "not_assigned"},
		{"opted out", f.ana, olly.ID, inbox.SendRequest{Body: "hi"}, inbox.KindConflict, "opted_out"},
		{"never opted in", f.ana, pat.ID, inbox.SendRequest{Body: "hi"}, inbox.KindConflict, "no_consent"},
		{"consent before body", f.ana, olly.ID, inbox.SendRequest{Body: "  "}, inbox.KindConflict, "opted_out"},
		{"blank body", f.ana, casey.ID, inbox.SendRequest{Body: " \n\t "}, inbox.KindInvalid, "invalid_body"},
		{"1,601 characters", f.ana, casey.ID, inbox.SendRequest{Body: strings.Repeat("a", 1601)}, inbox.KindInvalid, "invalid_body"},
		{"key over 255 characters", f.ana, casey.ID, inbox.SendRequest{Body: "hi", IdempotencyKey: strings.Repeat("k", 256)}, inbox.KindInvalid, "invalid_idempotency_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := f.svc.Send(f.ctx, tt.caller, tt.contact, tt.req)
			wantError(t, "Send", err, tt.kind, tt.code)
			if m.ID != 0 {
				t.Errorf("Send returned message %d with the error; want none", m.ID)
			}
		})
	}
	if n, err := f.svc.QueueDepth(f.ctx); err != nil || n != 0 {
		t.Fatalf("after refused sends, %d queued (%v); want 0", n, err)
	}

	// 1,600 characters count as characters, not bytes.
	topic := inbox.NumberTopic(f.main.ID)
	before := f.seq(topic)
	long := strings.Repeat("ж", inbox.MaxBodyChars) // two bytes each, outside GSM-7
	m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "  " + long + "  "})
	if err != nil {
		t.Fatalf("Send of 1,600 characters: %v", err)
	}
	if m.ID == 0 || m.Body != long || m.Direction != inbox.Outbound || m.Status != inbox.StatusQueued || m.NumberID != f.main.ID ||
		m.ContactID != casey.ID || m.SentBy == nil || m.SentBy.ID != f.ana.ID || m.Encoding != "UCS-2" || m.Segments != 24 {
		t.Errorf("sent %q…: id %d, %s, %s, number %d, contact %d, by %v, %s in %d segments; want the trimmed body, outbound, queued, on main, to Casey, by Ana, UCS-2 in 24 segments",
			m.Body[:min(len(m.Body), 8)], m.ID, m.Direction, m.Status, m.NumberID, m.ContactID, m.SentBy, m.Encoding, m.Segments)
	}
	if got := f.seq(topic); got != before+1 {
		t.Errorf("number topic seq %d after a send; want %d (one message.created)", got, before+1)
	}
	if n, _ := f.svc.QueueDepth(f.ctx); n != 1 {
		t.Errorf("%d queued; want the one text", n)
	}

	// Texting switched off for the company comes before everything but
	// the contact's existence.
	if _, err := f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{SMSEnabled: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "hi"})
	wantError(t, "Send with texting off", err, inbox.KindConflict, "sms_disabled")
	_, err = f.svc.Send(f.ctx, f.ben, pat.ID, inbox.SendRequest{Body: ""})
	wantError(t, "Send with texting off, by a caller on no number, to a contact without consent", err, inbox.KindConflict, "sms_disabled")
}

// TestSendPicksTheNumber: the number asked for; else the caller's only one;
// else the one of the latest thread with the contact; else the caller must
// choose.
func TestSendPicksTheNumber(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	dana := f.contact("Dana", "+14155550181", ptr(true))

	if m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "only number"}); err != nil || m.NumberID != f.main.ID {
		t.Fatalf("Send with one number: %+v, %v; want it on main", m, err)
	}
	f.assign(f.second, f.ana)
	_, err := f.svc.Send(f.ctx, f.ana, dana.ID, inbox.SendRequest{Body: "which number?"})
	wantError(t, "Send on two numbers, no thread", err, inbox.KindInvalid, "number_required")
	if m, err := f.svc.Send(f.ctx, f.ana, dana.ID, inbox.SendRequest{Body: "from second", NumberID: f.second.ID}); err != nil || m.NumberID != f.second.ID {
		t.Fatalf("Send asking for second: %+v, %v; want it on second", m, err)
	}
	if m, err := f.svc.Send(f.ctx, f.ana, dana.ID, inbox.SendRequest{Body: "follow-up"}); err != nil || m.NumberID != f.second.ID {
		t.Errorf("Send to Dana with a thread on second: %+v, %v; want it on second", m, err)
	}
	if m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "follow-up"}); err != nil || m.NumberID != f.main.ID {
		t.Errorf("Send to Casey with a thread on main: %+v, %v; want it on main", m, err)
	}
	// Casey answers on second: that thread is now the latest.
	f.receive(casey.Phone, f.second, "it's me", "u-casey-second")
	if m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "got it"}); err != nil || m.NumberID != f.second.ID {
		t.Errorf("Send to Casey after her text to second: %+v, %v; want it on second", m, err)
	}
}

// TestSendIdempotency: a repeated Idempotency-Key answers the first message
// and queues nothing; the same key for another text is refused; keys are
// per user.
func TestSendIdempotency(t *testing.T) {
	f := newFixture(t, nil, inbox.Config{})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	dana := f.contact("Dana", "+14155550181", ptr(true))

	first, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Hi Casey", IdempotencyKey: "k-1"})
	if err != nil {
		t.Fatal(err)
	}
	seq := f.seq(inbox.NumberTopic(f.main.ID))
	again, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: " Hi Casey\n", IdempotencyKey: "k-1"})
	if err != nil || again.ID != first.ID {
		t.Errorf("repeat: %+v, %v; want message %d again", again, err, first.ID)
	}
	if got := f.seq(inbox.NumberTopic(f.main.ID)); got != seq {
		t.Errorf("a repeat emitted %d events; want none", got-seq)
	}
	if n, _ := f.svc.QueueDepth(f.ctx); n != 1 {
		t.Errorf("%d queued after a repeat; want 1", n)
	}
	_, err = f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Hi Casey!", IdempotencyKey: "k-1"})
	wantError(t, "same key, other body", err, inbox.KindInvalid, "idempotency_mismatch")
	_, err = f.svc.Send(f.ctx, f.ana, dana.ID, inbox.SendRequest{Body: "Hi Casey", IdempotencyKey: "k-1"})
	wantError(t, "same key, other contact", err, inbox.KindInvalid, "idempotency_mismatch")

	f.assign(f.main, f.ana, f.ben)
	bens, err := f.svc.Send(f.ctx, f.ben, casey.ID, inbox.SendRequest{Body: "Hi Casey", IdempotencyKey: "k-1"})
	if err != nil || bens.ID == first.ID {
		t.Errorf("Ben with Ana's key: %+v, %v; want a message of his own", bens, err)
	}
	plain, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Hi Casey"})
	if err != nil || plain.ID == first.ID {
		t.Errorf("no key: %+v, %v; want a new message", plain, err)
	}
}
