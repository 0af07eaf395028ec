package main

// The webhooks' outbox is the store: several instances share it, one
// delivers an endpoint at a time (a lease), and kill -9 of the one that
// delivers loses nothing.

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// texts posts n inbound texts to number, spread over the servers.
func texts(t *testing.T, servers []*testServer, number inbox.Number, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		s := servers[i%len(servers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := "+1415556" + strconv.Itoa(1000+i)
			if code := s.webhook(t, "/webhooks/plivo/inbound", inboundForm(from, number.E164, "text "+strconv.Itoa(i), newUUID()), nil); code != 200 {
				t.Errorf("inbound %d: %d", i, code)
			}
		}()
		if i%8 == 7 {
			wg.Wait()
		}
	}
	wg.Wait()
}

// Two instances on one database and no shared bus: an endpoint never has
// two requests in flight, and gets every event once acknowledged, in order.
func TestWebhookOneDeliveryAtATimeAcrossInstances(t *testing.T) {
	endToEnd(t)
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "INBOX_SIMULATOR": "1"}
	s1, s2 := startServer(t, env), startServer(t, env)
	admin := s1.bootstrap(t, "Acme", "admin@acme.test")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	r := newReceiver(t)
	r.delay = 30 * time.Millisecond
	hook := r.register(t, admin, "*")
	texts(t, []*testServer{s1, s2}, n, 120)
	all := feed(t, admin, hook.DeliveredSeq)
	eventually(t, 30*time.Second, "every event is delivered", func() bool { return len(r.acknowledged()) == len(all) })
	checkGapless(t, r.acknowledged(), hook.DeliveredSeq+1)
	if m := r.maxInFlight.Load(); m != 1 {
		t.Errorf("%d requests were in flight at once; want 1", m)
	}
	// Each batch was sent once: no two requests began at one seq.
	r.mu.Lock()
	first := map[int64]int{}
	for _, b := range r.requests {
		first[b.events[0].Seq]++
	}
	r.mu.Unlock()
	for seq, k := range first {
		if k > 1 {
			t.Errorf("the batch from seq %d was sent %d times; want once", seq, k)
		}
	}
}

// kill -9 of the instance delivering an endpoint, mid-request: the other
// instance takes the endpoint over once the lease lapses and delivers every
// event; the batch cut short comes again (the same event ids), nothing is
// lost and nothing is out of order.
func TestWebhookKillNineLosesNothing(t *testing.T) {
	endToEnd(t)
	dbURL := storetest.PostgresURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "INBOX_SIMULATOR": "1", "INBOX_WEBHOOK_TIMEOUT": "1s"}
	p1, p2 := startProcess(t, env), startProcess(t, env)
	s1, s2 := p1.server(t, devAuthToken), p2.server(t, devAuthToken)
	p1.run(t, "admin", "create", "--company", "Acme", "--email", "admin@acme.test", "--password", "correct horse")
	admin := s1.login(t, "admin@acme.test", "correct horse")
	var n inbox.Number
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &n)
	r := newReceiver(t)
	r.delay = 150 * time.Millisecond
	hook := r.register(t, admin, "*")
	texts(t, []*testServer{s1, s2}, n, 60)

	// Find the instance holding the endpoint's lease while a request is in
	// flight, and kill it.
	db := sqlx.MustOpen("postgres", dbURL)
	defer db.Close()
	var holder string
	eventually(t, 20*time.Second, "a delivery is in flight", func() bool {
		if r.inFlight.Load() == 0 {
			return false
		}
		return db.Get(&holder, `SELECT holder FROM leases WHERE name = $1`, "webhook:"+itoa(hook.ID)) == nil
	})
	pid, _, _ := strings.Cut(holder, "-")
	victim, survivor, survivorServer := p1, p2, s2
	if pid == strconv.Itoa(p2.cmd.Process.Pid) {
		victim, survivor, survivorServer = p2, p1, s1
	} else if pid != strconv.Itoa(p1.cmd.Process.Pid) {
		t.Fatalf("lease holder %q is neither process (%d, %d)", holder, p1.cmd.Process.Pid, p2.cmd.Process.Pid)
	}
	before := len(r.acknowledged())
	victim.kill9(t)
	_ = survivor

	// More texts while it is down, through the survivor.
	texts(t, []*testServer{survivorServer}, n, 20)
	survivorAdmin := survivorServer.login(t, "admin@acme.test", "correct horse")
	all := feed(t, survivorAdmin, hook.DeliveredSeq)
	eventually(t, 40*time.Second, "the survivor delivers every event", func() bool { return len(r.acknowledged()) == len(all) })
	got := r.acknowledged()
	checkGapless(t, got, hook.DeliveredSeq+1)
	if before >= len(all) {
		t.Fatalf("everything was delivered before the kill (%d of %d); the test killed nothing in flight", before, len(all))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := 0
	for _, b := range r.requests {
		sent += len(b.events)
	}
	t.Logf("%d events, %d sent (%d again after the kill), %d requests", len(all), sent, sent-len(all), len(r.requests))
}
