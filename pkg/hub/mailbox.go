package hub

import (
	"sync"

	"smsinbox/pkg/inbox"
)

// maxMailbox bounds the events waiting for the dispatcher. Beyond it an
// event is dropped and its topic read back from the store once the
// dispatcher has caught up: the store has every stored event.
const maxMailbox = 1 << 15

// mailbox is where events from the bus wait for the hub's dispatcher, so
// that the bus's deliver callback, and so Publish and the webhook that
// published, never wait for fan-out, however many sockets a topic has. One
// dispatcher at a time takes the events in the order the bus delivered
// them, which keeps each topic's order (and a publisher's order across
// topics). mailbox.mu is never held with a shard or socket lock.
type mailbox struct {
	mu      sync.Mutex
	events  []inbox.Event
	running bool            // a dispatcher goroutine is draining events
	shut    bool            // Run has ended: no dispatcher may start
	dropped map[string]bool // topics whose events overflowed
}

// deliver is the bus's callback: it must not block, and it does not wait
// for fan-out. It queues the event and returns; the dispatcher encodes it
// and fans it out.
func (h *Hub) deliver(e inbox.Event) {
	if e.Seq < 0 {
		return
	}
	if e.Topic == inbox.ControlTopic {
		h.control(e)
		return
	}
	m := &h.box
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.shut:
	case len(m.events) >= maxMailbox:
		mailboxDropped.Inc()
		if e.Seq > 0 {
			if m.dropped == nil {
				m.dropped = make(map[string]bool)
			}
			m.dropped[e.Topic] = true
		}
	default:
		m.events = append(m.events, e)
		if !m.running {
			m.running = true
			h.wg.Go(h.dispatch)
		}
	}
}

// dispatch drains the mailbox, a batch at a time, and ends when it is
// empty.
func (h *Hub) dispatch() {
	m := &h.box
	var batch []inbox.Event
	for {
		clear(batch)
		m.mu.Lock()
		batch, m.events = m.events, batch[:0]
		var dropped map[string]bool
		if len(batch) == 0 {
			m.running = false
			dropped, m.dropped = m.dropped, nil
			// An idle hub keeps no buffer.
			m.events = nil
		}
		m.mu.Unlock()
		if len(batch) == 0 {
			for name := range dropped {
				h.refill(name)
			}
			return
		}
		for _, e := range batch {
			h.dispatchOne(e)
		}
	}
}

// dispatchOne fans out one event from the bus to the topic's sockets.
func (h *Hub) dispatchOne(e inbox.Event) {
	sh := h.shardOf(e.Topic)
	sh.mu.Lock()
	_, local := sh.topics[e.Topic]
	sh.mu.Unlock()
	if !local {
		return // no socket here wants it: skip the encoding
	}
	f, err := newFrame(e)
	if err != nil {
		h.log.Error("hub: bad event from the bus", "topic", e.Topic, "seq", e.Seq, "type", e.Type, "err", err)
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.topics[e.Topic]
	switch {
	case t == nil:
	case e.Seq == 0:
		for s := range t.subs {
			s.relay(f)
		}
	case !h.acceptLocked(t, f, false):
		droppedDuplicate.Inc()
	}
}

// refill reads a topic's missing events from the store, or, if the topic
// is not primed yet, makes priming read them.
func (h *Hub) refill(name string) {
	sh := h.shardOf(name)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.topics[name]
	switch {
	case t == nil:
	case t.primed():
		h.fills.request(name)
	default:
		t.seq.markLost()
	}
}

// closeMailbox stops dispatchers from starting: called once the bus
// subscription has ended, before the hub waits for its goroutines.
func (h *Hub) closeMailbox() {
	h.box.mu.Lock()
	h.box.shut = true
	h.box.mu.Unlock()
}
