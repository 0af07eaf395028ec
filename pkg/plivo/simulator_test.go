package plivo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

// webhookSink is a test server that verifies every webhook with our Verifier
// and keeps the verified forms.
type webhookSink struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []inbox.StatusUpdate
	inbounds []inbox.InboundSMS
	failNext int // answer 500 to this many more status callbacks
	got      chan struct{}
}

func newWebhookSink(t *testing.T) *webhookSink {
	t.Helper()
	s := &webhookSink{got: make(chan struct{}, 100)}
	var v Verifier
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := v.Verify(r)
		if err != nil {
			t.Errorf("webhook %s: Verify = %v", r.URL, err)
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		switch r.URL.Path {
		case "/webhooks/plivo/status":
			if s.failNext > 0 {
				s.failNext--
				http.Error(w, "store down", http.StatusServiceUnavailable)
				return
			}
			u, err := ParseStatus(form, r.URL.Query())
			if err != nil {
				t.Errorf("ParseStatus = %v", err)
			}
			s.statuses = append(s.statuses, u)
		case "/webhooks/plivo/inbound":
			in, err := ParseInbound(form)
			if err != nil {
				t.Errorf("ParseInbound = %v", err)
			}
			s.inbounds = append(s.inbounds, in)
		default:
			http.NotFound(w, r)
			return
		}
		s.got <- struct{}{}
	}))
	v = Verifier{PublicURL: "http://" + s.srv.Listener.Addr().String(), AuthToken: testToken}
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// wait waits for n accepted webhooks, generously.
func (s *webhookSink) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for range n {
		select {
		case <-s.got:
		case <-timeout:
			t.Fatalf("timed out waiting for %d webhooks", n)
		}
	}
}

// runSimulator runs sim until the test ends, and checks that Run returns.
func runSimulator(t *testing.T, sim *Simulator) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v; want nil", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
}

func TestSimulatorStatusCallbacks(t *testing.T) {
	sink := newWebhookSink(t)
	sink.failNext = 1 // the first callback fails once and is retried
	sim := NewSimulator(testToken, nil, nil,
		WithCallbackDelays(time.Millisecond, time.Millisecond, time.Millisecond),
		WithCallbackRetries(3, time.Millisecond))
	runSimulator(t, sim)

	m := testSMS
	m.CallbackURL = sink.srv.URL + "/webhooks/plivo/status?message_id=7"
	id, err := sim.Send(context.Background(), m)
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v; want an id", id, err)
	}
	sink.wait(t, 3)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	want := []inbox.Status{inbox.StatusQueued, inbox.StatusSent, inbox.StatusDelivered}
	if len(sink.statuses) != len(want) {
		t.Fatalf("got %d status callbacks; want %d", len(sink.statuses), len(want))
	}
	for i, u := range sink.statuses {
		if u.Status != want[i] || u.MessageUUID != id || u.MessageID != 7 {
			t.Errorf("callback %d = %+v; want status %s, uuid %s, message 7", i+1, u, want[i], id)
		}
	}
}

func TestSimulatorPhoneLog(t *testing.T) {
	sink := newWebhookSink(t)
	sim := NewSimulator(testToken, nil, nil)
	m := testSMS
	m.CallbackURL = ""
	if _, err := sim.Send(context.Background(), m); err != nil {
		t.Fatalf("Send = %v", err)
	}
	if err := sim.SendInbound(context.Background(), sink.srv.URL, "(415) 555-0111", "+1 415 555 0100", "STOP"); err != nil {
		t.Fatalf("SendInbound = %v", err)
	}
	sink.wait(t, 1)
	sink.mu.Lock()
	in := sink.inbounds[0]
	sink.mu.Unlock()
	if in.From != "+14155550111" || in.To != "+14155550100" || in.Text != "STOP" || in.Type != "sms" || in.MessageUUID == "" {
		t.Errorf("inbound = %+v; want from +14155550111 to +14155550100, STOP", in)
	}

	phone := sim.Messages("4155550111")
	if len(phone) != 2 {
		t.Fatalf("Messages(phone) = %+v; want 2", phone)
	}
	if phone[0].Direction != DirectionToPhone || phone[0].Text != m.Text || phone[1].Direction != DirectionFromPhone || phone[1].Text != "STOP" {
		t.Errorf("Messages(phone) = %+v; want the sent text, then STOP", phone)
	}
	if phone[0].ID >= phone[1].ID {
		t.Errorf("ids %d, %d; want increasing", phone[0].ID, phone[1].ID)
	}
	if other := sim.Messages("+14155550199"); len(other) != 0 {
		t.Errorf("Messages(other phone) = %+v; want none", other)
	}
	if bad := sim.Messages("nonsense"); bad == nil || len(bad) != 0 {
		t.Errorf("Messages(nonsense) = %#v; want an empty list", bad)
	}

	var fields map[string]any
	b, _ := json.Marshal(phone[0])
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "from", "to", "text", "direction", "at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("PhoneMessage JSON %s lacks %q", b, k)
		}
	}
}

func TestSimulatorSendInboundErrors(t *testing.T) {
	sink := newWebhookSink(t)
	sim := NewSimulator(testToken, nil, nil)
	ctx := context.Background()
	if err := sim.SendInbound(ctx, sink.srv.URL, "nonsense", "+14155550100", "hi"); err == nil {
		t.Error("SendInbound from nonsense = nil; want an error")
	}
	if err := sim.SendInbound(ctx, sink.srv.URL, "+14155550111", "+14155550100", "  "); err == nil {
		t.Error("SendInbound of blank text = nil; want an error")
	}
	// A server that refuses the signature: a *PostError, nothing logged on the phone.
	wrong := NewSimulator("another-token", nil, nil)
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := (Verifier{PublicURL: "http://" + r.Host, AuthToken: testToken}).Verify(r); err != nil {
			http.Error(w, "forbidden", http.StatusForbidden)
		}
	}))
	defer refuse.Close()
	err := wrong.SendInbound(ctx, refuse.URL, "+14155550111", "+14155550100", "hi")
	var pe *PostError
	if !errors.As(err, &pe) || pe.StatusCode != http.StatusForbidden {
		t.Errorf("SendInbound with a wrong token = %v; want a 403 PostError", err)
	}
	if n := len(wrong.Messages("")); n != 0 {
		t.Errorf("phone log has %d texts after a refused inbound; want 0", n)
	}
}

func TestSimulatorBoundedLog(t *testing.T) {
	sim := NewSimulator(testToken, nil, nil, WithPhoneLogLimit(3))
	m := testSMS
	m.CallbackURL = ""
	for range 5 {
		if _, err := sim.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	all := sim.Messages("")
	if len(all) != 3 || all[0].ID != 3 || all[2].ID != 5 {
		t.Errorf("Messages() = %+v; want the last 3 (ids 3 to 5)", all)
	}
}

func TestSimulatorSendNeverBlocks(t *testing.T) {
	sim := NewSimulator(testToken, nil, nil) // Run is never started
	for i := range queueSize + 10 {
		if _, err := sim.Send(context.Background(), testSMS); err != nil {
			t.Fatalf("Send %d = %v", i, err)
		}
	}
}

func TestSimulatorRejects(t *testing.T) {
	sim := NewSimulator(testToken, nil, nil)
	_, err := sim.Send(context.Background(), inbox.OutboundSMS{To: "+14155550111"})
	if inbox.SendOutcomeOf(err) != inbox.SendRejected {
		t.Errorf("Send(no text) = %v; want rejected", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sim.Send(ctx, testSMS); inbox.SendOutcomeOf(err) != inbox.SendRetry {
		t.Errorf("Send(cancelled ctx) = %v; want retry", err)
	}
}

// TestSimulatorRunStops: cancelling Run's context ends it and every
// goroutine it started, even with callbacks still waiting.
func TestSimulatorRunStops(t *testing.T) {
	before := runtime.NumGoroutine()
	sim := NewSimulator(testToken, nil, nil, WithCallbackDelays(time.Hour, time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Run(ctx) }()
	for range 3 {
		if _, err := sim.Send(context.Background(), testSMS); err != nil {
			t.Fatal(err)
		}
	}
	// Let Run pick the texts up, so their goroutines exist.
	deadline := time.Now().Add(10 * time.Second)
	for len(sim.jobs) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v; want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	for runtime.NumGoroutine() > before && time.Now().Before(deadline.Add(10*time.Second)) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Run returned; want at most %d, as before", n, before)
	}
}
