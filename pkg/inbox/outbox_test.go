package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// fakeSender is the provider at the Sender boundary: each call takes the
// next scripted answer; past the script, it accepts the text.
type fakeSender struct {
	mu     sync.Mutex
	calls  []inbox.OutboundSMS
	at     []time.Time // when each call came, by the wall clock
	script []error     // nil accepts
}

func (s *fakeSender) Send(_ context.Context, m inbox.OutboundSMS) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.calls)
	s.calls = append(s.calls, m)
	s.at = append(s.at, time.Now())
	if i < len(s.script) && s.script[i] != nil {
		return "", s.script[i]
	}
	return fmt.Sprintf("uuid-%d", m.MessageID), nil
}

// callsFor counts the sends of one message.
func (s *fakeSender) callsFor(id int64) (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		if c.MessageID == id {
			n++
		}
	}
	return n
}

func (s *fakeSender) all() []inbox.OutboundSMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]inbox.OutboundSMS(nil), s.calls...)
}

// fastOutbox sends at once and retries within milliseconds, one send at a
// time, so that a later text is sent only after an earlier one's outcome is
// recorded.
var fastOutbox = inbox.OutboxConfig{PerNumber: time.Millisecond, AccountRate: 1000, Workers: 1, Poll: 5 * time.Millisecond,
	MaxAttempts: 3, RetryBase: time.Millisecond, RetryMax: 2 * time.Millisecond}

// runOutbox runs the fixture's outbox until the test ends.
func runOutbox(t *testing.T, f *fixture) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunOutbox(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunOutbox: %v", err)
		}
	})
}

// TestOutboxOutcomes: what each answer of the provider does to a message.
// A second text, sent after the first's outcome is recorded, shows that
// nothing more happened to the first (one send at a time, oldest first).
func TestOutboxOutcomes(t *testing.T) {
	retry := &inbox.SendError{Outcome: inbox.SendRetry, Code: "503", Err: errors.New("Plivo is down")}
	for _, tt := range []struct {
		name       string
		script     []error
		reportLate bool // a delivery report overtakes the send call
		calls      int
		status     inbox.Status
		uuid       bool
		code       string
		reason     string
	}{
		{name: "accepted", calls: 1, status: inbox.StatusQueued, uuid: true},
		{name: "accepted, report overtook the call", reportLate: true, calls: 1, status: inbox.StatusDelivered, uuid: true},
		{name: "retried until accepted", script: []error{retry, retry}, calls: 3, status: inbox.StatusQueued, uuid: true},
		{name: "retried until out of attempts", script: []error{retry, retry, retry}, calls: 3, status: inbox.StatusFailed,
			code: "503", reason: "could not reach the SMS provider after 3 attempts"},
		{name: "ambiguous: never re-sent, shown in doubt", script: []error{&inbox.SendError{Outcome: inbox.SendAmbiguous, Err: context.DeadlineExceeded}},
			calls: 1, status: inbox.StatusUnknown},
		{name: "an unclassified error is ambiguous", script: []error{errors.New("connection reset")}, calls: 1, status: inbox.StatusUnknown},
		{name: "rejected", script: []error{&inbox.SendError{Outcome: inbox.SendRejected, Code: "21", Err: errors.New("invalid destination")}},
			calls: 1, status: inbox.StatusFailed, code: "21", reason: "invalid destination"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sender := &fakeSender{script: tt.script}
			f := newFixture(t, sender, inbox.Config{PublicURL: "https://inbox.example.com/", Outbox: fastOutbox})
			casey := f.contact("Casey", "+14155550177", ptr(true))
			m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Are you free tomorrow?"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.reportLate {
				if err := f.svc.ApplyStatus(f.ctx, inbox.StatusUpdate{MessageUUID: fmt.Sprintf("uuid-%d", m.ID), Status: inbox.StatusDelivered}); err != nil {
					t.Fatal(err)
				}
			}
			runOutbox(t, f)
			waitFor(t, "the provider's answers", func() bool { return sender.callsFor(m.ID) >= tt.calls })
			next, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Second text"})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the second text to be sent", func() bool { return f.message(next.ID).PlivoUUID != nil })

			if n := sender.callsFor(m.ID); n != tt.calls {
				t.Errorf("the first text was sent %d times; want %d", n, tt.calls)
			}
			got := f.message(m.ID)
			if got.Status != tt.status || (got.PlivoUUID != nil) != tt.uuid || got.ErrorCode != tt.code || got.ErrorReason != tt.reason {
				t.Errorf("first text: status %s, uuid %v, error %q %q; want %s, uuid %v, error %q %q",
					got.Status, got.PlivoUUID, got.ErrorCode, got.ErrorReason, tt.status, tt.uuid, tt.code, tt.reason)
			}
			if tt.uuid && *got.PlivoUUID != fmt.Sprintf("uuid-%d", m.ID) {
				t.Errorf("first text's provider id %q; want the one the provider answered", *got.PlivoUUID)
			}
			if n, _ := f.svc.QueueDepth(f.ctx); n != 0 {
				t.Errorf("%d texts still queued; want none", n)
			}
			call := sender.all()[0]
			want := inbox.OutboundSMS{MessageID: m.ID, From: f.main.E164, To: casey.Phone, Text: "Are you free tomorrow?",
				CallbackURL: fmt.Sprintf("https://inbox.example.com/webhooks/plivo/status?message_id=%d", m.ID)}
			if call != want {
				t.Errorf("the provider got %+v; want %+v", call, want)
			}
		})
	}
}

// TestCarrierOptOutOvertakesSend: a report with the carrier's opt-out code
// that arrives before the send call returns is kept, and still opts the
// contact out once the send records its provider id.
func TestCarrierOptOutOvertakesSend(t *testing.T) {
	f := newFixture(t, &fakeSender{}, inbox.Config{PublicURL: "https://inbox.example.com/", Outbox: fastOutbox})
	casey := f.contact("Casey", "+14155550177", ptr(true))
	m, err := f.svc.Send(f.ctx, f.ana, casey.ID, inbox.SendRequest{Body: "Are you free tomorrow?"})
	if err != nil {
		t.Fatal(err)
	}
	early := inbox.StatusUpdate{MessageUUID: fmt.Sprintf("uuid-%d", m.ID), Status: inbox.StatusFailed, ErrorCode: "200", OptedOut: true}
	if err := f.svc.ApplyStatus(f.ctx, early); err != nil {
		t.Fatal(err)
	}
	runOutbox(t, f)
	waitFor(t, "the text's provider id to be recorded", func() bool { return f.message(m.ID).PlivoUUID != nil })
	got, err := f.svc.Contact(f.ctx, f.ana, casey.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Consent != inbox.ConsentOptedOut || got.ConsentSource != inbox.SourceCarrier {
		t.Errorf("Casey's consent %s (%s); want opted_out by the carrier", got.Consent, got.ConsentSource)
	}
	if st := f.message(m.ID).Status; st != inbox.StatusFailed {
		t.Errorf("the text's status %s; want failed, as the kept report said", st)
	}
}
