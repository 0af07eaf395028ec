package inbox_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
	"smsinbox/pkg/plivo"
	"smsinbox/pkg/plivo/plivotest"
)

const (
	recordsAuthID    = "MARECORDS00000000001"
	recordsAuthToken = "records-token"
)

// newRecordsFixture is a fixture that sends through plivo-go to a fake
// Plivo and reads that fake's message records, on the clock clk (which the
// fake reads too).
func newRecordsFixture(t *testing.T, clk *clock.Fake, outbox inbox.OutboxConfig) (*fixture, *plivotest.Server) {
	t.Helper()
	fake := plivotest.NewServer(t, recordsAuthID, recordsAuthToken)
	fake.SetClock(clk)
	sender, err := plivo.NewSender(recordsAuthID, recordsAuthToken, fake.URL, &http.Client{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	records, err := plivo.NewRecords(recordsAuthID, recordsAuthToken, plivo.RecordsOptions{APIURL: fake.URL, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, sender, inbox.Config{Clock: clk, Records: records, Outbox: outbox, PublicURL: "https://inbox.example.com"})
	return f, fake
}

// events returns the events of a topic of the given type.
func (f *fixture) events(topic, typ string) []inbox.Event {
	f.t.Helper()
	all, err := f.db.EventsAfter(f.ctx, topic, 0, 10000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []inbox.Event
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (f *fixture) readRecords() inbox.RecordsRun {
	f.t.Helper()
	run, err := f.svc.ReadRecords(f.ctx)
	if err != nil {
		f.t.Fatalf("ReadRecords: %v", err)
	}
	return run
}

func (f *fixture) contactByPhone(phone string) inbox.Contact {
	f.t.Helper()
	c, err := f.db.ContactByPhone(f.ctx, f.admin.CompanyID, phone)
	if err != nil {
		f.t.Fatalf("contact %s: %v", phone, err)
	}
	return c
}

// TestBackfill: texts Plivo took and whose webhooks never came are stored
// once each as missed — Plivo's time, no words, the unread count raised,
// message.created sent, a stranger's contact created — and their contacts
// go under review; texts to numbers nobody manages, and records too young
// (their webhook may be on its way), are left. Late webhooks fill the words
// in and apply them: a STOP opts out with one confirmation, an ordinary
// text ends the review it caused; a repeat changes nothing.
func TestBackfill(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	f, fake := newRecordsFixture(t, clk, fastOutbox)
	if _, err := f.svc.UpdateCompany(f.ctx, f.admin, inbox.CompanySettings{OptoutReply: ptr("You are unsubscribed.")}); err != nil {
		t.Fatal(err)
	}
	casey := f.contact("Casey", "+14155550177", ptr(true))
	now := clk.Now()
	at := now.Add(-58 * time.Minute).Truncate(time.Microsecond)
	fromCasey := fake.Receive(casey.Phone, f.main.E164, at)
	fromStranger := fake.Receive("+14155550188", f.main.E164, at.Add(time.Second))
	toSecond := fake.Receive(casey.Phone, f.second.E164, at.Add(2*time.Second))
	fake.Receive(casey.Phone, "+14155559000", at.Add(3*time.Second)) // nobody's number
	young := fake.Receive(casey.Phone, f.main.E164, now.Add(-10*time.Second))

	run := f.readRecords()
	if run.Skipped || run.Listed != 5 || run.Stored != 3 || run.Unmanaged != 1 || !near(run.Since, now.Add(-24*time.Hour)) {
		t.Fatalf("first run = %+v; want 5 listed since 24 h ago, 3 stored, 1 to nobody's number", run)
	}
	if got := f.svc.Backfilled(); got != 3 {
		t.Errorf("Backfilled() = %d; want 3", got)
	}
	for _, uuid := range []string{fromCasey, fromStranger, toSecond} {
		m, err := f.db.MessageByUUID(f.ctx, uuid)
		if err != nil {
			t.Fatalf("missed text %s: %v", uuid, err)
		}
		if !m.Missed || m.Body != "" || m.Direction != inbox.Inbound || m.Status != inbox.StatusReceived || m.CreatedAt.Before(at) ||
			m.CreatedAt.After(at.Add(2*time.Second)) {
			t.Errorf("missed text = %+v; want inbound, received, missed, no words, at Plivo's time", m)
		}
	}
	if _, err := f.db.MessageByUUID(f.ctx, young); inbox.ErrorKind(err) != inbox.KindNotFound {
		t.Errorf("a record 10 s old: %v; want it left for the next run", err)
	}
	inbox1, err := f.svc.Inbox(f.ctx, f.ana)
	if err != nil {
		t.Fatal(err)
	}
	if inbox1.UnreadTotal != 2 {
		t.Errorf("Ana's unread threads = %d; want 2 (Casey and the stranger on her number)", inbox1.UnreadTotal)
	}
	if n := len(f.events(inbox.NumberTopic(f.main.ID), inbox.EventMessageCreated)); n != 2 {
		t.Errorf("message.created on the main number: %d; want 2", n)
	}
	stranger := f.contactByPhone("+14155550188")
	for _, c := range []inbox.Contact{f.contactByPhone(casey.Phone), stranger} {
		if !c.ConsentReview || c.ReviewReason() != inbox.ReviewReasonMissed {
			t.Errorf("%s: review %v (%q); want under review, a text was missed", c.Name, c.ConsentReview, c.ReviewReason())
		}
	}
	if stranger.Consent != inbox.ConsentUnknown {
		t.Errorf("a stranger's missed text made consent %s; want unknown (its words are not known)", stranger.Consent)
	}
	if _, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Are you there?"}); inbox.ErrorCode(err) != "opt_out_review" {
		t.Errorf("texting a contact whose text was missed: %v; want opt_out_review", err)
	}

	// The next run lists from the last one's start, less the overlap, and
	// stores each text once.
	clk.Advance(5 * time.Minute)
	run = f.readRecords()
	if run.Stored != 1 || !near(run.Since, now.Add(-15*time.Minute)) {
		t.Errorf("second run = %+v; want the young text stored, listed since 15 min before the first run", run)
	}
	if run := f.readRecords(); run.Stored != 0 {
		t.Errorf("third run stored %d; want none", run.Stored)
	}

	// Late webhooks. Casey's missed text on her number was STOP.
	runOutbox(t, f)
	m, err := f.svc.ReceiveSMS(f.ctx, inbox.InboundSMS{From: casey.Phone, To: f.main.E164, Text: "STOP", MessageUUID: fromCasey})
	if err != nil {
		t.Fatal(err)
	}
	if m.Missed || m.Body != "STOP" || m.PlivoUUID == nil || *m.PlivoUUID != fromCasey {
		t.Errorf("the late webhook answered %+v; want the text with its words", m)
	}
	updated := f.events(inbox.NumberTopic(f.main.ID), inbox.EventMessageUpdated)
	if len(updated) != 1 {
		t.Fatalf("message.updated events: %d; want 1", len(updated))
	}
	var data struct {
		Thread  inbox.Thread
		Message inbox.Message
	}
	if err := json.Unmarshal(updated[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Message.ID != m.ID || data.Message.Body != "STOP" || data.Message.Missed || data.Thread.ID != m.ThreadID {
		t.Errorf("message.updated = %+v; want the filled-in text and its thread", data)
	}
	c := f.contactByPhone(casey.Phone)
	if c.Consent != inbox.ConsentOptedOut || c.ConsentReview {
		t.Errorf("after the late STOP: %s, review %v; want opted out, review over", c.Consent, c.ConsentReview)
	}
	waitFor(t, "the opt-out confirmation", func() bool { return len(fake.Creates()) == 1 })
	if got := fake.Creates()[0]; got.Text != "You are unsubscribed." || got.Dst != casey.Phone {
		t.Errorf("Plivo got %+v; want the opt-out confirmation to Casey", got)
	}
	// Plivo delivers the webhook again: nothing changes.
	before := f.seq(inbox.NumberTopic(f.main.ID))
	again, err := f.svc.ReceiveSMS(f.ctx, inbox.InboundSMS{From: casey.Phone, To: f.main.E164, Text: "STOP", MessageUUID: fromCasey})
	if err != nil || again.ID != m.ID {
		t.Fatalf("the webhook again: %+v, %v; want the same message", again, err)
	}
	if after := f.seq(inbox.NumberTopic(f.main.ID)); after != before {
		t.Errorf("the webhook again made %d events; want none", after-before)
	}

	// The stranger's words were ordinary: the review ends, and texting
	// first makes consent implied.
	if _, err := f.svc.ReceiveSMS(f.ctx, inbox.InboundSMS{From: stranger.Phone, To: f.main.E164, Text: "Is the job open?",
		MessageUUID: fromStranger}); err != nil {
		t.Fatal(err)
	}
	if c := f.contactByPhone(stranger.Phone); c.ConsentReview || c.Consent != inbox.ConsentImplied {
		t.Errorf("after the stranger's late words: review %v, %s; want no review, implied", c.ConsentReview, c.Consent)
	}
	if th, _ := f.svc.Inbox(f.ctx, f.ana); th.UnreadTotal != 2 {
		t.Errorf("unread threads after the late webhooks = %d; want still 2 (the missed texts raised them once)", th.UnreadTotal)
	}
	var texts int
	msgs, err := f.db.Messages(f.ctx, f.admin.CompanyID, []int64{m.ThreadID}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range msgs {
		if x.Direction == inbox.Inbound {
			texts++
		}
	}
	if texts != 2 {
		t.Errorf("Casey's thread has %d inbound texts; want 2 (the filled-in STOP and the young one), nothing twice", texts)
	}
}

// TestBackfillOneInstanceAtATime: while one service holds the lease on the
// records, another's run is skipped, doing nothing; once released, it runs.
func TestBackfillOneInstanceAtATime(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	f, fake := newRecordsFixture(t, clk, fastOutbox)
	fake.Receive("+14155550177", f.main.E164, clk.Now().Add(-time.Hour))
	ok, err := f.db.AcquireLease(f.ctx, "plivo-records", "another instance", clk.Now(), clk.Now().Add(2*time.Minute))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if run := f.readRecords(); !run.Skipped || run.Stored != 0 {
		t.Errorf("a run while another instance holds the lease: %+v; want skipped", run)
	}
	if answered, _ := fake.Lists(); answered != 0 {
		t.Errorf("%d list requests while skipped; want none", answered)
	}
	clk.Advance(2*time.Minute + time.Second) // the other instance died: its lease lapses
	if run := f.readRecords(); run.Skipped || run.Stored != 1 {
		t.Errorf("a run after the other's lease lapsed: %+v; want 1 stored", run)
	}
}

// TestSettleSendsInDoubt: sends in doubt are settled with Plivo's outbound
// records — one that reached Plivo takes its record's uuid and state; one
// that never did is sent again, once; two in doubt to one contact with
// records that could be either's stay unknown — and only once their attempt
// began Stuck ago.
func TestSettleSendsInDoubt(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	outbox := fastOutbox
	outbox.Stuck = 2 * time.Minute
	f, fake := newRecordsFixture(t, clk, outbox)
	reached := f.contact("Reached", "+14155550171", ptr(true))
	never := f.contact("Never", "+14155550172", ptr(true))
	twice := f.contact("Twice", "+14155550173", ptr(true))
	runOutbox(t, f)
	send := func(c inbox.Contact, body string) inbox.Message {
		t.Helper()
		m, err := f.svc.Send(f.ctx, f.ana, c.ID, inbox.SendRequest{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, body+" to be in doubt", func() bool { return f.message(m.ID).Status == inbox.StatusUnknown })
		return m
	}
	fake.HangNext(1) // Plivo takes it; the answer never comes
	a := send(reached, "reached Plivo")
	fake.StallNext(1) // Plivo never reads it
	b := send(never, "never reached Plivo")
	fake.HangNext(2)
	c1 := send(twice, "first of two")
	c2 := send(twice, "second of two")
	if n := len(fake.Creates()); n != 3 {
		t.Fatalf("Plivo has %d texts; want 3", n)
	}
	if run := f.readRecords(); run.InDoubt != 0 {
		t.Errorf("a run right after: %+v; want nothing settled before the attempts are 2 min old", run.Settle)
	}
	clk.Advance(2*time.Minute + time.Second)
	run := f.readRecords()
	if run.InDoubt != 4 || run.Adopted != 1 || run.Resent != 1 || run.Ambiguous != 2 {
		t.Errorf("settle = %+v; want 4 in doubt: 1 adopted, 1 sent again, 2 ambiguous", run.Settle)
	}
	got := f.message(a.ID)
	if got.Status != inbox.StatusSent || got.PlivoUUID == nil || *got.PlivoUUID != fake.Creates()[0].MessageUUID {
		t.Errorf("the text that reached Plivo: %s, uuid %v; want sent (its record's state) with its record's uuid", got.Status, got.PlivoUUID)
	}
	waitFor(t, "the text that never reached Plivo to be sent", func() bool { return f.message(b.ID).PlivoUUID != nil })
	var toNever int
	for _, c := range fake.Creates() {
		if c.Dst == never.Phone {
			toNever++
			if c.Text != "never reached Plivo" || c.MessageUUID != *f.message(b.ID).PlivoUUID {
				t.Errorf("Plivo got %+v for Never; want the text, with the uuid it now has", c)
			}
		}
	}
	if toNever != 1 {
		t.Errorf("Plivo got %d texts for Never; want exactly 1", toNever)
	}
	for _, m := range []inbox.Message{c1, c2} {
		if st := f.message(m.ID).Status; st != inbox.StatusUnknown {
			t.Errorf("%q: %s; want still unknown (two records, two texts: which is which?)", m.Body, st)
		}
	}
	if ev, _ := f.lastStatusEvent(f.main); ev.ID != b.ID {
		t.Errorf("the last status event is of message %d; want the one sent again, %d", ev.ID, b.ID)
	}
	// The next run has nothing left to settle but the ambiguous pair.
	if run := f.readRecords(); run.InDoubt != 2 || run.Ambiguous != 2 || run.Resent != 0 || run.Adopted != 0 {
		t.Errorf("the next run = %+v; want only the ambiguous pair, left as they are", run.Settle)
	}
}

// near reports whether a is b or up to a second after it: the fake clock
// runs on at the wall clock's pace between a test's reading and the
// server's.
func near(a, b time.Time) bool { return !a.Before(b) && a.Sub(b) < time.Second }

// TestBackfillHoldsItsLease: a run longer than the lease keeps it, renewed
// while it reads, so no other instance starts meanwhile; it goes when the
// run ends.
func TestBackfillHoldsItsLease(t *testing.T) {
	clk := clock.NewFake(time.Now())
	fake := plivotest.NewServer(t, recordsAuthID, recordsAuthToken)
	fake.SetClock(clk)
	records, err := plivo.NewRecords(recordsAuthID, recordsAuthToken, plivo.RecordsOptions{APIURL: fake.URL, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, &fakeSender{}, inbox.Config{Clock: clk, Records: records,
		Backfill: inbox.BackfillConfig{Lease: 1500 * time.Millisecond}})
	for i := range 50 {
		fake.Receive("+14155550177", f.main.E164, clk.Now().Add(-time.Hour+time.Duration(i)*time.Second))
	}
	fake.DelayLists(time.Second) // three pages: 3 s, twice the lease
	done := make(chan inbox.RecordsRun)
	go func() {
		run, err := f.svc.ReadRecords(f.ctx)
		if err != nil {
			t.Error(err)
		}
		done <- run
	}()
	for range 10 {
		time.Sleep(250 * time.Millisecond)
		now := clk.Now()
		if ok, err := f.db.AcquireLease(f.ctx, "plivo-records", "another instance", now, now.Add(time.Second)); err != nil || ok {
			t.Fatalf("another instance took the lease mid-run: %v, %v", ok, err)
		}
	}
	if run := <-done; run.Stored != 50 {
		t.Errorf("the long run stored %d; want 50", run.Stored)
	}
	now := clk.Now()
	if ok, err := f.db.AcquireLease(f.ctx, "plivo-records", "another instance", now, now.Add(time.Second)); err != nil || !ok {
		t.Errorf("after the run: the lease is not free (%v, %v)", ok, err)
	}
}
