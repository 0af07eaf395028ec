package main

// End-to-end tests of the outbound webhooks: a test receiver (httptest)
// checks every delivery's signature, and what it acknowledged is compared
// with the company feed.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsinbox/pkg/clock"
	"smsinbox/pkg/inbox"
)

// receiver is an ATS's webhook endpoint. Each request's events are kept in
// arrival order with the status it was answered; answer decides it.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	requests []receivedBatch
	answer   func(n int) int                  // the status of the nth request (from 0); nil: 200
	capture  func(header string, body []byte) // sees each well-signed request, if set
	delay    time.Duration                    // each request takes this long

	inFlight, maxInFlight atomic.Int32
	badSignatures         atomic.Int32
}

type receivedBatch struct {
	events []inbox.FeedEvent
	status int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		m := r.maxInFlight.Load()
		if n <= m || r.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secret, delay := r.secret, r.delay
	r.mu.Unlock()
	if !verifySignature(secret, req.Header.Get("Smsinbox-Signature"), body) {
		r.badSignatures.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.capture != nil {
		r.mu.Lock()
		r.capture(req.Header.Get("Smsinbox-Signature"), body)
		r.mu.Unlock()
	}
	var payload struct {
		Events []inbox.FeedEvent `json:"events"`
	}
	if err := json.Unmarshal(body, &payload); err != nil || len(payload.Events) == 0 || len(payload.Events) > 100 {
		r.t.Errorf("delivery body %s: %v; want 1 to 100 events", body, err)
	}
	time.Sleep(delay)
	r.mu.Lock()
	status := http.StatusOK
	if r.answer != nil {
		status = r.answer(len(r.requests))
	}
	r.requests = append(r.requests, receivedBatch{payload.Events, status})
	r.mu.Unlock()
	w.WriteHeader(status)
}

// verifySignature checks a Smsinbox-Signature header as docs/INTEGRATION.md
// tells an ATS to.
func verifySignature(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil || sig == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(want), []byte(sig))
}

// acknowledged is every event of a 2xx answer, deduped by id as the doc
// says, in arrival order.
func (r *receiver) acknowledged() []inbox.FeedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []inbox.FeedEvent
	for _, b := range r.requests {
		if b.status < 200 || b.status > 299 {
			continue
		}
		for _, e := range b.events {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	return out
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

// register makes r an endpoint of admin's company for events.
func (r *receiver) register(t *testing.T, admin *client, events ...string) inbox.Webhook {
	t.Helper()
	var hook inbox.Webhook
	admin.call("POST", "/api/webhooks", map[string]any{"url": r.srv.URL + "/hooks", "events": events}, 201, &hook)
	if !strings.HasPrefix(hook.Secret, "whsec_") {
		t.Fatalf("webhook secret %q; want whsec_…", hook.Secret)
	}
	r.mu.Lock()
	r.secret = hook.Secret
	r.mu.Unlock()
	return hook
}

// feed reads the whole company feed after after.
func feed(t *testing.T, c *client, after int64) []inbox.FeedEvent {
	t.Helper()
	var out []inbox.FeedEvent
	for {
		var page inbox.FeedPage
		c.call("GET", "/api/events?after="+itoa(after)+"&limit=1000", nil, 200, &page)
		out = append(out, page.Events...)
		if page.Last == page.Head {
			return out
		}
		after = page.Last
	}
}

// checkGapless fails unless events have the seqs from, from+1, … in order.
func checkGapless(t *testing.T, events []inbox.FeedEvent, from int64) {
	t.Helper()
	for i, e := range events {
		if e.Seq != from+int64(i) {
			t.Fatalf("event %d has seq %d; want %d (the feed must be gapless and in order): %v", i, e.Seq, from+int64(i), seqsOf(events))
		}
		if e.ID != "evt_"+strings.Split(e.ID, "_")[1]+"_"+itoa(e.Seq) {
			t.Fatalf("event id %q does not name its seq %d", e.ID, e.Seq)
		}
	}
}

func seqsOf(events []inbox.FeedEvent) []int64 {
	seqs := make([]int64, len(events))
	for i, e := range events {
		seqs[i] = e.Seq
	}
	return seqs
}

func typesOf(events []inbox.FeedEvent) []string {
	var types []string
	for _, e := range events {
		if !slices.Contains(types, e.Type) {
			types = append(types, e.Type)
		}
	}
	slices.Sort(types)
	return types
}

// Every event type reaches the endpoint signed, in seq order, with no gap:
// what it acknowledged is exactly the company feed since it registered.
func TestWebhooksDeliverEveryTypeSigned(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		f := newPlivoFixture(t, env)
		r := newReceiver(t)
		hook := r.register(t, f.admin, "*")

		f.inbound(t, "Hi, is the job still open?") // message.received
		m, _ := f.send(t, "Yes it is!", "", 202)   // message.sent, message.status
		var in inbox.Inbox
		f.ana.call("GET", "/api/inbox", nil, 200, &in)
		f.ana.call("POST", "/api/threads/"+itoa(in.Threads[0].ID)+"/read", nil, 200, nil) // thread.read, thread.claimed
		f.ana.call("DELETE", "/api/threads/"+itoa(in.Threads[0].ID)+"/claim", nil, 200, nil)
		f.admin.call("PATCH", "/api/contacts/"+itoa(f.contact.ID), map[string]any{"sms_opt_in": false}, 200, nil) // contact.consent
		var drew inbox.Contact
		f.admin.call("POST", "/api/contacts", map[string]any{"name": "Drew", "phone": "+14155550124"}, 201, &drew)
		f.admin.call("DELETE", "/api/contacts/"+itoa(drew.ID), nil, 204, nil) // contact.erased
		eventually(t, 10*time.Second, "message "+itoa(m.ID)+" reaches Plivo", func() bool {
			return len(f.fake.Creates()) >= 1
		})
		form := url.Values{"MessageUUID": {f.fake.Creates()[0].MessageUUID}, "Status": {"delivered"}}
		if code := f.s.webhook(t, "/webhooks/plivo/status?message_id="+itoa(m.ID), form, nil); code != 200 { // message.status
			t.Fatalf("status webhook: %d", code)
		}

		want := []string{"contact.consent", "contact.erased", "message.received", "message.sent", "message.status",
			"thread.claimed", "thread.read", "thread.released"}
		var all []inbox.FeedEvent
		eventually(t, 15*time.Second, "every event type is delivered", func() bool {
			all = feed(t, f.admin, hook.DeliveredSeq)
			got := r.acknowledged()
			return len(got) == len(all) && len(all) > 0 && slices.Equal(typesOf(got), want)
		})
		got := r.acknowledged()
		checkGapless(t, got, hook.DeliveredSeq+1)
		for i := range got {
			if got[i].ID != all[i].ID || got[i].Type != all[i].Type || string(got[i].Data) != string(all[i].Data) {
				t.Fatalf("delivery %d is %+v; the feed has %+v", i, got[i], all[i])
			}
		}
		if n := r.badSignatures.Load(); n != 0 {
			t.Errorf("%d deliveries had a bad signature", n)
		}
		// The message.received event carries the text and its contact.
		for _, e := range got {
			if e.Type == "message.received" {
				var d struct {
					Message inbox.Message
					Thread  inbox.Thread
				}
				decodeJSON(t, e.Data, &d)
				if d.Message.Body != "Hi, is the job still open?" || d.Thread.Contact.ID != f.contact.ID {
					t.Errorf("message.received data %s; want the text and its contact", e.Data)
				}
			}
		}
		var log struct{ Deliveries []inbox.WebhookDelivery }
		f.admin.call("GET", "/api/webhooks/"+itoa(hook.ID)+"/deliveries", nil, 200, &log)
		if len(log.Deliveries) == 0 || log.Deliveries[0].StatusCode != 200 {
			t.Errorf("delivery log %+v; want the latest attempt answered 200", log.Deliveries)
		}
		// A recruiter may not manage webhooks or read the feed.
		f.ana.call("GET", "/api/webhooks", nil, 403, nil)
		f.ana.call("GET", "/api/events", nil, 403, nil)

		// A filtered endpoint gets only its types, still in seq order.
		r2 := newReceiver(t)
		r2.register(t, f.admin, "message.received")
		f.inbound(t, "one more")
		f.inbound(t, "and another")
		eventually(t, 10*time.Second, "the filtered endpoint gets both texts", func() bool { return len(r2.acknowledged()) == 2 })
		if got := r2.acknowledged(); typesOf(got)[0] != "message.received" || len(typesOf(got)) != 1 || got[0].Seq >= got[1].Seq {
			t.Errorf("filtered deliveries %v %v; want two message.received in seq order", typesOf(got), seqsOf(got))
		}
	})
}

// An endpoint that fails for a while, then recovers, gets every event in
// seq order with no gap; a failed batch is sent again whole (duplicates
// only by event id). Replay from a seq sends the feed again.
func TestWebhookRecoversInOrder(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		f := newPlivoFixtureWith(t, env, withWebhookBackoff(20*time.Millisecond))
		r := newReceiver(t)
		var failing atomic.Bool
		failing.Store(true)
		r.answer = func(int) int {
			if failing.Load() {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		hook := r.register(t, f.admin, "*")
		for i := range 30 {
			f.inbound(t, "text number "+strconv.Itoa(i))
			if i == 5 {
				eventually(t, 10*time.Second, "the endpoint has failed a few times", func() bool { return r.count() >= 3 })
			}
		}
		var hooks struct{ Webhooks []inbox.Webhook }
		f.admin.call("GET", "/api/webhooks", nil, 200, &hooks)
		if h := hooks.Webhooks[0]; h.FailingSince == nil || h.Attempts == 0 || h.LastError == "" || h.Secret != "" {
			t.Errorf("failing endpoint shows %+v; want failing_since, attempts, last_error and no secret", h)
		}
		failing.Store(false)
		all := feed(t, f.admin, hook.DeliveredSeq)
		eventually(t, 20*time.Second, "every event is delivered after the endpoint recovers", func() bool {
			return len(r.acknowledged()) == len(all)
		})
		got := r.acknowledged()
		checkGapless(t, got, hook.DeliveredSeq+1)
		// Each request, failed or not, was in seq order, and a retry
		// began where the acknowledged ones ended.
		r.mu.Lock()
		var next int64 = hook.DeliveredSeq + 1
		for i, b := range r.requests {
			for j, e := range b.events {
				if j > 0 && e.Seq != b.events[j-1].Seq+1 {
					t.Errorf("request %d is out of order: %v", i, seqsOf(b.events))
				}
			}
			if b.events[0].Seq != next {
				t.Errorf("request %d starts at seq %d; want %d", i, b.events[0].Seq, next)
			}
			if b.status == 200 {
				next = b.events[len(b.events)-1].Seq + 1
			}
		}
		r.mu.Unlock()

		// Replay from the first seq: the whole feed once more.
		before := r.count()
		f.admin.call("POST", "/api/webhooks/"+itoa(hook.ID)+"/replay", map[string]any{"from_seq": hook.DeliveredSeq + 1}, 200, nil)
		eventually(t, 30*time.Second, "the replay is delivered", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			n := 0
			for _, b := range r.requests[before:] {
				n += len(b.events)
			}
			return n == len(all)
		})
		f.admin.call("POST", "/api/webhooks/"+itoa(hook.ID)+"/replay", map[string]any{"from_seq": 0}, 422, nil)
		f.admin.call("DELETE", "/api/webhooks/"+itoa(hook.ID), nil, 204, nil)
		f.admin.call("GET", "/api/webhooks/"+itoa(hook.ID)+"/deliveries", nil, 404, nil)
	})
}

// An endpoint failing for 72 hours is disabled, and its admins see it:
// GET /api/webhooks and the webhook.disabled event on their sockets.
func TestWebhookDisabledAfter72Hours(t *testing.T) {
	engines(t, func(t *testing.T, env map[string]string) {
		clk := clock.NewFake(time.Now().UTC())
		f := newPlivoFixtureWith(t, merge(env, map[string]string{"INBOX_SESSION_IDLE": "336h"}), withClock(clk))
		r := newReceiver(t)
		r.answer = func(int) int { return http.StatusInternalServerError }
		hook := r.register(t, f.admin, "*")
		ws := f.admin.dial(t, nil)
		f.inbound(t, "hello?")
		r.failUntilDisabled(t, clk, f.admin, hook.ID)
		var hooks struct{ Webhooks []inbox.Webhook }
		f.admin.call("GET", "/api/webhooks", nil, 200, &hooks)
		h := hooks.Webhooks[0]
		if h.DisabledAt == nil || h.FailingSince == nil || h.DisabledAt.Sub(*h.FailingSince) < 72*time.Hour {
			t.Fatalf("endpoint %+v; want disabled after failing for 72 h", h)
		}
		if h.DisabledAt.Sub(*h.FailingSince) > 80*time.Hour {
			t.Errorf("disabled %v after failing began; want soon after 72 h", h.DisabledAt.Sub(*h.FailingSince))
		}
		ws.expect("webhook.disabled", 10*time.Second)
		n := r.count()
		clk.Advance(24 * time.Hour)
		f.inbound(t, "anyone?")
		time.Sleep(300 * time.Millisecond) // a disabled endpoint gets nothing; give it a chance to be wrong
		if r.count() != n {
			t.Errorf("a disabled endpoint got %d more requests", r.count()-n)
		}
		// Replay enables it again, and it gets the backlog.
		r.mu.Lock()
		r.answer = nil
		r.mu.Unlock()
		f.admin.call("POST", "/api/webhooks/"+itoa(hook.ID)+"/replay", map[string]any{"from_seq": hook.DeliveredSeq + 1}, 200, nil)
		all := feed(t, f.admin, hook.DeliveredSeq)
		eventually(t, 30*time.Second, "the backlog is delivered after the replay", func() bool {
			return len(r.acknowledged()) == len(all)
		})
		checkGapless(t, r.acknowledged(), hook.DeliveredSeq+1)
	})
}

// failUntilDisabled moves clk on 7 hours at a time, each time the failed
// attempt the endpoint saw is recorded, until the endpoint is disabled
// (72 hours of failures; at most 12 moves).
func (r *receiver) failUntilDisabled(t *testing.T, clk *clock.Fake, admin *client, id int64) {
	t.Helper()
	eventually(t, 30*time.Second, "the first attempt fails", func() bool { return r.count() >= 1 })
	endpoint := func() inbox.Webhook {
		var hooks struct{ Webhooks []inbox.Webhook }
		admin.call("GET", "/api/webhooks", nil, 200, &hooks)
		for _, h := range hooks.Webhooks {
			if h.ID == id {
				return h
			}
		}
		t.Fatalf("webhook %d is not listed", id)
		return inbox.Webhook{}
	}
	recorded := func() int {
		var log struct{ Deliveries []inbox.WebhookDelivery }
		admin.call("GET", "/api/webhooks/"+itoa(id)+"/deliveries", nil, 200, &log)
		return len(log.Deliveries)
	}
	for range 12 {
		// The clock moves only once the attempt the endpoint saw is
		// recorded: its next attempt is then due 7 hours on at most.
		// (Moved before, the failure would be dated after the move, and
		// its retry would not come due.)
		n := r.count()
		eventually(t, 30*time.Second, "the failed attempt is recorded", func() bool { return recorded() >= n })
		if endpoint().DisabledAt != nil {
			return
		}
		clk.Advance(7 * time.Hour)
		// Retries also come due in real time (the fake clock runs on): the
		// attempt that disables the endpoint may come before the advance,
		// and then none follows it.
		eventually(t, 30*time.Second, "another attempt after 7 hours", func() bool {
			return r.count() > n || endpoint().DisabledAt != nil
		})
	}
	if endpoint().DisabledAt == nil {
		t.Fatal("the endpoint is not disabled after 84 hours of failures")
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// withWebhookBackoff makes failed webhook deliveries retry after d, then
// 2d, 4d…
func withWebhookBackoff(d time.Duration) serverOption {
	return func(cfg *Config) { cfg.WebhookBackoff = d }
}
