package hub

import (
	"maps"
	"testing"
	"time"

	"smsinbox/pkg/inbox"
)

func message(n int) map[string]any { return map[string]any{"message": map[string]any{"id": n}} }

// An event of number N reaches every socket of its assignees and no one
// else's.
func TestRouting(t *testing.T) {
	e := newEnv(t, Options{})
	a1, a2, b, c := e.dial(alice), e.dial(alice), e.dial(bob), e.dial(carol)
	for _, cl := range []*client{a1, a2, b, c} {
		cl.hello()
	}
	ev := e.publish(topicN, inbox.EventMessageCreated, message(1))
	m := e.marker()
	for _, cl := range []*client{a1, a2, b} {
		cl.expect(ev)
		cl.expect(m)
	}
	c.expect(m) // and not ev before it
}

// Events published out of order (6 before 5) go out in order, and a lost one
// is read from the store once for the topic, not once per socket.
func TestOrderAndGaps(t *testing.T) {
	e := newEnv(t, Options{})
	clients := []*client{e.dial(alice), e.dial(alice), e.dial(bob)}
	for _, cl := range clients {
		cl.hello()
	}
	var evs []inbox.Event
	for i := range 9 {
		evs = append(evs, e.store.append(topicN, inbox.EventMessageCreated, message(i+1)))
	}
	e.send(evs[0], evs[1], evs[2], evs[3], evs[5], evs[4])
	for _, cl := range clients {
		cl.expectSeqs(topicN, 1, 6)
	}

	before := e.store.eventsAfterCalls.Load()
	e.send(evs[6], evs[8]) // 8 is lost on the bus
	for _, cl := range clients {
		cl.expectSeqs(topicN, 7, 9)
	}
	if got := e.store.eventsAfterCalls.Load() - before; got != 1 {
		t.Errorf("store reads to fill one gap for %d sockets: got %d, want 1", len(clients), got)
	}
	m := e.marker()
	for _, cl := range clients {
		cl.expect(m)
	}
}

func TestDuplicatesDeliveredOnce(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.dial(alice)
	a.hello()
	e1 := e.publish(topicN, inbox.EventMessageCreated, message(1))
	e.send(e1)
	e2 := e.store.append(topicN, inbox.EventMessageCreated, message(2))
	e.send(e1, e2, e2, e1)
	a.expect(e1)
	a.expect(e2)
	a.expect(e.marker())
}

// Events lost while the bus was away are read back when it recovers.
func TestBusRecovered(t *testing.T) {
	e := newEnv(t, Options{GapWait: waitFor}) // only recovery may fill
	a := e.dial(alice)
	a.hello()
	e.bus.down.Store(true)
	e.publish(topicN, inbox.EventMessageCreated, message(1))
	e.publish(topicN, inbox.EventThreadRead, message(2))
	e.bus.down.Store(false)
	e.bus.recover()
	a.expectSeqs(topicN, 1, 2)
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(3)))
}

// A gap the store no longer has: the hub moves on, and each socket, finding
// the gap pruned too, gets resync and then live events.
func TestGapPruned(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.dial(alice)
	a.hello()
	var last inbox.Event
	for i := range 5 {
		last = e.store.append(topicN, inbox.EventMessageCreated, message(i+1))
	}
	e.store.prune(topicN, 3)
	e.send(last) // 1..4 were lost on the bus
	a.expectResync(topicN, 5)
	a.expect(e.publish(topicN, inbox.EventMessageCreated, message(6)))
}

// A gap fill that fails is retried until the store answers.
func TestGapFillRetried(t *testing.T) {
	e := newEnv(t, Options{GapWait: 10 * time.Millisecond})
	a := e.dial(alice)
	a.hello()
	failed := counterValue(t, fillError)
	e.store.down.Store(true)
	e.store.append(topicN, inbox.EventMessageCreated, message(1)) // lost on the bus
	e.publish(topicN, inbox.EventMessageCreated, message(2))
	eventually(t, "a failed fill", func() bool { return counterValue(t, fillError) > failed })
	e.store.down.Store(false)
	a.expectSeqs(topicN, 1, 2)
}

// Publishing hands events to the hub and returns: it never waits for
// fan-out. Here fan-out cannot finish (one socket's lock is held, as if
// the hub were busy with ten thousand of them), yet Publish returns, and
// once fan-out resumes every socket gets the events in order.
func TestPublishDoesNotWaitForFanout(t *testing.T) {
	e := newEnv(t, Options{})
	a, b := e.dial(alice), e.dial(bob)
	a.hello()
	b.hello()
	var stuck *socket
	for _, s := range e.hub.open() {
		if s.user.ID == alice {
			stuck = s
		}
	}
	stuck.mu.Lock()
	published := make(chan struct{})
	var evs []inbox.Event
	go func() {
		defer close(published)
		for i := range 50 {
			evs = append(evs, e.store.append(topicN, inbox.EventMessageCreated, message(i+1)))
			if err := e.bus.Publish(t.Context(), evs[i]); err != nil {
				t.Errorf("publish: %v", err)
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(waitFor):
		stuck.mu.Unlock()
		t.Fatalf("Publish still blocked after %v while fan-out could not proceed", waitFor)
	}
	stuck.mu.Unlock()
	m := e.marker()
	for _, cl := range []*client{a, b} {
		cl.expectSeqs(topicN, 1, 50)
		cl.expect(m)
	}
}

// After a bus outage the hub reads back what its sockets missed, far more
// than their queues hold; sockets that keep reading get all of it in
// order, with the live events that follow, and none is closed as too slow.
func TestCatchUpAfterOutageIsPaced(t *testing.T) {
	const queue, sockets, missed, live = 16, 60, 700, 40
	e := newEnv(t, Options{QueueSize: queue, GapWait: waitFor}) // only recovery may fill
	before := counterValue(t, slowDisconnects)
	var clients []*client
	for i := range sockets {
		c := e.dial([]int64{alice, bob}[i%2])
		c.hello()
		clients = append(clients, c)
	}
	e.bus.down.Store(true)
	for i := range missed {
		e.publish(topicN, inbox.EventMessageCreated, message(i+1))
	}
	e.bus.down.Store(false)
	e.bus.recover()
	for i := range live {
		e.publish(topicN, inbox.EventMessageCreated, message(missed+i+1))
	}
	for _, c := range clients {
		c.expectSeqs(topicN, 1, missed+live)
	}
	if got := counterValue(t, slowDisconnects) - before; got != 0 {
		t.Errorf("slow consumer disconnects: got %v, want 0", got)
	}
	if got := e.hub.Sockets(); got != sockets {
		t.Errorf("open sockets: got %d, want %d", got, sockets)
	}
}

// With a bus that delivers wanted topics only, every socket wants each of
// its topics before reading its seq, and gives it up when it closes or
// loses the topic: the bus's counts follow the sockets exactly.
func TestSocketsWantTheirTopics(t *testing.T) {
	e := newEnv(t, Options{})
	a, b, c := e.dial(alice), e.dial(bob), e.dial(carol)
	for _, cl := range []*client{a, b, c} {
		cl.hello()
	}
	want := map[string]int{topicCompany: 3, topicN: 2, topicM: 1}
	eventually(t, "the sockets' topics wanted", func() bool { return maps.Equal(e.bus.wanted(), want) })
	// Carol loses number M: she no longer wants it.
	e.send(e.store.assign(numberM))
	eventually(t, "number M given up", func() bool { return maps.Equal(e.bus.wanted(), map[string]int{topicCompany: 3, topicN: 2}) })
	a.close()
	eventually(t, "Alice's topics given up", func() bool { return maps.Equal(e.bus.wanted(), map[string]int{topicCompany: 2, topicN: 1}) })
	b.close()
	c.close()
	eventually(t, "nothing wanted", func() bool { return len(e.bus.wanted()) == 0 })
}
