package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// TestBulkSendLoad is the bulk-send measurement of docs/BENCHMARKS.md, not
// a test: it runs only with BENCH_BULK=1 (and PostgreSQL), and reports
// figures rather than checking targets.
//
// On a real server on PostgreSQL with the fake Plivo API it makes 1,000
// opted-in contacts, then times POST /api/bulk-sends of all of them
// (queueing: the gate, 1,000 messages and threads, their events) and,
// while the outbox drains them, the latency of another user's ordinary
// requests (their inbox page, a contact list, a send), against the same
// requests with nothing draining.
//
//	BENCH_BULK=1 go test -run TestBulkSendLoad -v -timeout 20m ./cmd/inboxd/
func TestBulkSendLoad(t *testing.T) {
	if os.Getenv("BENCH_BULK") != "1" {
		t.Skip("a measurement, not a test: BENCH_BULK=1 runs it (docs/BENCHMARKS.md)")
	}
	const contacts = inbox.MaxBulkContacts
	f := newPlivoFixture(t, map[string]string{"DATABASE_URL": storetest.PostgresURL(t),
		"INBOX_SEND_INTERVAL": "20ms", "INBOX_SEND_RATE": "50", "INBOX_LOG_LEVEL": "error"})
	cs := make([]inbox.Contact, contacts)
	for i := range cs {
		f.admin.call("POST", "/api/contacts", map[string]any{"name": fmt.Sprintf("Bulk %d Person", i),
			"phone": fmt.Sprintf("+1212555%04d", 1000+i), "sms_opt_in": true}, 201, &cs[i])
	}
	// Ben works on another number meanwhile.
	ben, benID := f.s.createUser(t, f.admin, "ben@acme.test", "recruiter")
	var other inbox.Number
	f.admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550199", "label": "Other"}, 201, &other)
	f.admin.call("PUT", "/api/numbers/"+itoa(other.ID)+"/assignees", map[string]any{"user_ids": []int64{benID}}, 200, nil)
	var pat inbox.Contact
	f.admin.call("POST", "/api/contacts", map[string]any{"name": "Pat", "phone": "+14155550177", "sms_opt_in": true}, 201, &pat)
	// Timed requests skip the OpenAPI check of the test client.
	plain := func(c *client) *client {
		cp := *c
		cp.http = &http.Client{Jar: c.http.Jar, Timeout: 30 * time.Second}
		return &cp
	}
	anaFast, benFast := plain(f.ana), plain(ben)

	requests := func(n int) []time.Duration {
		var lat []time.Duration
		for i := range n {
			start := time.Now()
			switch i % 3 {
			case 0:
				benFast.call("GET", "/api/inbox", nil, 200, nil)
			case 1:
				benFast.call("GET", "/api/contacts?limit=50", nil, 200, nil)
			case 2:
				benFast.call("POST", "/api/contacts/"+itoa(pat.ID)+"/messages", map[string]any{"body": "ping " + itoa(int64(i))}, 202, nil)
			}
			lat = append(lat, time.Since(start))
		}
		return lat
	}
	report := func(what string, lat []time.Duration) {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		t.Logf("%s: %d requests, p50 %v, p99 %v, max %v", what, len(lat), q(0.50).Round(10*time.Microsecond),
			q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	}
	report("Ben's requests, nothing draining", requests(600))

	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	for run := range 3 {
		before := len(f.fake.Creates())
		start := time.Now()
		var b bulkAnswer
		anaFast.call("POST", "/api/bulk-sends", map[string]any{"number_id": f.number.ID, "contact_ids": ids,
			"body": fmt.Sprintf("Run %d: are you still interested in the role?", run)}, 202, &b)
		queued := time.Since(start)
		if b.Queued != contacts {
			t.Fatalf("queued %d of %d", b.Queued, contacts)
		}
		t.Logf("run %d: POST /api/bulk-sends of %d contacts answered in %v", run, contacts, queued.Round(time.Millisecond))

		var mu sync.Mutex
		var lat []time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			for len(f.fake.Creates())-before < contacts {
				l := requests(30)
				mu.Lock()
				lat = append(lat, l...)
				mu.Unlock()
			}
		}()
		drainStart := time.Now()
		eventually(t, 10*time.Minute, "the bulk send drains", func() bool { return len(f.fake.Creates())-before >= contacts })
		<-done
		t.Logf("run %d: drained in %v", run, time.Since(drainStart).Round(time.Millisecond))
		report(fmt.Sprintf("run %d: Ben's requests while it drains", run), lat)
	}
}
