package main

import (
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
	"smsinbox/pkg/store/storetest"
)

// sharedRedis is the test Redis (REDIS_URL, else the local one).
func sharedRedis(t *testing.T) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	c, err := net.DialTimeout("tcp", pu.Host, 2*time.Second)
	if err != nil {
		msg := "Redis is not reachable at " + pu.Host + " (run `make test`, which starts it, or set REDIS_URL)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c.Close()
	return u
}

// cluster is two inboxd processes on one PostgreSQL schema and one Redis,
// with Ana signed in on the first and Ben on the second, both on Recruiting.
type cluster struct {
	p1, p2   *process
	s1, s2   *testServer
	ana, ben *client
	number   inbox.Number
	contact  inbox.Contact
}

func newCluster(t *testing.T, redisURL string) *cluster {
	t.Helper()
	env := map[string]string{"DATABASE_URL": storetest.PostgresURL(t), "REDIS_URL": redisURL,
		"INBOX_REDIS_PREFIX": "test-" + newUUID(), "INBOX_SIMULATOR": "1"}
	c := &cluster{p1: startProcess(t, env), p2: startProcess(t, env)}
	c.s1, c.s2 = c.p1.server(t, devAuthToken), c.p2.server(t, devAuthToken)
	c.p1.run(t, "admin", "create", "--company", "Acme", "--email", "admin@acme.test", "--password", "correct horse")
	admin := c.s1.login(t, "admin@acme.test", "correct horse")
	_, anaID := c.s1.createUser(t, admin, "ana@acme.test", "recruiter")
	_, benID := c.s1.createUser(t, admin, "ben@acme.test", "recruiter")
	admin.call("POST", "/api/numbers", map[string]string{"e164": "+14155550100", "label": "Recruiting"}, 201, &c.number)
	admin.call("PUT", "/api/numbers/"+itoa(c.number.ID)+"/assignees", map[string]any{"user_ids": []int64{anaID, benID}}, 200, nil)
	admin.call("POST", "/api/contacts", map[string]any{"name": "Casey", "phone": "+14155550123", "sms_opt_in": true}, 201, &c.contact)
	c.ana = c.s1.login(t, "ana@acme.test", "correct horse")
	c.ben = c.s2.login(t, "ben@acme.test", "correct horse")
	return c
}

func (c *cluster) reply(t *testing.T, text string) int {
	t.Helper()
	return c.s1.webhook(t, "/webhooks/plivo/inbound", inboundForm(c.contact.Phone, c.number.E164, text, newUUID()), nil)
}

// A webhook on one instance reaches the assignee on the other; a read on
// the other clears the bell on the first.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	c := newCluster(t, sharedRedis(t))
	a, b := c.ana.dial(t, nil), c.ben.dial(t, nil)

	if code := c.reply(t, "Hello from the candidate"); code != 200 {
		t.Fatalf("inbound on instance 1: got %d", code)
	}
	f := b.expect("message.created", 15*time.Second)
	th := threadOf(t, f)
	a.expect("message.created", 15*time.Second)
	if a.bell() != 1 || b.bell() != 1 {
		t.Errorf("bells after the reply = %d, %d; want 1, 1", a.bell(), b.bell())
	}

	c.ben.call("POST", "/api/threads/"+itoa(th.ID)+"/read", nil, 200, nil)
	if rf := a.expect("thread.read", 15*time.Second); threadOf(t, rf).ReadBy == nil {
		t.Error("thread.read on instance 1 has no reader")
	}
	if a.bell() != 0 {
		t.Errorf("Ana's bell on instance 1 after Ben read on instance 2 = %d, want 0", a.bell())
	}
	// Typing crosses instances too.
	b.send(map[string]any{"type": "typing", "thread_id": th.ID})
	a.expect("typing", 15*time.Second)
}

// Redis dies and comes back in the middle of 200 inbound texts: every text
// is stored (the database is the truth) and every connected client ends with
// all 200 events in order, no gap, no duplicate.
func TestRedisRestartDuringStream(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	r := startRedis(t, addr)
	t.Cleanup(func() { r.stop() })
	c := newCluster(t, "redis://"+addr+"/0")
	topic := inbox.NumberTopic(c.number.ID)
	a, b := c.ana.dial(t, nil), c.ben.dial(t, nil)
	startA, startB := a.hello.Topics[topic], b.hello.Topics[topic]

	const total = 200
	for i := range total {
		switch i {
		case 60:
			r.stop()
		case 90:
			// Still ready (the store is the truth), naming the bus as degraded.
			code, body := c.ana.raw("GET", "/readyz", nil, nil)
			if code != 200 || !strings.Contains(string(body), `"degraded":["bus"]`) {
				t.Errorf("readyz with Redis down: got %d %s, want 200 naming the bus as degraded", code, body)
			}
		case 120:
			r = startRedis(t, addr)
		}
		if code := c.reply(t, "text "+itoa(int64(i))); code != 200 {
			t.Fatalf("inbound %d: got %d, want 200 (the database is the truth)", i, code)
		}
	}
	for name, s := range map[string]*socket{"Ana (instance 1)": a, "Ben (instance 2)": b} {
		start := startA
		if s == b {
			start = startB
		}
		got := s.events(topic, total, 60*time.Second)
		for i, f := range got {
			if f.Seq != start+int64(i)+1 {
				t.Fatalf("%s: event %d has seq %d, want %d (gap or duplicate)", name, i, f.Seq, start+int64(i)+1)
			}
		}
		s.quiet(500*time.Millisecond, "message.created")
	}
	var msgs struct{ Messages []inbox.Message }
	c.ana.call("GET", "/api/contacts/"+itoa(c.contact.ID)+"/messages?limit=500", nil, 200, &msgs)
	if len(msgs.Messages) != total {
		t.Errorf("stored %d messages, want %d", len(msgs.Messages), total)
	}
}
