package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smsinbox/pkg/inbox"
)

// A client that saw nothing of N's 3 events asks for them: it gets exactly
// those 3, in order, then live events.
func TestResumeMissed(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	a := e.dial(alice)
	a.hello()
	a.resume(map[string]int64{topicN: 0})
	a.expectSeqs(topicN, 1, 3)
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(4)))
	a.expect(e.marker())
}

// A resume that arrives before hello is sent is served right after hello,
// before anything live, even with events committed during the hello.
func TestResumeAtOpen(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	e.store.duringNextHello(func() {
		// On the hub's goroutine: a miss shows as a wrong frame below.
		poll(e.hub.hasEarlyResume)
		e.publish(topicN, inbox.EventMessageCreated, message(4))
	})
	a := e.dial(alice)
	a.resume(map[string]int64{topicN: 1})
	if got := a.hello().Topics[topicN]; got != 3 {
		t.Fatalf("hello seq of %s: got %d, want 3", topicN, got)
	}
	a.expectSeqs(topicN, 2, 4)
	a.expect(e.marker())
}

// A resume point given with the upgrade is served right after hello,
// before anything live: here an event is published past the hello's
// snapshot while the hello is read, and the client sends nothing — the
// case in which a resume frame read late would get a resync. A resume that
// is not a JSON object of seqs is refused before the upgrade.
func TestResumeOnUpgrade(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	e.store.duringNextHello(func() { e.publish(topicN, inbox.EventMessageCreated, message(4)) })
	point, _ := json.Marshal(map[string]int64{topicN: 1})
	a := e.dialWith(alice, dialOptions(alice), true, "resume="+url.QueryEscape(string(point)))
	if got := a.hello().Topics[topicN]; got != 3 {
		t.Fatalf("hello seq of %s: got %d, want 3", topicN, got)
	}
	a.expectSeqs(topicN, 2, 4)
	a.expect(e.marker())

	for _, bad := range []string{"resume=%5B1%5D", "resume=" + url.QueryEscape(`{"`+topicN+`":"x"}`)} {
		_, resp, err := websocket.Dial(context.Background(), e.wsURL()+"?"+bad, dialOptions(alice))
		if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest || errorBody(t, resp.Body) != "invalid_resume" {
			t.Errorf("upgrade with %s: %v; want 400 invalid_resume", bad, err)
		}
	}
}

// Many sockets resume while many publishers race to publish after commit:
// every socket gets 1..n exactly once, in order.
func TestResumeRacingLive(t *testing.T) {
	const (
		missed     = 3
		n          = 400
		publishers = 4
	)
	e := newEnv(t, Options{QueueSize: 4096})
	var clients []*client
	for _, u := range []int64{alice, alice, alice, bob, bob, bob} {
		c := e.dial(u)
		c.hello()
		clients = append(clients, c)
	}
	for i := range missed {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1)) // never published
	}

	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := p; i < n-missed; i += publishers {
				e.send(e.store.append(topicN, inbox.EventMessageCreated, message(i)))
			}
		})
	}
	for _, c := range clients {
		wg.Go(func() { c.resume(map[string]int64{topicN: 0}) })
	}
	wg.Wait()

	for _, c := range clients {
		c.expectSeqs(topicN, 1, n)
	}
	m := e.marker()
	for _, c := range clients {
		c.expect(m)
	}
}

// Resume never replays a topic the socket may not get.
func TestResumeForbiddenTopic(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.append(topicN, inbox.EventMessageCreated, message(1))
	c := e.dial(carol)
	c.hello()
	c.resume(map[string]int64{topicN: 0, "number:999": 0, "nonsense": 0, topicM: -5})
	c.expect(e.marker())
}

// A resume point older than the store keeps gets resync, then live events.
func TestResumePruned(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 8 {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	e.store.prune(topicN, 5)

	a := e.dial(alice)
	a.hello()
	a.resume(map[string]int64{topicN: 2})
	a.expectResync(topicN, 8)
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(9)))

	// A point still kept is replayed.
	b := e.dial(bob)
	b.hello()
	b.resume(map[string]int64{topicN: 6})
	b.expectSeqs(topicN, 7, 9)
	b.expect(e.marker())
}

// A resume point before the snapshot, once live frames past the snapshot went
// out, cannot be served in order: resync, then live.
func TestResumeBehindSent(t *testing.T) {
	e := newEnv(t, Options{})
	e.store.append(topicN, inbox.EventMessageCreated, message(1))
	e.store.append(topicN, inbox.EventMessageCreated, message(2))
	a := e.dial(alice)
	a.hello()
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(3)))
	a.resume(map[string]int64{topicN: 0})
	a.expectResync(topicN, 3)
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(4)))
}

// expectResync reads a resync frame of topic that goes on after seq.
func (c *client) expectResync(topic string, seq int64) {
	c.t.Helper()
	f := c.next()
	var data struct {
		Topic string `json:"topic"`
		Seq   int64  `json:"seq"`
	}
	if err := json.Unmarshal(f.Data, &data); err != nil {
		c.t.Fatalf("%s: decode %v: %v", c.name, f, err)
	}
	if f.Type != inbox.EventResync || f.Topic != "" || f.Seq != 0 || data.Topic != topic || data.Seq != seq {
		c.t.Fatalf("%s: got %v, want resync of %s going on after %d", c.name, f, topic, seq)
	}
}

// hasEarlyResume reports whether a socket holds a resume point that came
// before its hello.
func (h *Hub) hasEarlyResume() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sockets {
		s.mu.Lock()
		n := len(s.early)
		s.mu.Unlock()
		if n > 0 {
			return true
		}
	}
	return false
}

// A resume point ahead of what this connection sent skips what the client
// already has; one behind it replays only what was not sent.
func TestResumePointsAroundSent(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.dial(alice)
	a.hello()
	for i := range 4 {
		a.expect(e.publish(topicN, inbox.EventMessageCreated, message(i+1)))
	}
	a.resume(map[string]int64{topicN: 2}) // 3 and 4 were sent on this connection
	a.expect(e.marker())
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(5)))
}

// Sockets that open while publishers race get, after hello, every event
// after its snapshot exactly once, in order.
func TestConnectRacingLive(t *testing.T) {
	const (
		n          = 300
		publishers = 4
		sockets    = 8
	)
	e := newEnv(t, Options{QueueSize: 4096})
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := p; i < n; i += publishers {
				e.send(e.store.append(topicN, inbox.EventMessageCreated, message(i)))
			}
		})
	}
	clients := make([]*client, sockets)
	starts := make([]int64, sockets)
	for i := range sockets {
		clients[i] = e.dial([]int64{alice, bob}[i%2])
		starts[i] = clients[i].hello().Topics[topicN]
	}
	wg.Wait()
	for i, c := range clients {
		c.expectSeqs(topicN, starts[i]+1, n)
	}
	m := e.marker()
	for _, c := range clients {
		c.expect(m)
	}
}

// A replay longer than the queue is paced by the writer instead of closing
// the socket as slow, and live events that overflow what it holds meanwhile
// are read back from the store.
func TestResumeBacklog(t *testing.T) {
	const missed, live = 100, 20
	e := newEnv(t, Options{QueueSize: 8})
	for i := range missed {
		e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	a := e.dial(alice)
	a.hello()
	entered, release := e.store.pauseReads()
	a.resume(map[string]int64{topicN: 0})
	select {
	case <-entered:
	case <-time.After(waitFor):
		t.Fatal("the replay did not read the store")
	}
	for i := range live {
		e.publish(topicN, inbox.EventMessageCreated, message(missed+i+1))
	}
	release()
	a.expectSeqs(topicN, 1, missed+live)
	a.expect(e.marker())
}
