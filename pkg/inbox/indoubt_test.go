package inbox_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// lastStatusEvent is the message of the latest message.status event on the
// number's topic, and how many such events there are.
func (f *fixture) lastStatusEvent(n inbox.Number) (inbox.Message, int) {
	f.t.Helper()
	events, err := f.db.EventsAfter(f.ctx, inbox.NumberTopic(n.ID), 0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var (
		last  inbox.Message
		count int
	)
	for _, e := range events {
		if e.Type != inbox.EventMessageStatus {
			continue
		}
		var data struct{ Message inbox.Message }
		if err := json.Unmarshal(e.Data, &data); err != nil {
			f.t.Fatal(err)
		}
		last, count = data.Message, count+1
	}
	return last, count
}

// TestSendInDoubt: a send that may have reached the provider shows status
// unknown at once — in the store and in a message.status event — and is
// never sent again; a report settles it, or the unconfirmed timeout fails it.
func TestSendInDoubt(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	ambiguous := &inbox.SendError{Outcome: inbox.SendAmbiguous, Err: fmt.Errorf("read response: %w", errTimeout)}
	sender := &fakeSender{script: []error{ambiguous, ambiguous}}
	f := newFixture(t, sender, inbox.Config{Outbox: fastOutbox, Clock: clk})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	runOutbox(t, f)

	first, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Are you free tomorrow?"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first send to be in doubt", func() bool { return f.message(first.ID).Status == inbox.StatusUnknown })
	if ev, n := f.lastStatusEvent(f.main); n != 1 || ev.ID != first.ID || ev.Status != inbox.StatusUnknown {
		t.Errorf("status events: %d, the last %+v; want one saying message %d is unknown", n, ev, first.ID)
	}

	// Plivo's report settles it, charge and all.
	err = f.svc.ApplyStatus(f.ctx, inbox.StatusUpdate{MessageID: first.ID, MessageUUID: "plivo-1", Status: inbox.StatusSent})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.message(first.ID); got.Status != inbox.StatusSent || got.PlivoUUID == nil || *got.PlivoUUID != "plivo-1" {
		t.Errorf("after the report: %s, uuid %v; want sent with Plivo's uuid", got.Status, got.PlivoUUID)
	}

	second, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Or Thursday?"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second send to be in doubt", func() bool { return f.message(second.ID).Status == inbox.StatusUnknown })
	if err := f.svc.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.message(second.ID).Status; got != inbox.StatusUnknown {
		t.Errorf("in doubt for a moment, swept: %s; want still unknown", got)
	}
	clk.Advance(15*time.Minute + time.Second)
	if err := f.svc.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	got := f.message(second.ID)
	if got.Status != inbox.StatusFailed || got.ErrorReason == "" {
		t.Errorf("15 minutes in doubt: %s (%q); want failed, saying why", got.Status, got.ErrorReason)
	}
	if ev, _ := f.lastStatusEvent(f.main); ev.ID != second.ID || ev.Status != inbox.StatusFailed {
		t.Errorf("the last status event %+v; want message %d failed", ev, second.ID)
	}
	// Each text reached the provider once, whatever happened after.
	for _, m := range []inbox.Message{first, second} {
		if n := sender.callsFor(m.ID); n != 1 {
			t.Errorf("message %d was handed to the provider %d times; want 1", m.ID, n)
		}
	}
}

var errTimeout = fmt.Errorf("net/http: timeout awaiting response headers")

// TestStuckSendShownInDoubt: a process that died between claiming a text
// and hearing from the provider leaves it "sending"; the janitor shows it as
// unknown after two minutes (not queued for seventeen), and a report from the
// provider — even "queued" — settles it so that it never fails for want of
// one.
func TestStuckSendShownInDoubt(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	f := newFixture(t, &fakeSender{}, inbox.Config{Clock: clk})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Are you free tomorrow?"})
	if err != nil {
		t.Fatal(err)
	}
	// The claim of a process that then died: no outbox runs here.
	_, err = f.db.Tx(f.ctx, func(tx inbox.Tx) error {
		jobs, err := tx.ClaimSends(f.ctx, clk.Now(), time.Second, 1)
		if err == nil && len(jobs) != 1 {
			err = fmt.Errorf("claimed %d texts, want 1", len(jobs))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := f.svc.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.message(m.ID).Status; got != inbox.StatusQueued {
		t.Errorf("a minute into the send: %s; want queued (it may still be on its way)", got)
	}
	clk.Advance(time.Minute + time.Second)
	if err := f.svc.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.message(m.ID).Status; got != inbox.StatusUnknown {
		t.Errorf("two minutes into a send whose process died: %s; want unknown", got)
	}
	if ev, n := f.lastStatusEvent(f.main); n != 1 || ev.ID != m.ID || ev.Status != inbox.StatusUnknown {
		t.Errorf("status events: %d, the last %+v; want one saying message %d is unknown", n, ev, m.ID)
	}

	if err := f.svc.ApplyStatus(f.ctx, inbox.StatusUpdate{MessageID: m.ID, MessageUUID: "plivo-9", Status: inbox.StatusQueued}); err != nil {
		t.Fatal(err)
	}
	if got := f.message(m.ID).Status; got != inbox.StatusQueued {
		t.Errorf("after Plivo said queued: %s; want queued (Plivo has it)", got)
	}
	clk.Advance(20 * time.Minute)
	if err := f.svc.Sweep(f.ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.message(m.ID).Status; got != inbox.StatusQueued {
		t.Errorf("20 minutes after Plivo said queued: %s; want still queued, not failed", got)
	}
}

// TestOutboxPacesEachNumber: each number sends at its configured rate —
// here 50 ms, far under the outbox's 1 s poll — and no faster, two numbers
// side by side. The outbox sleeps until a lane is due instead of polling, so
// the gaps are about the interval, not the poll. The bounds are generous (a
// busy machine stretches gaps), yet a poll-paced outbox misses them tenfold.
func TestOutboxPacesEachNumber(t *testing.T) {
	const interval, perNumber = 50 * time.Millisecond, 12
	sender := &fakeSender{}
	f := newFixture(t, sender, inbox.Config{Outbox: inbox.OutboxConfig{PerNumber: interval, AccountRate: 1000, Poll: time.Second}})
	f.assign(f.second, f.ana)
	casey := f.contact("Casey", "+14155550177", ptr(true))
	pat := f.contact("Pat", "+14155550178", ptr(true))
	for i := range perNumber {
		for _, to := range []struct {
			c inbox.Contact
			n inbox.Number
		}{{casey, f.main}, {pat, f.second}} {
			if _, err := f.svc.Send(f.ctx, f.ana, to.c.ID, inbox.SendRequest{Body: fmt.Sprint("text ", i), NumberID: to.n.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	runOutbox(t, f)
	waitFor(t, "every text to be sent", func() bool { return len(sender.all()) == 2*perNumber })

	sender.mu.Lock()
	byNumber := map[string][]time.Time{}
	for i, c := range sender.calls {
		byNumber[c.From] = append(byNumber[c.From], sender.at[i])
	}
	sender.mu.Unlock()
	for from, at := range byNumber {
		var gaps []time.Duration
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]))
		}
		slices.Sort(gaps)
		if len(gaps) != perNumber-1 {
			t.Fatalf("%s sent %d texts, want %d", from, len(at), perNumber)
		}
		// The lane spaces claims, and a send call starts a scheduling delay
		// after its claim: one gap may look short when the call before it
		// started late, but the whole run cannot be faster than the rate.
		// Only the first and the last call's delays count against it.
		if span, least := at[len(at)-1].Sub(at[0]), time.Duration(perNumber-1)*interval; span < least-interval {
			t.Errorf("%s: %d sends in %v; want no faster than one per %v (%v)", from, perNumber, span, interval, least)
		}
		if median := gaps[len(gaps)/2]; median > 5*interval {
			t.Errorf("%s: median gap between sends %v (all %v); want about %v, the configured interval, not the poll", from, median, gaps, interval)
		}
	}
}
